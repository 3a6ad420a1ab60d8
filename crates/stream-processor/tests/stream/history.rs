//! The history step on real records: every change one entry, a restore recorded as
//! `restored`, and a replayed batch writing nothing twice.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::{HISTORY, Stack, TABLE, expected_key};

fn entries(history: &[(u64, String, String)]) -> Vec<(u64, &str)> {
    history.iter().map(|(v, e, _)| (*v, e.as_str())).collect()
}

#[tokio::test]
async fn every_change_is_one_entry_and_a_restore_is_recorded_as_restored() {
    let stack = Stack::start().await;
    let a = stack.create("Ann").await;
    stack
        .update(a.id.clone(), json!({"status": "inactive"}))
        .await;
    stack.delete(a.id.clone()).await;
    let response = stack
        .processor()
        .process(&stack.stream_event().await.records)
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    // The API's restore (one conditional write), then a plain update after it.
    let restored = stack.restore_deleted(a.id.clone(), Some(1)).await;
    assert_eq!(restored.version, 3);
    stack.update(a.id.clone(), json!({"name": "Anna"})).await;

    // The whole stream again: the first three records are a replay.
    let records = stack.stream_event().await.records;
    assert_eq!(records.len(), 5);
    for _ in 0..2 {
        let response = stack.processor().process(&records).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let history = stack.history(&a.id).await;
    assert_eq!(
        entries(&history),
        [
            (1, "created"),
            (2, "updated"),
            (2, "deleted"),
            (3, "restored"),
            (4, "updated")
        ],
        "oldest first, each once"
    );
    let event_ids: Vec<&str> = history.iter().map(|(_, _, id)| id.as_str()).collect();
    let stream_ids: Vec<&str> = records.iter().map(|r| r.event_id.as_str()).collect();
    assert_eq!(event_ids, stream_ids, "each entry from its own record");

    // The restore re-created the item on the day it was created: its archive object is its
    // own (the create's key is taken), and archive and notification call it a restore.
    let key = |n: usize, suffix: &str| expected_key(&records[n], &format!("{}{suffix}", a.id));
    let expected: BTreeSet<String> = [
        key(0, ".json"),
        key(1, "/v2.json"),
        key(2, "/deleted-v2.json"),
        key(3, "/v3.json"),
        key(4, "/v4.json"),
    ]
    .into();
    assert_eq!(stack.archive_keys().await, expected);
    let restored = stack.archive_object(&key(3, "/v3.json")).await;
    assert_eq!(
        (restored["version"].as_u64(), restored["name"].as_str()),
        (Some(3), Some("Ann"))
    );
    assert_eq!(
        stack.archive_metadata(&key(3, "/v3.json")).await["event-type"],
        "restored"
    );
    let restore_notes: Vec<_> = stack
        .notifications()
        .await
        .into_iter()
        .filter(|n| n.attributes["event_type"] == "restored")
        .collect();
    assert!(!restore_notes.is_empty());
    assert!(
        restore_notes
            .iter()
            .all(|n| n.subject.as_deref() == Some("Item restored"))
    );
}

/// An item another tool stored close to DynamoDB's 400 KB limit (the API refuses to write
/// one: its extra fields would have to fit in `attributes`): an entry with the image inline
/// would be refused, the record retried to the dead-letter queue and its notification lost,
/// so the image is kept gzipped, and the API reads it back whole.
#[tokio::test]
async fn an_item_close_to_the_size_limit_has_its_entries_with_the_image_compressed() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use domain::{HistoryEvent, history};
    use items_api::store::ItemStore;

    let stack = Stack::start().await;
    // 409 386 bytes: the item is just under the limit (409 600 bytes), its entry just over.
    let notes = "An original item's long notes. ".repeat(13_206);
    let s = |text: &str| AttributeValue::S(text.into());
    for (version, status) in [("1", "active"), ("2", "inactive")] {
        let item = [
            ("id", s("big")),
            ("name", s("Big")),
            ("status", s(status)),
            ("created_at", s("2024-03-25T10:00:00Z")),
            ("version", AttributeValue::N(version.into())),
            ("notes", s(&notes)),
        ];
        stack.put_raw(item).await;
    }

    let records = stack.stream_event().await.records;
    let response = stack.processor().process(&records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let id = domain::ItemId::parse("big").unwrap();
    assert_eq!(
        entries(&stack.history(&id).await),
        [(1, "created"), (2, "updated")]
    );
    let seq = history::seq(2, HistoryEvent::Updated).unwrap().to_string();
    let get = stack.dynamo.client().get_item().table_name(HISTORY);
    let stored = get
        .key("id", s("big"))
        .key("seq", AttributeValue::N(seq))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!stored.contains_key("item"), "{:?}", stored.keys());
    let gzipped = stored["item_gzip"].as_b().unwrap().as_ref().len();
    assert!(gzipped < 20_000, "{gzipped} bytes");

    // The API reads the image back whole.
    let entry = stack.store.version(id, 2).await.unwrap().unwrap();
    let image = entry.image.unwrap();
    assert_eq!(image["notes"].as_s().unwrap(), &notes);
    assert_eq!(image["status"].as_s().unwrap(), "inactive");
    assert_eq!(
        image["version"],
        AttributeValue::N("2".into()),
        "a number still"
    );
    assert_eq!(
        stack.notifications().await.len(),
        2,
        "both changes notified"
    );
}

