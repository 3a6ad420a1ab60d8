//! Stream records (the `aws_lambda_events` model) decoded into domain changes. A record
//! that cannot be decoded is an error value naming why, never a panic.

use aws_lambda_events::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use domain::{ChangeKind, ItemChange, ItemId};
use serde::Deserialize;

/// One decoded stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// The stream's `eventID`: the same on every delivery of this record.
    pub event_id: String,
    pub sequence_number: String,
    /// When DynamoDB made the change (`ApproximateCreationDateTime`), not when we run.
    pub changed_at: DateTime<Utc>,
    pub change: ItemChange,
}

/// Why a record could not become a [`ChangeRecord`]. Messages never carry item values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("keys do not hold an item id")]
    NoItemId,
    /// The stream's `eventName` is none of INSERT, MODIFY, REMOVE (domain's message).
    #[error("{0}")]
    EventName(String),
    #[error("{image} does not decode: {reason}")]
    Image { image: &'static str, reason: String },
    #[error("{0:?} record lacks the image it needs (stream view must be NEW_AND_OLD_IMAGES)")]
    MissingImage(ChangeKind),
    #[error("no SequenceNumber")]
    NoSequenceNumber,
}

#[derive(Deserialize)]
struct Keys {
    id: ItemId,
}

/// The id in the record's keys, when they decode.
pub fn item_id(record: &EventRecord) -> Option<ItemId> {
    serde_dynamo::from_item::<_, Keys>(record.change.keys.clone())
        .ok()
        .map(|keys| keys.id)
}

pub fn decode(record: &EventRecord) -> Result<ChangeRecord, DecodeError> {
    if item_id(record).is_none() {
        return Err(DecodeError::NoItemId);
    }
    let kind: ChangeKind = record.event_name.parse().map_err(DecodeError::EventName)?;
    let image = |image: &'static str, attributes: &serde_dynamo::Item| {
        if attributes.is_empty() {
            return Ok(None);
        }
        serde_dynamo::from_item(attributes.clone())
            .map(Some)
            .map_err(|e| DecodeError::Image {
                image,
                reason: redact_quoted(&e.to_string()),
            })
    };
    let old = image("OldImage", &record.change.old_image)?;
    let new = image("NewImage", &record.change.new_image)?;
    let change = ItemChange::from_images(kind, old, new).ok_or(DecodeError::MissingImage(kind))?;
    let sequence_number = record
        .change
        .sequence_number
        .clone()
        .ok_or(DecodeError::NoSequenceNumber)?;
    Ok(ChangeRecord {
        event_id: record.event_id.clone(),
        sequence_number,
        changed_at: record.change.approximate_creation_date_time,
        change,
    })
}

/// serde's messages quote the offending value (`invalid type: string "a@b.c"`); logs must
/// not carry item values, so every quoted part is blanked.
fn redact_quoted(message: &str) -> String {
    let mut redacted = String::with_capacity(message.len());
    for (n, part) in message.split('"').enumerate() {
        if n > 0 {
            redacted.push('"');
        }
        redacted.push_str(if n % 2 == 1 { "…" } else { part });
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_blanked() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "a@b.c", expected u64"#),
            r#"invalid type: string "…", expected u64"#
        );
        assert_eq!(redact_quoted("no quotes"), "no quotes");
    }
}
