//! Items as the original Python service and its tools stored them, read and written through
//! the real handler: the tolerant-reading rules of README's "Moving from the original
//! Python service".

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::support::{TABLE, TestApp, TestRequest};

const HANDLER_ID: &str = "3b241101-e2bb-4255-8caf-4136c566a962";

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// One of the items the original service and its tools stored: `handler`, `batch_tool` or
/// `unrepresentable` (fixtures/README.md).
fn original(shape: &str) -> HashMap<String, AttributeValue> {
    let shapes: Value =
        serde_json::from_str(include_str!("../../../../fixtures/original-items.json")).unwrap();
    serde_dynamo::to_item(&shapes[shape]).unwrap()
}

fn handler_item() -> HashMap<String, AttributeValue> {
    original("handler")
}

/// What the original `batch_write_items` tool stored, under another id and status.
pub fn batch_item(id: &str, status: &str) -> HashMap<String, AttributeValue> {
    let mut item = original("batch_tool");
    item.extend([("id".into(), s(id)), ("status".into(), s(status))]);
    item
}

/// How many items [`store_every_shape`] stores.
pub const SHAPES: usize = 4;

/// One item of each shape the original service and its tools leave in a table (one that
/// cannot be represented among them), for the fuzzers; returns their ids.
pub async fn store_every_shape(app: &TestApp) -> [String; SHAPES] {
    let shapes = [
        handler_item(),
        batch_item("item1", "active"),
        batch_item("item 2 (inactive)", "inactive"),
        original("unrepresentable"),
    ];
    let ids = shapes
        .each_ref()
        .map(|item| item["id"].as_s().unwrap().clone());
    for item in shapes {
        store(app, item).await;
    }
    ids
}

pub async fn store(app: &TestApp, item: HashMap<String, AttributeValue>) {
    let client = app.dynamo.client();
    let put = client.put_item().table_name(TABLE).set_item(Some(item));
    put.send()
        .await
        .expect("stored as the original service would");
}

async fn listed_ids(app: &TestApp, status: &str) -> Vec<String> {
    let page = app
        .send(TestRequest::get("/items").query("status", status))
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let body = page.json();
    let items = body["items"].as_array().unwrap();
    assert_eq!(body["count"], items.len());
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_item_of_the_original_handler_is_read_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    store(&app, handler_item()).await;
    let path = format!("/items/{HANDLER_ID}");

    let fetched = app.send(TestRequest::get(&path)).await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(fetched.header("etag"), Some("\"0\""));
    let item = fetched.json();
    assert_eq!(item["version"], 0);
    assert_eq!(item["created_at"], "2024-03-25T10:00:00.123Z");
    assert_eq!(item["updated_at"], "2024-03-26T09:30:00.000Z");
    assert_eq!(
        item["stored_attributes"],
        json!({"color": "red", "price": 9.5})
    );
    assert_eq!(item["attributes"], json!({}));
    assert_eq!(listed_ids(&app, "active").await, [HANDLER_ID]);

    let updated = app
        .send(TestRequest::put(&path, json!({"name": "Renamed"})).header("if-match", "\"0\""))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.header("etag"), Some("\"1\""));
    let item = updated.json();
    assert_eq!(item["name"], "Renamed");
    assert_eq!(item["attributes"], json!({"color": "red", "price": 9.5}));
    assert!(item.get("stored_attributes").is_none(), "{item}");
    assert_eq!(item["created_at"], "2024-03-25T10:00:00.123Z");
    // Written whole in today's strict shape: no top-level `color`, our time format.
    let raw = app.stored(HANDLER_ID).await;
    assert_eq!(raw["version"], AttributeValue::N("1".into()));
    assert_eq!(raw["created_at"], s("2024-03-25T10:00:00.123Z"));
    assert!(!raw.contains_key("color") && !raw.contains_key("price"));
    assert_eq!(app.send(TestRequest::get(&path)).await.json(), item);

    let stale = app
        .send(TestRequest::put(&path, json!({"name": "Again"})).header("if-match", "\"0\""))
        .await;
    assert_eq!(
        stale.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        1
    );
    let again = app
        .send(TestRequest::put(&path, json!({"status": "archived"})).header("if-match", "\"1\""))
        .await;
    assert_eq!(again.json()["version"], 2, "then updated in place");

    let deleted = app
        .send(TestRequest::delete(&path).header("if-match", "\"2\""))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let gone = app.send(TestRequest::get(&path)).await;
    gone.assert_error(404, "ITEM_NOT_FOUND");
}