/// The history keeps an image exactly as stored: a number JSON cannot hold exactly stays that
/// number, and our marks stay with it, so a restore writes back what was stored. Before, the
/// entry was made from the archive's JSON document: `0.30000000000000004` (17 significant
/// digits) came back from a restore as the string `"0.30000000000000004"`, and a keyed
/// create's fingerprint was lost, so a retry of that create answered 422 instead of a replay.
#[tokio::test]
async fn entries_keep_the_image_as_stored_and_a_restore_writes_it_back() {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::AttributeValue;
    use domain::{HistoryEvent, REQUEST_FINGERPRINT, history};

    let stack = Stack::start().await;
    let (s, n) = (
        |text: &str| AttributeValue::S(text.into()),
        |text: &str| AttributeValue::N(text.into()),
    );
    let attributes = HashMap::from([
        ("x".to_string(), n("0.30000000000000004")),
        ("big".to_string(), n("100000000000000000000")),
    ]);
    let stored: HashMap<String, AttributeValue> = [
        ("id", s("exact")),
        ("name", s("Exact")),
        ("status", s("active")),
        ("created_at", s("2024-03-25T10:00:00.000Z")),
        ("updated_at", s("2024-03-25T10:00:00.000Z")),
        ("version", n("1")),
        ("attributes", AttributeValue::M(attributes.clone())),
        (REQUEST_FINGERPRINT, s("201 d2f1")),
    ]
    .map(|(name, value)| (name.to_string(), value))
    .into();
    stack.put_raw(stored.clone()).await;
    let client = stack.dynamo.client();
    client
        .delete_item()
        .table_name(TABLE)
        .key("id", s("exact"))
        .send()
        .await
        .unwrap();
    let response = stack
        .processor()
        .process(&stack.stream_event().await.records)
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    for event in [HistoryEvent::Created, HistoryEvent::Deleted] {
        let seq = history::seq(1, event).unwrap().to_string();
        let get = client.get_item().table_name(HISTORY).key("id", s("exact"));
        let entry = get.key("seq", n(&seq)).send().await.unwrap().item.unwrap();
        assert_eq!(
            entry["item"],
            AttributeValue::M(stored.clone()),
            "{event:?}"
        );
    }

    let id = domain::ItemId::parse("exact").unwrap();
    let restored = stack.restore_deleted(id, Some(1)).await;
    assert_eq!(restored.version, 2);
    let get = client.get_item().table_name(TABLE).key("id", s("exact"));
    let now = get.send().await.unwrap().item.unwrap();
    assert_eq!(now["attributes"], AttributeValue::M(attributes));
    assert_eq!(now[REQUEST_FINGERPRINT], s("201 d2f1"));
}

/// An item near the limit whose bulk is binary (another tool's): gzip cannot shrink it, so
/// even the compressed entry was over 400 KB, refused by DynamoDB on every retry until the
/// dead-letter queue, and the change was never notified. The entry is now kept without its
/// image (its archive object has it) and the API calls that version unrepresentable, as it
/// would call the item.
#[tokio::test]
async fn a_version_too_large_even_compressed_is_recorded_without_its_image() {
    use aws_sdk_dynamodb::{primitives::Blob, types::AttributeValue};
    use items_api::{ApiError, store::ItemStore};

    let stack = Stack::start().await;
    // 390 KiB that do not compress (xorshift bytes).
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..390 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let s = |text: &str| AttributeValue::S(text.into());
    let item = [
        ("id", s("photo")),
        ("name", s("Photo")),
        ("status", s("active")),
        ("created_at", s("2024-03-25T10:00:00Z")),
        ("version", AttributeValue::N("1".into())),
        ("bytes", AttributeValue::B(Blob::new(noise))),
    ];
    stack.put_raw(item).await;

    let records = stack.stream_event().await.records;
    let response = stack.processor().process(&records).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let id = domain::ItemId::parse("photo").unwrap();
    assert_eq!(entries(&stack.history(&id).await), [(1, "created")]);
    assert_eq!(stack.notifications().await.len(), 1, "notified");
    let entry = stack.store.version(id, 1).await.unwrap().unwrap();
    assert!(matches!(
        entry.into_image(),
        Err(ApiError::Unrepresentable(fields)) if fields[0].field == "item"
    ));
}
