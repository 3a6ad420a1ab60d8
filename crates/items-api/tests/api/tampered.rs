//! Items the API cannot show: written by this API, then changed by another tool (a numeric
//! `name`, a `version` at its limit), or stored so by the original service. An update is
//! checked against the image it would make before anything is written: one that leaves such
//! an attribute answers 422 (a batch, 409 at its index) and the table keeps what it had; one
//! that replaces the attributes at fault repairs the item.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::{
    original,
    support::{TestApp, TestRequest},
};

/// An item created through the API, then `attribute` set to `value` by another tool (its
/// `version` left as it was).
async fn tampered(app: &TestApp, attribute: &str, value: AttributeValue) -> String {
    let id = app.create("Widget", "a@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.set_stored(&id, attribute, value).await;
    id
}

fn numeric_name() -> AttributeValue {
    AttributeValue::N("42".into())
}

#[tokio::test]
async fn an_update_that_would_leave_an_item_unrepresentable_writes_nothing() {
    let app = TestApp::spawn().await;
    let named = tampered(&app, "name", numeric_name()).await;
    let at_limit = tampered(&app, "version", AttributeValue::N(u64::MAX.to_string())).await;
    let before = app.snapshot().await;

    for (id, if_match, field) in [
        (&named, None, "name"),
        (&named, Some("\"1\""), "name"),
        (&at_limit, None, "version"),
    ] {
        let mut request = TestRequest::put(format!("/items/{id}"), json!({"status": "archived"}));
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        let refused = app.send(request).await;
        let body = refused.assert_error(422, "UNREPRESENTABLE_ITEM");
        assert_eq!(body["fields"][0]["field"], field, "{body}");
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
}

#[tokio::test]
async fn an_update_that_replaces_the_attributes_at_fault_repairs_the_item() {
    let app = TestApp::spawn().await;
    let id = tampered(&app, "name", numeric_name()).await;
    let repaired = app
        .send(
            TestRequest::put(format!("/items/{id}"), json!({"name": "Fixed"}))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(repaired.status, 200, "{}", repaired.text());
    assert_eq!(repaired.header("etag"), Some("\"2\""));
    let read = app.send(TestRequest::get(format!("/items/{id}"))).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["name"], "Fixed");
}

#[tokio::test]
async fn a_batch_update_that_would_leave_an_item_unrepresentable_cancels_the_batch() {
    let app = TestApp::spawn().await;
    let fine = app.create("Fine", "b@example.com").await;
    let id = tampered(&app, "name", numeric_name()).await;
    let before = app.snapshot().await;

    let operations = json!([
        {"op": "create", "item": {"name": "New", "email": "c@example.com"}},
        {"op": "update", "id": fine["id"], "changes": {"status": "archived"}},
        {"op": "update", "id": id, "changes": {"status": "archived"}},
    ]);
    let refused = app
        .send(TestRequest::post(
            "/items/batch",
            json!({"operations": operations}),
        ))
        .await;
    let body = refused.assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(
        body["failures"],
        json!([{"index": 2, "code": "UNREPRESENTABLE_ITEM"}])
    );
    assert_eq!(app.snapshot().await, before, "nothing written");

    // Replacing the attribute at fault is an ordinary update, in a batch too.
    let repair: Value = json!([{"op": "update", "id": id, "changes": {"name": "Fixed"}}]);
    let repaired = app
        .send(TestRequest::post(
            "/items/batch",
            json!({"operations": repair}),
        ))
        .await;
    assert_eq!(repaired.status, 200, "{}", repaired.text());
    assert_eq!(repaired.json()["results"][0]["item"]["name"], "Fixed");
}

/// An item as the original service's batch tool stored it (no `version`, zone-less times),
/// with a numeric `name`.
async fn original_with_numeric_name(app: &TestApp, id: &str) {
    let mut item = original::batch_item(id, "active");
    item.insert("name".into(), numeric_name());
    original::store(app, item).await;
}

#[tokio::test]
async fn an_item_of_the_original_service_is_repaired_or_refused_the_same_way() {
    let app = TestApp::spawn().await;
    original_with_numeric_name(&app, "broken").await;
    original_with_numeric_name(&app, "repaired").await;
    let before = app.snapshot().await;

    let refused = app
        .send(TestRequest::put(
            "/items/broken",
            json!({"status": "archived"}),
        ))
        .await;
    let body = refused.assert_error(422, "UNREPRESENTABLE_ITEM");
    assert_eq!(body["fields"][0]["field"], "name");
    assert_eq!(app.snapshot().await, before, "nothing written");

    let repaired = app
        .send(
            TestRequest::put("/items/repaired", json!({"name": "Fixed"}))
                .header("if-match", "\"0\""),
        )
        .await;
    assert_eq!(repaired.status, 200, "{}", repaired.text());
    assert_eq!(repaired.header("etag"), Some("\"1\""));
    assert_eq!(repaired.json()["name"], "Fixed");
    let stored = app.stored("repaired").await;
    assert_eq!(
        stored["version"],
        AttributeValue::N("1".into()),
        "written whole, strictly"
    );
}
