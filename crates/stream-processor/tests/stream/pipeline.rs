use std::collections::BTreeSet;

use domain::Item;
use serde_json::{Value, json};

use crate::support::{Stack, expected_key, sequence_numbers};

#[tokio::test]
async fn every_change_is_archived_then_notified() {
    let stack = Stack::start().await;
    let a = stack.create("Alice").await;
    let b = stack.create("Bob").await;
    stack
        .update(
            a.id.clone(),
            json!({"name": "Alicia", "status": "archived"}),
        )
        .await;
    stack.delete(b.id.clone()).await;

    let event = stack.stream_event().await;
    let names: Vec<&str> = event
        .records
        .iter()
        .map(|r| r.event_name.as_str())
        .collect();
    assert_eq!(names, ["INSERT", "INSERT", "MODIFY", "REMOVE"]);
    assert!(
        event
            .records
            .iter()
            .all(|r| r.event_source_arn.as_deref() == Some(stack.stream_arn.as_str()))
    );

    let response = stack.processor().process(&event.records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let r = &event.records;
    let expected: BTreeSet<String> = [
        expected_key(&r[0], &format!("{}.json", a.id)),
        expected_key(&r[1], &format!("{}.json", b.id)),
        expected_key(&r[2], &format!("{}/v2.json", a.id)),
        expected_key(&r[3], &format!("{}/deleted-v1.json", b.id)),
    ]
    .into();
    assert_eq!(stack.archive_keys().await, expected);

    // The tombstone holds the last version: enough to restore the deleted item. An object
    // is the item itself (as the original's backups were), the change in its metadata.
    let tombstone_key = expected_key(&r[3], &format!("{}/deleted-v1.json", b.id));
    let restored: Item =
        serde_json::from_value(stack.archive_object(&tombstone_key).await).unwrap();
    assert_eq!(restored, b);
    let metadata = stack.archive_metadata(&tombstone_key).await;
    assert_eq!(metadata["event-type"], "deleted");
    assert_eq!(metadata["event-id"], r[3].event_id);
    assert_eq!(
        metadata["sequence-number"],
        r[3].change.sequence_number.clone().unwrap()
    );
    assert!(!metadata.contains_key("unrepresentable"));
    let v2 = stack
        .archive_object(&expected_key(&r[2], &format!("{}/v2.json", a.id)))
        .await;
    assert_eq!(v2["name"], "Alicia");
    assert_eq!(v2["version"], 2);

    let sent = stack.notifications().await;
    assert_eq!(sent.len(), 4);
    let subjects: BTreeSet<Option<&str>> = sent.iter().map(|n| n.subject.as_deref()).collect();
    assert_eq!(
        subjects,
        [
            Some("Item created"),
            Some("Item deleted"),
            Some("Item updated")
        ]
        .into()
    );
    for notification in &sent {
        assert_eq!(notification.topic_arn, stack.topic_arn);
        assert!(
            !notification.message.contains("example.com"),
            "no e-mail in {}",
            notification.message
        );
        assert!(
            !notification.message.contains("Ali"),
            "no field values in {}",
            notification.message
        );
        let message: Value = serde_json::from_str(&notification.message).unwrap();
        assert_eq!(notification.attributes["event_type"], message["event_type"]);
        assert_eq!(notification.attributes["item_id"], message["item_id"]);
        assert_eq!(notification.attributes["status"], message["status"]);
        assert_eq!(notification.attributes["event_id"], message["event_id"]);
        assert_eq!(
            notification.attributes["version"],
            message["version"].to_string()
        );
        assert!(
            stack
                .archive_keys()
                .await
                .contains(message["archive_key"].as_str().unwrap())
        );
    }
    let update = sent
        .iter()
        .find(|n| n.attributes["event_type"] == "updated")
        .unwrap();
    let update: Value = serde_json::from_str(&update.message).unwrap();
    assert_eq!(update["changed_fields"], json!(["name", "status"]));
    assert_eq!(update["status"], "archived");
    assert_eq!(update["item_id"], a.id.to_string());
}

#[tokio::test]
async fn a_replayed_batch_writes_no_second_object() {
    let stack = Stack::start().await;
    let a = stack.create("Alice").await;
    stack.update(a.id, json!({"description": "more"})).await;
    let event = stack.stream_event().await;
    let processor = stack.processor();

    assert!(
        processor
            .process(&event.records)
            .await
            .batch_item_failures
            .is_empty()
    );
    let first = stack.archive_versions().await;
    assert!(
        processor
            .process(&event.records)
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(
        stack.archive_versions().await,
        first,
        "same keys, one version each, in a versioned bucket"
    );
    assert!(first.values().all(|versions| *versions == 1));

    // Notifications are at least once: a replay repeats them with the same event_id.
    let counts = stack.notification_counts().await;
    let event_ids: BTreeSet<String> = event.records.iter().map(|r| r.event_id.clone()).collect();
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), event_ids);
    assert!(counts.values().all(|n| *n == 2), "{counts:?}");
}

#[tokio::test]
async fn an_empty_batch_succeeds() {
    let stack = Stack::start().await;
    let response = stack.processor().process(&[]).await;
    assert!(sequence_numbers(&response).is_empty());
}
