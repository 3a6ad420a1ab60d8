//! SNS notifications: one per change, published ten per `PublishBatch` call. The message
//! names the item and what changed, never field values (no e-mail address, no name).
//! Message attributes let subscribers filter (`event_type`, `item_id`, `status`, and
//! `version`, a Number: 0 for an item no write through the API has versioned, such as every
//! copy `scripts/migrate` writes, whose `created` README's filter policy leaves out) and
//! deduplicate (`event_id`: the same on every delivery of the same change).

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use aws_sdk_sns::{
    Client,
    error::{DisplayErrorContext, SdkError},
    operation::publish_batch::PublishBatchError,
    types::{MessageAttributeValue, PublishBatchRequestEntry},
};
use domain::{HistoryEvent, Status};
use serde::Serialize;

use super::{ArchiveKey, Step, at_once};
use crate::record::ChangeRecord;

/// SNS accepts at most ten entries per PublishBatch.
const BATCH_LIMIT: usize = 10;

pub struct Notifier {
    client: Client,
    topic_arn: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum NotifyError {
    /// The whole call failed: every change in it failed.
    #[error("SNS PublishBatch: {}", DisplayErrorContext(.0.as_ref()))]
    Call(Arc<SdkError<PublishBatchError>>),
    /// SNS refused this change's entry.
    #[error("SNS PublishBatch entry: {code}")]
    Entry { code: String },
    /// The answer listed the entry neither as published nor as failed. SNS always lists
    /// every entry, but moto drops an entry whose publishing raised an unexpected error (and
    /// records no notification): only an entry listed as published counts as published.
    #[error("SNS PublishBatch answered without this entry")]
    Unacknowledged,
}

/// The message body subscribers receive.
#[derive(Debug, Serialize)]
struct Notification<'a> {
    event_type: &'static str,
    item_id: String,
    version: u64,
    /// Absent only for an item stored without a textual status (one the API cannot show).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    /// Names of the fields an update changed; empty for creates and deletes.
    changed_fields: &'a [String],
    /// For an item the API cannot show: the stored attributes at fault (names only).
    #[serde(skip_serializing_if = "Option::is_none")]
    unrepresentable: Option<&'a [String]>,
    changed_at: String,
    event_id: &'a str,
    sequence_number: &'a str,
    /// Where the archive object of this change is.
    archive_key: ArchiveKey,
}

fn subject(event: HistoryEvent) -> &'static str {
    match event {
        HistoryEvent::Created => "Item created",
        HistoryEvent::Updated => "Item updated",
        HistoryEvent::Deleted => "Item deleted",
        HistoryEvent::Restored => "Item restored",
    }
}

fn notification(record: &ChangeRecord) -> Notification<'_> {
    Notification {
        event_type: record.event().as_str(),
        item_id: record.item_id.to_string(),
        version: record.version(),
        status: record.status().map(Status::as_str),
        changed_fields: &record.changed_fields,
        unrepresentable: record
            .item
            .as_ref()
            .err()
            .map(|unrepresentable| unrepresentable.attributes.as_slice()),
        changed_at: domain::Timestamp::from_datetime(record.changed_at).to_string(),
        event_id: &record.event_id,
        sequence_number: &record.sequence_number,
        archive_key: ArchiveKey::of(record),
    }
}

fn attribute(value: &str) -> MessageAttributeValue {
    typed_attribute("String", value)
}

/// SNS carries a Number attribute as text, and matches it numerically in filter policies.
fn typed_attribute(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .expect("data type is set")
}

