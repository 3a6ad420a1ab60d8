//! Stream records (the `aws_lambda_events` model) decoded into changes, tolerantly: an image
//! the original Python service wrote is read by domain's [`StoredItem`] rules (as items-api
//! reads it), and one that cannot be represented at all is still a change, archived and
//! notified from its attributes as stored. Only a record that can never be processed (no
//! item id, an unknown event, no image, no sequence number) is a [`Poison`] record, which
//! the processor quarantines instead of retrying. Never a panic.

use aws_lambda_events::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use domain::{
    ChangeKind, HistoryEvent, INTERNAL_ATTRIBUTES, Item, ItemId, Status, StoredItem,
    UnrepresentableItem, number_is_exact,
};
use serde::Deserialize;
use serde_json::{Map, Value};

mod document;

/// One decoded stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// The stream's `eventID`: the same on every delivery of this record.
    pub event_id: String,
    pub sequence_number: String,
    /// When DynamoDB made the change (`ApproximateCreationDateTime`), not when we run.
    pub changed_at: DateTime<Utc>,
    pub kind: ChangeKind,
    pub item_id: ItemId,
    /// The image the change is about (the new one for creates and updates, the last one for
    /// deletes) as stored: its attributes at the top level, ours and any other, our internal
    /// ones left out. What the archive object holds.
    pub document: Map<String, Value>,
    /// The same image exactly as stored, every attribute with its DynamoDB type, our internal
    /// ones included: what the history keeps, so that a restore writes back what was stored
    /// (a number JSON cannot hold exactly stays a number, binary stays binary) with the
    /// item's marks (a create's idempotency key among them).
    pub image: serde_dynamo::Item,
    /// Names of the attributes the change changed (for an update; empty otherwise): the
    /// client-visible fields when both images read as items, else the stored attributes
    /// that differ (never values).
    pub changed_fields: Vec<String>,
    /// The image the change is about read as an item, or what keeps it from being read as
    /// one. Only that image counts: an update that makes an unrepresentable item readable
    /// again (another tool's fix) is a readable item's change.
    pub item: Result<Item, UnrepresentableItem>,
    /// The new image's `restored_version` (an internal attribute, so not in `document`; set
    /// by a restore, see `domain::history`): the history calls the change `restored` when
    /// it is the image's version.
    pub restored_version: Option<u64>,
    /// A MODIFY whose new image has the old one's `version` (both without one included):
    /// only another tool writes so; the API bumps `version` on every write.
    pub version_unchanged: bool,
}

impl ChangeRecord {
    /// The image's version: 0 for an item of the original service (it kept none), and for
    /// an unrepresentable image whose `version` is not a number.
    pub fn version(&self) -> u64 {
        match &self.item {
            Ok(item) => item.version,
            Err(_) => self
                .document
                .get("version")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        }
    }

    /// What happened, as archive metadata, notifications and the history name it: a create,
    /// an update or a delete, or a restore (a write marked with the version it made).
    pub fn event(&self) -> HistoryEvent {
        HistoryEvent::of(self.kind, self.version(), self.restored_version)
    }

    /// The image's status, if it has a valid one (an unrepresentable image may not: its
    /// stored text is then not repeated, as it could be anything).
    pub fn status(&self) -> Option<Status> {
        match &self.item {
            Ok(item) => Some(item.status),
            Err(_) => self.document.get("status")?.as_str()?.parse().ok(),
        }
    }
}

/// A record that can never be processed, whatever is retried: the processor quarantines it
/// (see `crate::quarantine`) and the batch moves on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Poison {
    #[error("keys do not hold an item id")]
    NoItemId,
    /// The stream's `eventName` is none of INSERT, MODIFY, REMOVE (domain's message).
    #[error("{0}")]
    EventName(String),
    #[error("{0:?} record lacks the image it needs (stream view must be NEW_AND_OLD_IMAGES)")]
    MissingImage(ChangeKind),
    #[error("no SequenceNumber")]
    NoSequenceNumber,
}

