//! SNS notifications: one per change, published ten per `PublishBatch` call. The message
//! names the item and what changed, never field values (no e-mail address, no name).
//! Message attributes let subscribers filter (`event_type`, `item_id`, `status`) and
//! deduplicate (`event_id`: the same on every delivery of the same change).

use std::collections::HashMap;

use aws_sdk_sns::{
    Client,
    types::{MessageAttributeValue, PublishBatchRequestEntry},
};
use domain::ItemChange;
use serde::Serialize;

use crate::{
    archive::{event_type, subject_item},
    record::ChangeRecord,
};

/// SNS accepts at most ten entries per PublishBatch.
pub const BATCH_LIMIT: usize = 10;

#[derive(Clone)]
pub struct Notifier {
    client: Client,
    topic_arn: String,
}

/// The message body subscribers receive.
#[derive(Debug, Serialize)]
pub struct Notification<'a> {
    pub event_type: &'static str,
    pub item_id: String,
    pub version: u64,
    pub status: &'static str,
    /// Names of the fields an update changed; empty for creates and deletes.
    pub changed_fields: Vec<&'static str>,
    pub changed_at: String,
    pub event_id: &'a str,
    pub sequence_number: &'a str,
    /// Where the archive object of this change is.
    pub archive_key: &'a str,
}

pub fn subject(change: &ItemChange) -> &'static str {
    match change {
        ItemChange::Created(_) => "Item created",
        ItemChange::Updated { .. } => "Item updated",
        ItemChange::Deleted(_) => "Item deleted",
    }
}

pub fn notification<'a>(record: &'a ChangeRecord, archive_key: &'a str) -> Notification<'a> {
    let item = subject_item(&record.change);
    Notification {
        event_type: event_type(&record.change),
        item_id: item.id.to_string(),
        version: item.version,
        status: item.status.as_str(),
        changed_fields: record.change.changed_fields(),
        changed_at: domain::Timestamp::from_datetime(record.changed_at).to_string(),
        event_id: &record.event_id,
        sequence_number: &record.sequence_number,
        archive_key,
    }
}

fn attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("data type is set")
}

fn entry(n: usize, record: &ChangeRecord, archive_key: &str) -> PublishBatchRequestEntry {
    let message = notification(record, archive_key);
    let attributes = HashMap::from([
        ("event_type".to_string(), attribute(message.event_type)),
        ("item_id".to_string(), attribute(&message.item_id)),
        ("status".to_string(), attribute(message.status)),
        ("event_id".to_string(), attribute(&record.event_id)),
    ]);
    PublishBatchRequestEntry::builder()
        .id(format!("m{n}"))
        .subject(subject(&record.change))
        .message(serde_json::to_string(&message).expect("notifications serialize"))
        .set_message_attributes(Some(attributes))
        .build()
        .expect("id and message are set")
}

impl Notifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// Publishes at most [`BATCH_LIMIT`] notifications in one call; the result of each, in order.
    pub async fn publish_batch(
        &self,
        changes: &[(&ChangeRecord, &str)],
    ) -> Vec<Result<(), String>> {
        debug_assert!(changes.len() <= BATCH_LIMIT);
        let entries = changes
            .iter()
            .enumerate()
            .map(|(n, (record, key))| entry(n, record, key))
            .collect();
        let output = self
            .client
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await;
        match output {
            Err(error) => {
                let reason = format!(
                    "SNS PublishBatch: {}",
                    aws_sdk_sns::error::DisplayErrorContext(&error)
                );
                vec![Err(reason); changes.len()]
            }
            Ok(output) => {
                let failed: HashMap<&str, String> = output
                    .failed()
                    .iter()
                    .map(|f| (f.id(), format!("SNS PublishBatch entry: {}", f.code())))
                    .collect();
                (0..changes.len())
                    .map(|n| match failed.get(format!("m{n}").as_str()) {
                        Some(reason) => Err(reason.clone()),
                        None => Ok(()),
                    })
                    .collect()
            }
        }
    }
}