fn entry(n: usize, record: &ChangeRecord) -> PublishBatchRequestEntry {
    let message = notification(record);
    let mut attributes = HashMap::from([
        ("event_type".to_string(), attribute(message.event_type)),
        ("item_id".to_string(), attribute(&message.item_id)),
        ("event_id".to_string(), attribute(&record.event_id)),
        (
            "version".to_string(),
            typed_attribute("Number", &message.version.to_string()),
        ),
    ]);
    if let Some(status) = message.status {
        attributes.insert("status".to_string(), attribute(status));
    }
    PublishBatchRequestEntry::builder()
        .id(format!("m{n}"))
        .subject(subject(record.event()))
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

    /// Publishes one batch of entries in one call; the result of each, in order.
    async fn publish_batch(
        &self,
        entries: Vec<PublishBatchRequestEntry>,
    ) -> Vec<Result<(), NotifyError>> {
        let ids: Vec<String> = entries.iter().map(|entry| entry.id().to_owned()).collect();
        let output = self
            .client
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await;
        match output {
            Err(error) => vec![Err(NotifyError::Call(Arc::new(error))); ids.len()],
            Ok(output) => {
                let failed: HashMap<&str, &str> =
                    output.failed().iter().map(|f| (f.id(), f.code())).collect();
                let published: HashSet<&str> =
                    output.successful().iter().filter_map(|s| s.id()).collect();
                ids.iter()
                    .map(|id| match failed.get(id.as_str()) {
                        Some(code) => Err(NotifyError::Entry {
                            code: code.to_string(),
                        }),
                        None if published.contains(id.as_str()) => Ok(()),
                        None => Err(NotifyError::Unacknowledged),
                    })
                    .collect()
            }
        }
    }
}

/// SNS refuses a PublishBatch whose messages and attributes total over 256 KiB, every entry
/// with it.
const PAYLOAD_LIMIT: usize = 256 * 1024;

/// What an entry counts against [`PAYLOAD_LIMIT`].
fn payload_size(entry: &PublishBatchRequestEntry) -> usize {
    let attributes: usize = entry
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            name.len() + value.data_type().len() + value.string_value().map_or(0, str::len)
        })
        .sum();
    entry.message().len() + entry.subject().map_or(0, str::len) + attributes
}

/// The lengths of consecutive batches: at most [`BATCH_LIMIT`] entries and
/// [`PAYLOAD_LIMIT`] bytes each. Notifications name fields, never values, so they are small;
/// one that alone passes the limit (an item of another tool with thousands of fields) goes
/// alone, and only its change fails.
fn batch_lengths(sizes: &[usize]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let (mut count, mut bytes) = (0, 0);
    for &size in sizes {
        if count == BATCH_LIMIT || (count > 0 && bytes + size > PAYLOAD_LIMIT) {
            lengths.push(count);
            (count, bytes) = (0, 0);
        }
        count += 1;
        bytes += size;
    }
    if count > 0 {
        lengths.push(count);
    }
    lengths
}

impl Step for Notifier {
    const NAME: &'static str = "notify";
    type Error = NotifyError;

    /// Up to ten changes per PublishBatch (fewer when their notifications are large),
    /// [`CONCURRENCY`](super::CONCURRENCY) calls at once.
    async fn run(&self, changes: &[&ChangeRecord]) -> Vec<Result<(), NotifyError>> {
        let mut entries: Vec<_> = changes
            .iter()
            .enumerate()
            .map(|(n, record)| entry(n, record))
            .collect();
        let sizes: Vec<usize> = entries.iter().map(payload_size).collect();
        // Built before they go to `at_once` (see there why).
        let mut calls = Vec::new();
        for length in batch_lengths(&sizes) {
            let rest = entries.split_off(length);
            calls.push(self.publish_batch(std::mem::replace(&mut entries, rest)));
        }
        at_once(calls).await.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_ten_entries_and_256_kib_at_most() {
        assert_eq!(batch_lengths(&[100; 25]), [10, 10, 5]);
        assert_eq!(batch_lengths(&[]), Vec::<usize>::new());
        let large = 100 * 1024;
        assert_eq!(batch_lengths(&[large, large, large, 10, 10]), [2, 3]);
        assert_eq!(batch_lengths(&[300 * 1024, 10]), [1, 1]);
    }
}
