//! Items as the original Python service and its tools stored them, through the real stream
//! processor: each shape archived as stored (its fields at the top level, the change in the
//! object's metadata) and notified; one that cannot be represented too; a record that can
//! never be processed quarantined while its batch moves on.

use std::collections::HashMap;

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::ItemId;
use serde_json::{Value, json};

use crate::support::{Stack, TABLE, expected_key, sequence_numbers};

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// One of the items the original service and its tools stored, as plain JSON: `handler`,
/// `batch_tool` or `unrepresentable` (fixtures/README.md).
fn original_json(shape: &str) -> Value {
    let shapes: Value =
        serde_json::from_str(include_str!("../../../../fixtures/original-items.json")).unwrap();
    shapes[shape].clone()
}

/// The same as DynamoDB stores it, under another id.
fn original(shape: &str, id: &str) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(original_json(shape)).unwrap();
    item.insert("id".into(), s(id));
    item
}

#[tokio::test]
async fn original_items_are_archived_as_stored_and_notified() {
    let stack = Stack::start().await;
    let handler = original_json("handler");
    let handler_id = handler["id"].as_str().unwrap();
    let odd_id = "item1";
    stack.put_raw(original("handler", handler_id)).await;
    stack.put_raw(original("unrepresentable", odd_id)).await;
    // The first write through the API: version 0 becomes 1, `color` moves into attributes.
    let id = ItemId::parse(handler_id).unwrap();
    stack
        .update(id.clone(), json!({"status": "inactive"}))
        .await;
    stack.delete(id).await;
    let mut changed = original("unrepresentable", odd_id);
    changed.insert("name".into(), AttributeValue::N("43".into()));
    stack.put_raw(changed).await;
    stack.put_raw(original("batch_tool", "item2")).await;
    // Its first write through the API makes it whole (version 1); then it is deleted.
    let batch_id = ItemId::parse("item2").unwrap();
    stack
        .update(batch_id.clone(), json!({"name": "Renamed"}))
        .await;
    stack.delete(batch_id).await;

    let records = stack.stream_event().await.records;
    assert_eq!(records.len(), 8);
    let response = stack.processor().process(&records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let key = |n: usize, suffix: &str| expected_key(&records[n], suffix);
    let created = stack
        .archive_object(&key(0, &format!("{handler_id}.json")))
        .await;
    assert_eq!(
        created, handler,
        "the original's backup shape: the item as stored"
    );
    let updated = stack
        .archive_object(&key(2, &format!("{handler_id}/v1.json")))
        .await;
    assert_eq!(updated["status"], "inactive");
    assert_eq!(updated["attributes"], json!({"color": "red", "price": 9.5}));
    assert_eq!(updated["created_at"], "2024-03-25T10:00:00.123Z");
    let tombstone = key(3, &format!("{handler_id}/deleted-v1.json"));
    assert_eq!(
        stack.archive_metadata(&tombstone).await["event-type"],
        "deleted"
    );

    // The unrepresentable item: archived as stored, the attribute at fault in metadata.
    let odd_key = key(1, &format!("{odd_id}.json"));
    assert_eq!(stack.archive_object(&odd_key).await["name"], 42);
    let metadata = stack.archive_metadata(&odd_key).await;
    assert_eq!(
        (
            metadata["event-type"].as_str(),
            metadata["unrepresentable"].as_str()
        ),
        ("created", "name")
    );
    // Changed by another tool, without a version: an object per change, named by its record.
    let sequence = records[4].change.sequence_number.clone().unwrap();
    let odd_update = stack
        .archive_object(&key(4, &format!("{odd_id}/v0-{sequence}.json")))
        .await;
    assert_eq!(odd_update["name"], 43);

    let batch = stack.archive_object(&key(5, "item2.json")).await;
    assert_eq!(
        (
            batch["id"].as_str(),
            batch.get("email"),
            batch.get("version")
        ),
        (Some("item2"), None, None),
        "as the tool stored it"
    );
    let renamed = stack.archive_object(&key(6, "item2/v1.json")).await;
    assert_eq!(
        (
            renamed["name"].as_str(),
            renamed["version"].as_u64(),
            renamed["description"].as_str(),
            renamed.get("email")
        ),
        (Some("Renamed"), Some(1), Some(""), None),
        "the strict shape, no e-mail invented"
    );
    let tombstone = key(7, "item2/deleted-v1.json");
    assert_eq!(
        stack.archive_metadata(&tombstone).await["event-type"],
        "deleted"
    );

    let sent = stack.notifications().await;
    assert_eq!(sent.len(), records.len());
    let batch_message = sent
        .iter()
        .find(|n| n.attributes["item_id"] == "item2" && n.attributes["event_type"] == "created")
        .unwrap();
    assert_eq!(batch_message.attributes["version"], "0");
    let batch_message: Value = serde_json::from_str(&batch_message.message).unwrap();
    assert_eq!(
        (
            &batch_message["version"],
            &batch_message["status"],
            batch_message.get("unrepresentable")
        ),
        (&json!(0), &json!("active"), None)
    );
    let odd: Vec<Value> = sent
        .iter()
        .filter(|n| n.attributes["item_id"] == odd_id)
        .map(|n| serde_json::from_str(&n.message).unwrap())
        .collect();
    assert_eq!(odd.len(), 2);
    assert!(odd.iter().all(|m| m["unrepresentable"] == json!(["name"])));
    assert!(odd.iter().all(|m| m["status"] == "active"));
    let odd_changed = odd.iter().find(|m| m["event_type"] == "updated").unwrap();
    assert_eq!(odd_changed["changed_fields"], json!(["name"]));
    assert!(!sent.iter().any(|n| n.message.contains("example.com")));
}

/// Where a poison record must go: named by its event id, dated by its change.
pub fn quarantine_key(record: &EventRecord) -> String {
    let date = record
        .change
        .approximate_creation_date_time
        .format("%Y/%m/%d");
    format!("quarantine/{date}/{}.json", record.event_id)
}

/// An item of the original service (version 0) deleted and restored: the restore re-creates
/// it at version 1, an insert like a create, yet its archive object must be its own, not the
/// create's key (taken, and kept by `If-None-Match`), which its history entry would name.
#[tokio::test]
async fn a_restored_original_item_has_its_own_archive_object() {
    let stack = Stack::start().await;
    let handler = original_json("handler");
    let id = ItemId::parse(handler["id"].as_str().unwrap()).unwrap();
    stack.put_raw(original("handler", id.as_str())).await;
    stack.delete(id.clone()).await;
    let first = stack.stream_event().await.records;
    let response = stack.processor().process(&first).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    assert_eq!(stack.restore_deleted(id.clone(), None).await.version, 1);
    let records = stack.stream_event().await.records;
    let response = stack.processor().process(&records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let key = |n: usize, suffix: &str| expected_key(&records[n], &format!("{id}{suffix}"));
    let keys = stack.archive_keys().await;
    let expected = [
        key(0, ".json"),
        key(1, "/deleted-v0.json"),
        key(2, "/v1.json"),
    ];
    assert_eq!(keys, expected.clone().into());
    assert_eq!(stack.archive_object(&expected[0]).await, handler);
    let object = stack.archive_object(&expected[2]).await;
    assert_eq!(
        (object["version"].as_u64(), object["name"].as_str()),
        (Some(1), Some("Widget"))
    );
    assert_eq!(
        stack.archive_metadata(&expected[2]).await["event-type"],
        "restored"
    );
    let history = stack.history(&id).await;
    let events: Vec<(u64, &str)> = history.iter().map(|(v, e, _)| (*v, e.as_str())).collect();
    assert_eq!(events, [(0, "created"), (0, "deleted"), (1, "restored")]);
}

#[tokio::test]
async fn a_poison_record_is_quarantined_and_its_batch_moves_on() {
    let stack = Stack::start().await;
    let a = stack.create("Ann").await;
    let b = stack.create("Ben").await;
    stack.update(b.id.clone(), json!({"name": "Benno"})).await;
    let mut records = stack.stream_event().await.records;
    records[1].event_name = "UPSERT".into();
    records[0].change.keys.clear();

    for delivery in ["first", "replayed"] {
        let response = stack.processor().process(&records).await;
        assert!(
            sequence_numbers(&response).is_empty(),
            "{delivery}: {response:?}"
        );
    }

    let keys = stack.archive_versions().await;
    let quarantined = [quarantine_key(&records[0]), quarantine_key(&records[1])];
    for key in &quarantined {
        assert_eq!(
            keys.get(key),
            Some(&1),
            "{key} once, replay included: {keys:?}"
        );
    }
    assert!(!keys.keys().any(|k| k.contains(&a.id.to_string())));
    let update_key = expected_key(&records[2], &format!("{}/v2.json", b.id));
    assert!(
        keys.contains_key(&update_key),
        "b's later record went on: {keys:?}"
    );

    let object = stack.archive_object(&quarantined[1]).await;
    assert_eq!(object["reason"], r#"unknown stream event name "UPSERT""#);
    assert_eq!(object["record"]["eventName"], "UPSERT");
    assert_eq!(object["record"]["eventID"], records[1].event_id);
    assert_eq!(
        stack.archive_metadata(&quarantined[0]).await["reason"],
        "keys do not hold an item id"
    );
}

/// Another tool's writes that the API's key layout did not foresee. An update that leaves
/// `version` as it was met the object of the change that made that version (If-None-Match
/// then took it for archived: no object of its own, and a notification naming the other
/// change's object); an id of 255 four-byte characters made a key over S3's 1024 bytes,
/// refused on every retry until the dead-letter queue.
#[tokio::test]
async fn other_tools_unversioned_updates_and_long_ids_get_objects_of_their_own() {
    let stack = Stack::start().await;
    let item = stack.create("Ann").await;
    let id = item.id.to_string();
    let client = stack.dynamo.client();
    client
        .update_item()
        .table_name(TABLE)
        .key("id", s(&id))
        .update_expression("SET color = :c")
        .expression_attribute_values(":c", s("blue"))
        .send()
        .await
        .unwrap();
    let long_id = "\u{1F600}".repeat(255);
    let mut long = original("handler", &long_id);
    long.insert("name".into(), s("Long"));
    stack.put_raw(long).await;

    let records = stack.stream_event().await.records;
    let response = stack.processor().process(&records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sequence = records[1].change.sequence_number.clone().unwrap();
    let tool_key = expected_key(&records[1], &format!("{id}/v1-{sequence}.json"));
    let keys = stack.archive_keys().await;
    assert!(keys.contains(&expected_key(&records[0], &format!("{id}.json"))));
    assert!(keys.contains(&tool_key), "{keys:?}");
    assert_eq!(stack.archive_object(&tool_key).await["color"], "blue");
    assert_eq!(keys.len(), 3, "{keys:?}");
    let long_key = keys
        .iter()
        .find(|k| k.contains('\u{1F600}'))
        .expect("the long id's object");
    assert!(long_key.len() <= 1024, "{} bytes", long_key.len());
    assert!(long_key.contains(&"\u{1F600}".repeat(32)), "{long_key}");
    assert_eq!(stack.archive_object(long_key).await["name"], "Long");
    let notified: Vec<String> = stack
        .notifications()
        .await
        .iter()
        .map(|n| serde_json::from_str::<Value>(&n.message).unwrap()["archive_key"].to_string())
        .collect();
    assert!(
        notified.contains(&format!("\"{tool_key}\"")),
        "{notified:?}"
    );
}
