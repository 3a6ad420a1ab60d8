//! History and restore through the real handler. The stream processor writes the history in
//! production (its tests and the devstack end-to-end test cover that); here each change's
//! entry is written the way it writes them, from the item as the table holds it, so the
//! routes are tested on their own.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{HistoryEvent, history};
use serde_json::{Value, json};

use crate::support::{HISTORY_TABLE, TABLE, TestApp, TestRequest};

type Attributes = HashMap<String, AttributeValue>;

/// Writes the history entry of a change whose image is `image`.
pub async fn record(app: &TestApp, image: Attributes, event: HistoryEvent, changed: &[&str]) {
    let id = image["id"].as_s().unwrap().clone();
    let version: u64 = image["version"].as_n().unwrap().parse().unwrap();
    let n = |value: u64| AttributeValue::N(value.to_string());
    let s = |value: &str| AttributeValue::S(value.into());
    let key = format!("backups/2024/03/25/{id}/{event}-v{version}.json");
    app.dynamo
        .client()
        .put_item()
        .table_name(HISTORY_TABLE)
        .item(history::entry::ID, s(&id))
        .item(
            history::entry::SEQ,
            n(history::seq(version, event).unwrap()),
        )
        .item(history::entry::VERSION, n(version))
        .item(history::entry::EVENT, s(event.as_str()))
        .item(history::entry::AT, s("2024-03-25T05:00:00.123Z"))
        .item(
            history::entry::CHANGED_FIELDS,
            AttributeValue::L(changed.iter().map(|f| s(f)).collect()),
        )
        .item(history::entry::ITEM, AttributeValue::M(image))
        .item(history::entry::ARCHIVE_KEY, s(&key))
        .item(
            history::entry::EVENT_ID,
            s(&format!("{id}-{event}-{version}")),
        )
        .send()
        .await
        .unwrap();
}

