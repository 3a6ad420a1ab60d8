//! The history table: one entry per change, what `GET /items/{id}/versions` lists and
//! `POST /items/{id}/restore` restores from. Runs after the archive, so an entry names an
//! archive object that exists.
//!
//! Each entry is one `PutItem` with `attribute_not_exists(id)` at the key `(id, seq)`, where
//! `seq` follows from the change alone (`domain::history::seq`): a replayed record meets its
//! own entry, the condition fails, and that is success, so a replay never duplicates or
//! rewrites an entry. One extra write per change, nothing read.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, SdkError},
    operation::put_item::PutItemError,
    primitives::Blob,
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure},
};
use domain::{
    Timestamp,
    history::{self, compressed_image, entry},
};

use super::{ArchiveKey, Step, at_once};
use crate::record::ChangeRecord;

pub struct History {
    client: Client,
    table: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("DynamoDB PutItem: {}", DisplayErrorContext(.0))]
    Put(Box<SdkError<PutItemError>>),
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: u64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// DynamoDB refuses an item over 400 KB. An entry estimated over this is written with its
/// image compressed ([`entry::ITEM_GZIP`]); the margin covers the estimate's rounding.
const ENTRY_LIMIT: usize = 380 * 1024;

/// The entry of a record, as the API reads it (`domain::history::entry`). The image is the
/// record's image exactly as stored, every attribute with its DynamoDB type (an item of the
/// original service, or one that cannot be represented, included), our internal attributes
/// too: a restore writes back what was stored, marks included. Without the image compressed, an item close to DynamoDB's limit (another tool's) would
/// make an entry DynamoDB refuses, retried until the dead-letter queue, its notification lost.
fn entry_of(record: &ChangeRecord) -> Option<HashMap<String, AttributeValue>> {
    let version = record.version();
    let event = record.event();
    let Some(seq) = history::seq(version, event) else {
        // Only another tool can store such a version; the change is archived and notified.
        tracing::warn!(
            item_id = record.item_id.as_str(),
            version,
            "no history entry: the version is too large for a key"
        );
        return None;
    };
    let image: HashMap<String, AttributeValue> = record.image.clone().into();
    let changed_fields = record
        .changed_fields
        .iter()
        .map(|f| s(f.as_str()))
        .collect();
    let mut entry = HashMap::from([
        (entry::ID.to_string(), s(record.item_id.as_str())),
        (entry::SEQ.to_string(), n(seq)),
        (entry::VERSION.to_string(), n(version)),
        (entry::EVENT.to_string(), s(event.as_str())),
        (
            entry::AT.to_string(),
            s(Timestamp::from_datetime(record.changed_at).to_string()),
        ),
        (
            entry::CHANGED_FIELDS.to_string(),
            AttributeValue::L(changed_fields),
        ),
        (entry::ITEM.to_string(), AttributeValue::M(image)),
        (
            entry::ARCHIVE_KEY.to_string(),
            s(ArchiveKey::of(record).as_str()),
        ),
        (entry::EVENT_ID.to_string(), s(&record.event_id)),
    ]);
    let size = item_size(&entry);
    if size > ENTRY_LIMIT {
        let compressed = compressed_image::compress(&record.image);
        tracing::info!(
            item_id = record.item_id.as_str(),
            version,
            event_id = %record.event_id,
            sequence_number = %record.sequence_number,
            size,
            compressed = compressed.len(),
            "history entry's image compressed: the item is close to DynamoDB's size limit"
        );
        entry.remove(entry::ITEM);
        entry.insert(
            entry::ITEM_GZIP.to_string(),
            AttributeValue::B(Blob::new(compressed)),
        );
        // Binary values do not compress: such an entry is kept without its image (the
        // archive object holds it; the API answers 422 for it, as it would for the item),
        // rather than refused by DynamoDB on every retry until the dead-letter queue.
        if item_size(&entry) > ENTRY_LIMIT {
            tracing::warn!(
                item_id = record.item_id.as_str(),
                version,
                event_id = %record.event_id,
                sequence_number = %record.sequence_number,
                "history entry without its image: too large even compressed"
            );
            entry.remove(entry::ITEM_GZIP);
        }
    }
    Some(entry)
}

/// An upper estimate of an item's size as DynamoDB counts it against its 400 KB limit:
/// names and values in bytes, 1 byte per boolean or null and per list or map element, 3 per
/// list or map, and a number's digits as text (DynamoDB stores about half of that).
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => text.len(),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Ss(texts) | AttributeValue::Ns(texts) => {
            texts.iter().map(String::len).sum()
        }
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.len() + item_size(map),
        _ => 1,
    }
}

impl History {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes the record's entry unless one is at its key.
    async fn record(&self, record: &ChangeRecord) -> Result<(), HistoryError> {
        let Some(entry) = entry_of(record) else {
            return Ok(());
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(entry))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", entry::ID)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        let Some(PutItemError::ConditionalCheckFailedException(failed)) = error.as_service_error()
        else {
            return Err(HistoryError::Put(Box::new(error)));
        };
        // Written by an earlier delivery of this record. Another change at the same key is an
        // id deleted and created anew (a create's Idempotency-Key reused after the delete):
        // the first entry is kept, and said so.
        let written_by = failed
            .item
            .as_ref()
            .and_then(|old| old.get(entry::EVENT_ID)?.as_s().ok());
        if written_by.is_some_and(|event_id| event_id != &record.event_id) {
            tracing::warn!(
                item_id = record.item_id.as_str(),
                version = record.version(),
                event_id = record.event_id,
                "history entry kept: another change of this id has its version"
            );
        }
        Ok(())
    }
}

impl Step for History {
    const NAME: &'static str = "history";
    type Error = HistoryError;

    /// One conditional PutItem per change, [`CONCURRENCY`](super::CONCURRENCY) at once.
    async fn run(&self, changes: &[&ChangeRecord]) -> Vec<Result<(), HistoryError>> {
        at_once(changes.iter().map(|record| self.record(record)).collect()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_estimate_counts_names_values_and_structure() {
        let item = HashMap::from([
            ("id".to_string(), s("abc")),
            ("n".to_string(), AttributeValue::N("12.5".into())),
            ("ok".to_string(), AttributeValue::Bool(true)),
            ("b".to_string(), AttributeValue::B(Blob::new(vec![0; 10]))),
            (
                "l".to_string(),
                AttributeValue::L(vec![s("xy"), AttributeValue::Null(true)]),
            ),
            (
                "m".to_string(),
                AttributeValue::M(HashMap::from([("k".to_string(), s("v"))])),
            ),
        ]);
        // id 2+3, n 1+4, ok 2+1, b 1+10, l 1+3+(1+2)+(1+1), m 1+3+1+(1+1)
        assert_eq!(item_size(&item), 5 + 5 + 3 + 11 + 9 + 7);
    }
}