#[tokio::test]
async fn a_full_date_range_takes_in_every_original_time_form_of_its_edges() {
    let app = TestApp::spawn().await;
    let created = [
        ("first", "2024-03-25T00:00:00"), // isoformat() of a whole second: no fraction
        ("last", "2024-03-25T23:59:59Z"),
        ("before", "2024-03-24T23:59:59.999999"),
        ("after", "2024-03-26T00:00:00Z"),
    ];
    for (id, at) in created {
        let mut item = batch_item(id, "active");
        item.insert("created_at".into(), s(at));
        store(&app, item).await;
    }
    let page = app
        .send(
            TestRequest::get("/items")
                .query("status", "active")
                .query("created_from", "2024-03-25")
                .query("created_to", "2024-03-25"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let body = page.json();
    let listed: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["last", "first"], "newest first, both edges in");
}

#[tokio::test]
async fn items_of_the_batch_tool_are_read_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    store(&app, batch_item("item1", "active")).await;
    store(&app, batch_item("item2", "inactive")).await;

    let item = app.send(TestRequest::get("/items/item1")).await.json();
    assert_eq!(item["id"], "item1");
    assert!(item.get("email").is_none() && item.get("description").is_none());
    assert_eq!(item["created_at"], "2024-03-25T10:00:00.000Z");
    assert_eq!(item["updated_at"], item["created_at"]);
    assert_eq!(listed_ids(&app, "active").await, ["item1"]);
    assert_eq!(listed_ids(&app, "inactive").await, ["item2"]);

    let updated = app
        .send(
            TestRequest::put("/items/item1", json!({"status": "inactive"}))
                .header("if-match", "\"0\""),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let item = updated.json();
    assert_eq!(
        (item["version"].clone(), item["description"].clone()),
        (json!(1), json!(""))
    );
    assert!(item.get("email").is_none(), "an e-mail is never invented");
    assert_eq!(listed_ids(&app, "inactive").await.len(), 2);

    // Without If-Match too; `If-Match: "0"` deletes an item still at version 0.
    let deleted = app
        .send(TestRequest::delete("/items/item2").header("if-match", "\"0\""))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let deleted = app.send(TestRequest::delete("/items/item1")).await;
    assert_eq!(deleted.status, 204);
    assert!(listed_ids(&app, "inactive").await.is_empty());
}

#[tokio::test]
async fn setting_attributes_replaces_the_stored_ones() {
    let app = TestApp::spawn().await;
    let mut item = batch_item("item3", "active");
    item.insert("color".into(), s("red"));
    item.insert("size".into(), AttributeValue::N("3".into()));
    store(&app, item).await;
    let fetched = app.send(TestRequest::get("/items/item3")).await.json();
    assert_eq!(
        fetched["stored_attributes"],
        json!({"color": "red", "size": 3})
    );

    let updated = app
        .send(TestRequest::put(
            "/items/item3",
            json!({"attributes": {"tag": "new"}}),
        ))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["attributes"], json!({"tag": "new"}));
    let raw = app.stored("item3").await;
    assert!(!raw.contains_key("color") && !raw.contains_key("size"));
}

#[tokio::test]
async fn an_unrepresentable_item_never_breaks_a_page() {
    let app = TestApp::spawn().await;
    store(&app, batch_item("good", "active")).await;
    let mut numeric_name = batch_item("numeric-name", "active");
    numeric_name.insert("name".into(), AttributeValue::N("42".into()));
    store(&app, numeric_name).await;
    let mut not_a_time = batch_item("not-a-time", "active");
    not_a_time.insert("created_at".into(), s("sometime-secret"));
    store(&app, not_a_time).await;
    // A number a double would round: shown rounded and written back rounded before.
    let mut precise = batch_item("precise", "active");
    precise.insert(
        "account".into(),
        AttributeValue::N("12345678901234567890123".into()),
    );
    store(&app, precise).await;

    assert_eq!(listed_ids(&app, "active").await, ["good"]);
    let page = app
        .send(TestRequest::get("/items").query("limit", "1"))
        .await
        .json();
    assert!(
        page["last_key"].is_string(),
        "a page of only unrepresentable items still leads on: {page}"
    );

    let refused = app.send(TestRequest::get("/items/not-a-time")).await;
    let body = refused.assert_error(422, "UNREPRESENTABLE_ITEM");
    assert_eq!(body["fields"][0]["field"], "created_at");
    assert!(
        !refused.text().contains("sometime-secret"),
        "names, never values"
    );
    for (id, field) in [("numeric-name", "name"), ("precise", "account")] {
        let refused = app
            .send(TestRequest::put(
                format!("/items/{id}"),
                json!({"status": "archived"}),
            ))
            .await;
        assert_eq!(
            refused.assert_error(422, "UNREPRESENTABLE_ITEM")["fields"][0]["field"],
            field
        );
    }

    let deleted = app.send(TestRequest::delete("/items/numeric-name")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
}

#[tokio::test]
async fn any_path_safe_string_is_an_id() {
    let app = TestApp::spawn().await;
    store(&app, batch_item("item 1", "active")).await;
    let spaced = app.send(TestRequest::get("/items/item%201")).await;
    assert_eq!(spaced.status, 200, "{}", spaced.text());
    assert_eq!(spaced.json()["id"], "item 1");

    for unknown in [
        TestRequest::get("/items/does-not-exist-1"),
        TestRequest::put("/items/does-not-exist-1", json!({"name": "x"})),
        TestRequest::delete("/items/does-not-exist-1"),
    ] {
        app.send(unknown).await.assert_error(404, "ITEM_NOT_FOUND");
    }
    let too_long = format!("/items/{}", "x".repeat(256));
    for malformed in [
        "/items/a%2Fb",
        "/items/a%00b",
        "/items/line%0Abreak",
        "/items/%FF",
        &too_long,
    ] {
        let response = app.send(TestRequest::get(malformed)).await;
        response.assert_error(400, "INVALID_ID");
    }
}

/// The stored item is left as it was when the update is refused.
#[tokio::test]
async fn a_refused_update_leaves_the_original_item_untouched() {
    let app = TestApp::spawn().await;
    store(&app, handler_item()).await;
    let path = format!("/items/{HANDLER_ID}");
    let stale = app
        .send(TestRequest::put(&path, json!({"name": "x"})).header("if-match", "\"3\""))
        .await;
    assert_eq!(
        stale.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        0
    );
    let stale = app
        .send(TestRequest::delete(&path).header("if-match", "\"3\""))
        .await;
    assert_eq!(
        stale.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        0
    );
    assert_eq!(app.stored(HANDLER_ID).await, handler_item());
}