#[derive(Deserialize)]
struct Keys {
    id: ItemId,
}

/// The id in the record's keys, when they hold a valid one.
pub fn item_id(record: &EventRecord) -> Option<ItemId> {
    serde_dynamo::from_item::<_, Keys>(record.change.keys.clone())
        .ok()
        .map(|keys| keys.id)
}

pub fn decode(record: &EventRecord) -> Result<ChangeRecord, Poison> {
    let item_id = item_id(record).ok_or(Poison::NoItemId)?;
    let kind: ChangeKind = record.event_name.parse().map_err(Poison::EventName)?;
    let sequence_number = record
        .change
        .sequence_number
        .clone()
        .ok_or(Poison::NoSequenceNumber)?;
    let (old, new) = (
        present(&record.change.old_image),
        present(&record.change.new_image),
    );
    let about = match kind {
        ChangeKind::Insert | ChangeKind::Modify => new,
        ChangeKind::Remove => old,
    };
    let about = about.ok_or(Poison::MissingImage(kind))?;
    if kind == ChangeKind::Modify && old.is_none() {
        return Err(Poison::MissingImage(kind));
    }
    let item = read_item(about);
    let changed_fields = match (kind, old, new) {
        (ChangeKind::Modify, Some(old), Some(new)) => match (read_item(old), &item) {
            (Ok(old_item), Ok(new_item)) => domain::changed_fields(&old_item, new_item)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            _ => document::differing(old, new),
        },
        _ => Vec::new(),
    };
    Ok(ChangeRecord {
        event_id: record.event_id.clone(),
        sequence_number,
        changed_at: record.change.approximate_creation_date_time,
        kind,
        item_id,
        document: document::of(about),
        image: about.clone(),
        changed_fields,
        item,
        restored_version: restored_version(new),
        version_unchanged: kind == ChangeKind::Modify
            && old.map(|image| image.get("version")) == new.map(|image| image.get("version")),
    })
}

/// A new image's `restored_version`, when it has a numeric one.
fn restored_version(new: Option<&serde_dynamo::Item>) -> Option<u64> {
    match new?.get(domain::history::RESTORED_VERSION)? {
        serde_dynamo::AttributeValue::N(version) => version.parse().ok(),
        _ => None,
    }
}

/// An image, unless the record has none (an empty map).
fn present(image: &serde_dynamo::Item) -> Option<&serde_dynamo::Item> {
    (!image.is_empty()).then_some(image)
}

/// An image read the way items-api reads a stored item: attribute by attribute (a kind of
/// value JSON has no form for, binary, or a number a double would round, makes it
/// unrepresentable), then [`StoredItem`]'s rules.
fn read_item(image: &serde_dynamo::Item) -> Result<Item, UnrepresentableItem> {
    let attributes = image.iter().map(|(name, value)| {
        let value = if numbers_exact(value) {
            serde_dynamo::from_attribute_value::<_, Value>(value.clone())
        } else {
            Err(serde::de::Error::custom(
                "a number more precise than a double",
            ))
        };
        (name.clone(), value)
    });
    StoredItem::decoded(attributes)?.into_item()
}

fn numbers_exact(value: &serde_dynamo::AttributeValue) -> bool {
    use serde_dynamo::AttributeValue::{L, M, N, Ns};
    match value {
        N(number) => number_is_exact(number),
        Ns(numbers) => numbers.iter().all(|n| number_is_exact(n)),
        L(values) => values.iter().all(numbers_exact),
        M(values) => values.values().all(numbers_exact),
        _ => true,
    }
}

/// Whether an attribute is ours but not the item's (never archived, never compared).
fn internal(name: &str) -> bool {
    INTERNAL_ATTRIBUTES.contains(&name)
}

#[cfg(test)]
mod tests;