/// Created as Widget, renamed Gadget (v2), archived (v3), each recorded; the item's id.
pub async fn three_versions(app: &TestApp) -> String {
    let id = app.create("Widget", "w@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    record(app, app.stored(&id).await, HistoryEvent::Created, &[]).await;
    for (patch, field) in [
        (json!({"name": "Gadget"}), "name"),
        (json!({"status": "archived"}), "status"),
    ] {
        let updated = app
            .send(TestRequest::put(format!("/items/{id}"), patch))
            .await;
        assert_eq!(updated.status, 200);
        record(app, app.stored(&id).await, HistoryEvent::Updated, &[field]).await;
    }
    id
}

/// Records the item's creation, as the stream would (for the fuzzer's seeded items).
pub async fn record_created(app: &TestApp, id: &str) {
    record(app, app.stored(id).await, HistoryEvent::Created, &[]).await;
}

/// Deletes the item and records the deletion, as the stream would.
pub async fn delete_recorded(app: &TestApp, id: &str) {
    let last = app.stored(id).await;
    let deleted = app.send(TestRequest::delete(format!("/items/{id}"))).await;
    assert_eq!(deleted.status, 204);
    record(app, last, HistoryEvent::Deleted, &[]).await;
}

fn summary(entry: &Value) -> (u64, String) {
    (
        entry["version"].as_u64().unwrap(),
        entry["event"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn versions_are_listed_newest_first_in_pages_even_after_the_delete() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    delete_recorded(&app, &id).await;

    let mut seen = Vec::new();
    let mut request = TestRequest::get(format!("/items/{id}/versions")).query("limit", "3");
    loop {
        let page = app.send(request.clone()).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let body = page.json();
        let versions = body["versions"].as_array().unwrap();
        assert_eq!(body["count"], versions.len());
        seen.extend(versions.iter().map(summary));
        match body["last_key"].as_str() {
            Some(key) => {
                request = TestRequest::get(format!("/items/{id}/versions"))
                    .query("limit", "3")
                    .query("last_key", key)
            }
            None => break,
        }
    }
    let expected = [
        (3, "deleted"),
        (3, "updated"),
        (2, "updated"),
        (1, "created"),
    ];
    let expected: Vec<(u64, String)> = expected.iter().map(|(v, e)| (*v, e.to_string())).collect();
    assert_eq!(seen, expected);

    let first = app
        .send(TestRequest::get(format!("/items/{id}/versions")))
        .await
        .json();
    assert_eq!(first["versions"][1]["changed_fields"], json!(["status"]));
    assert_eq!(first["versions"][0]["at"], "2024-03-25T05:00:00.123Z");
    assert!(first.get("last_key").is_none(), "{first}");
}

#[tokio::test]
async fn without_a_limit_a_page_holds_twenty_versions() {
    let app = TestApp::spawn().await;
    let id = app.create("Widget", "w@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let image = app.stored(&id).await;
    record(&app, image.clone(), HistoryEvent::Created, &[]).await;
    for version in 2..=25u64 {
        let mut image = image.clone();
        image.insert("version".into(), AttributeValue::N(version.to_string()));
        record(&app, image, HistoryEvent::Updated, &["name"]).await;
    }
    let path = format!("/items/{id}/versions");
    let first = app.send(TestRequest::get(&path)).await.json();
    let versions: Vec<u64> = first["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (6..=25).rev().collect::<Vec<_>>());
    let key = first["last_key"].as_str().expect("a next page");
    let rest = app
        .send(TestRequest::get(&path).query("last_key", key))
        .await
        .json();
    assert_eq!(rest["count"], 5);
    assert!(rest.get("last_key").is_none(), "{rest}");
}

#[tokio::test]
async fn versions_refuse_unknown_ids_bad_limits_and_foreign_cursors() {
    let app = TestApp::spawn().await;
    let a = three_versions(&app).await;
    let b = three_versions(&app).await;
    app.send(TestRequest::get("/items/no-such-item/versions"))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    for limit in ["0", "101", "x"] {
        app.send(TestRequest::get(format!("/items/{a}/versions")).query("limit", limit))
            .await
            .assert_error(400, "INVALID_QUERY_PARAMETER");
    }
    let page = app
        .send(TestRequest::get(format!("/items/{a}/versions")).query("limit", "1"))
        .await
        .json();
    let cursor = page["last_key"].as_str().unwrap();
    app.send(TestRequest::get(format!("/items/{b}/versions")).query("last_key", cursor))
        .await
        .assert_error(400, "INVALID_CURSOR");
    app.send(TestRequest::get("/items").query("last_key", cursor))
        .await
        .assert_error(400, "INVALID_CURSOR");
}

#[tokio::test]
async fn a_version_is_the_item_as_it_was_with_a_presigned_archive_url() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    let response = app
        .send(TestRequest::get(format!("/items/{id}/versions/2")))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(summary(&body), (2, "updated".into()));
    assert_eq!(body["item"]["name"], "Gadget");
    assert_eq!(body["item"]["status"], "active");
    assert_eq!(body["item"]["version"], 2);
    let url = body["archive_url"].as_str().unwrap();
    let object = format!(
        "https://items-archive-test.s3.us-east-1.amazonaws.com/backups/2024/03/25/{id}/updated-v2.json?"
    );
    assert!(url.starts_with(&object), "{url}");
    assert!(url.contains("X-Amz-Expires=900&"), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");

    // A deleted version answers with its deletion: the last image before it.
    delete_recorded(&app, &id).await;
    let deleted = app
        .send(TestRequest::get(format!("/items/{id}/versions/3")))
        .await
        .json();
    assert_eq!(summary(&deleted), (3, "deleted".into()));
    assert_eq!(deleted["item"]["status"], "archived");

    // Also versions too large for a history key (above u64::MAX / 2), once a panic.
    let too_large = ["9223372036854775808", "18446744073709551615"];
    for missing in ["4", "0", "-1", "two", "99999999999999999999999"]
        .into_iter()
        .chain(too_large)
    {
        app.send(TestRequest::get(format!("/items/{id}/versions/{missing}")))
            .await
            .assert_error(404, "VERSION_NOT_FOUND");
    }
    // An id without any history: the item is not found, as on `/versions`.
    for version in ["1", "two"] {
        app.send(TestRequest::get(format!(
            "/items/no-such-item/versions/{version}"
        )))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    }
}

fn event(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[tokio::test]
async fn sample_history_events_list_read_and_restore_their_item() {
    const EVENT_ITEM_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let app = TestApp::spawn().await;
    let created = app.create("Widget", "w@example.com").await;
    let mut item: domain::Item = serde_json::from_value(created).unwrap();
    item.id = domain::ItemId::parse(EVENT_ITEM_ID).unwrap();
    let attributes: Attributes = serde_dynamo::to_item(&item).unwrap();
    app.dynamo
        .client()
        .put_item()
        .table_name(TABLE)
        .set_item(Some(attributes))
        .send()
        .await
        .unwrap();
    record(
        &app,
        app.stored(EVENT_ITEM_ID).await,
        HistoryEvent::Created,
        &[],
    )
    .await;
    delete_recorded(&app, EVENT_ITEM_ID).await;

    let listed = app.send_event(event("list-versions.json")).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["count"], 2);
    let version = app.send_event(event("get-version.json")).await;
    assert_eq!(version.status, 200, "{}", version.text());
    assert_eq!(version.json()["item"]["name"], "Widget");
    let restored = app.send_event(event("restore-item.json")).await;
    assert_eq!(restored.status, 201, "{}", restored.text());
    assert_eq!(restored.json()["version"], 2);
    let replayed = app.send_event(event("restore-item.json")).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
}
