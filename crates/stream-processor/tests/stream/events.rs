//! The stream samples in events/ (the shape `sam local invoke StreamProcessorFunction -e`
//! takes), each run through the processor against moto.

use std::path::Path;

use aws_lambda_events::dynamodb::Event;

use crate::support::Stack;

fn event(name: &str) -> Event {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

#[tokio::test]
async fn sample_stream_events_archive_and_notify() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "stream-insert.json",
            &["backups/2024/03/25/0f8fad5b-d9cb-469f-a165-70867728950e.json"],
        ),
        (
            "stream-modify.json",
            &["backups/2024/03/25/0f8fad5b-d9cb-469f-a165-70867728950e/v2.json"],
        ),
        (
            "stream-remove.json",
            &["backups/2024/03/26/0f8fad5b-d9cb-469f-a165-70867728950e/deleted-v2.json"],
        ),
        (
            "stream-batch.json",
            &[
                "backups/2024/03/25/0f8fad5b-d9cb-469f-a165-70867728950e.json",
                "backups/2024/03/25/0f8fad5b-d9cb-469f-a165-70867728950e/v2.json",
                "backups/2024/03/26/0f8fad5b-d9cb-469f-a165-70867728950e/deleted-v2.json",
            ],
        ),
        (
            "stream-original.json",
            &[
                "backups/2024/03/25/3b241101-e2bb-4255-8caf-4136c566a962.json",
                "backups/2024/03/25/item1/v0-200000000000000000002.json",
            ],
        ),
    ];
    for (name, keys) in cases {
        let stack = Stack::start().await;
        let event = event(name);
        let response = stack.processor().process(&event.records).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "{name}: {response:?}"
        );
        let archived: Vec<String> = stack.archive_keys().await.into_iter().collect();
        assert_eq!(archived, keys, "{name}");
        let notified = stack.notifications().await;
        assert_eq!(notified.len(), event.records.len(), "{name}");
        let ids: Vec<&str> = event
            .records
            .iter()
            .map(|r| match &r.change.keys["id"] {
                serde_dynamo::AttributeValue::S(id) => id.as_str(),
                other => panic!("{name}: key {other:?}"),
            })
            .collect();
        assert!(
            notified
                .iter()
                .all(|n| ids.contains(&n.attributes["item_id"].as_str())),
            "{name}"
        );
        if name != "stream-original.json" {
            assert!(ids.iter().all(|id| *id == ID), "{name}");
        }
    }
}

#[test]
fn every_stream_event_file_parses_as_a_dynamodb_event() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("stream-"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "stream-batch.json",
            "stream-insert.json",
            "stream-modify.json",
            "stream-original.json",
            "stream-remove.json"
        ]
    );
    for name in names {
        let event = event(&name);
        assert!(!event.records.is_empty(), "{name}");
        for record in &event.records {
            assert!(
                record
                    .event_source_arn
                    .as_deref()
                    .is_some_and(|arn| arn.contains(":table/")),
                "{name}"
            );
            stream_processor::record::decode(record).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
