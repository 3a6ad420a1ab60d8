//! Reading the history table (written by the stream processor, one entry per change; see
//! `domain::history`). Every read is a Query on the item's id, newest first
//! (`ScanIndexForward=false`) and bounded by `Limit`: a page costs the same for an item with
//! ten versions or ten thousand. Reads are strongly consistent, so an entry the stream
//! processor has written is seen at once.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{
    HistoryEvent, ItemId,
    history::{self, entry},
};

use super::{
    AttributeMap, DynamoStore,
    dynamo::{dependency, string},
};
use crate::{ApiError, cursor::CursorKey};

/// One entry: a change of the item.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub version: u64,
    pub event: HistoryEvent,
    /// When DynamoDB made the change, in the API's format.
    pub at: String,
    pub changed_fields: Vec<String>,
    pub archive_key: String,
    /// The item image as stored; `None` in listings, which do not read it, and in an entry
    /// whose image was too large even compressed (see [`HistoryEntry::into_image`]).
    pub image: Option<AttributeMap>,
}

impl HistoryEntry {
    /// The image of an entry read with it. An entry without one holds a version too large
    /// for the history even compressed (binary values near DynamoDB's 400 KB, which the API
    /// cannot show anyway): only its archive object has it, so it is unrepresentable here.
    pub fn into_image(self) -> Result<AttributeMap, ApiError> {
        self.image.ok_or_else(|| {
            ApiError::Unrepresentable(vec![domain::FieldError::new(
                "item",
                "too large for the history even compressed: its archive object holds it",
            )])
        })
    }
}

/// One page of an item's history, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionPage {
    pub entries: Vec<HistoryEntry>,
    pub next: Option<CursorKey>,
}

/// What a listing reads of an entry: all but the image.
const SUMMARY: [&str; 6] = [
    entry::SEQ,
    entry::VERSION,
    entry::EVENT,
    entry::AT,
    entry::CHANGED_FIELDS,
    entry::ARCHIVE_KEY,
];

fn corrupt(what: &str) -> ApiError {
    ApiError::Internal(format!("history entry: {what}"))
}

fn number(value: Option<&AttributeValue>) -> Option<u64> {
    value?.as_n().ok()?.parse().ok()
}

fn text(entry: &mut AttributeMap, name: &str) -> Result<String, ApiError> {
    match entry.remove(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        _ => Err(corrupt(name)),
    }
}

/// An entry as the stream processor wrote it; anything else is a bug (500), not a 4xx.
fn decode(mut stored: AttributeMap) -> Result<HistoryEntry, ApiError> {
    let seq = number(stored.get(entry::SEQ)).ok_or_else(|| corrupt(entry::SEQ))?;
    let version = number(stored.get(entry::VERSION)).unwrap_or(history::version_of_seq(seq));
    let event = text(&mut stored, entry::EVENT)?
        .parse()
        .map_err(|_| corrupt(entry::EVENT))?;
    let changed_fields = match stored.remove(entry::CHANGED_FIELDS) {
        Some(AttributeValue::L(names)) => names
            .into_iter()
            .map(|name| {
                name.as_s()
                    .cloned()
                    .map_err(|_| corrupt(entry::CHANGED_FIELDS))
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let image = match (stored.remove(entry::ITEM), stored.remove(entry::ITEM_GZIP)) {
        (Some(AttributeValue::M(image)), None) => Some(image),
        (None, Some(AttributeValue::B(gzipped))) => Some(decompressed(gzipped.as_ref())?),
        (None, None) => None,
        _ => return Err(corrupt(entry::ITEM)),
    };
    Ok(HistoryEntry {
        version,
        event,
        at: text(&mut stored, entry::AT)?,
        changed_fields,
        archive_key: text(&mut stored, entry::ARCHIVE_KEY)?,
        image,
    })
}

/// An image the stream processor compressed because the entry would have been too large
/// (`domain::history::compressed_image`), as the map it would have stored: DynamoDB's typed
/// JSON, or, in an entry written before the history kept types, the plain document (its
/// `id` a bare string, which the typed form never has).
fn decompressed(gzipped: &[u8]) -> Result<AttributeMap, ApiError> {
    let corrupt = |e: &dyn std::fmt::Display| corrupt(&format!("{}: {e}", entry::ITEM_GZIP));
    let document = history::compressed_image::decompress(gzipped).map_err(|e| corrupt(&e))?;
    match serde_json::from_value::<serde_dynamo::Item>(document.clone()) {
        Ok(typed) => Ok(typed.into()),
        Err(_) => serde_dynamo::to_item(document).map_err(|e| corrupt(&e)),
    }
}

/// A listing cursor back into DynamoDB's key: `seq` is a number, which the cursor holds as
/// text. A key of another shape is refused before it reaches DynamoDB.
fn start_key(id: &ItemId, key: CursorKey) -> Result<AttributeMap, ApiError> {
    let seq = key.get(entry::SEQ).and_then(|seq| seq.parse::<u64>().ok());
    match (key.len(), key.get(entry::ID), seq) {
        (2, Some(key_id), Some(seq)) if key_id.as_str() == id.as_str() => Ok(HashMap::from([
            (entry::ID.to_string(), string(id.clone())),
            (entry::SEQ.to_string(), AttributeValue::N(seq.to_string())),
        ])),
        _ => Err(ApiError::InvalidCursor),
    }
}

fn cursor_of(key: AttributeMap) -> CursorKey {
    key.into_iter()
        .filter_map(|(name, value)| match value {
            AttributeValue::S(text) | AttributeValue::N(text) => Some((name, text)),
            _ => None,
        })
        .collect()
}

impl DynamoStore {
    /// A Query of the item's entries, newest first, optionally narrowed to a `seq` range.
    fn history_query(
        &self,
        id: &ItemId,
        seq_range: Option<(u64, u64)>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let request = self
            .client
            .query()
            .table_name(&self.history)
            .consistent_read(true)
            .scan_index_forward(false)
            .expression_attribute_names("#id", entry::ID)
            .expression_attribute_values(":id", string(id.clone()));
        match seq_range {
            None => request.key_condition_expression("#id = :id"),
            Some((low, high)) => request
                .key_condition_expression("#id = :id AND #seq BETWEEN :low AND :high")
                .expression_attribute_names("#seq", entry::SEQ)
                .expression_attribute_values(":low", AttributeValue::N(low.to_string()))
                .expression_attribute_values(":high", AttributeValue::N(high.to_string())),
        }
    }

    /// One page of summaries (no images). `NotFound` when the item has no history at all.
    pub(super) async fn history_page(
        &self,
        id: ItemId,
        limit: u16,
        start: Option<CursorKey>,
    ) -> Result<VersionPage, ApiError> {
        let start = start.map(|key| start_key(&id, key)).transpose()?;
        let first_page = start.is_none();
        let mut request = self
            .history_query(&id, None)
            .limit(i32::from(limit))
            .set_exclusive_start_key(start);
        let mut projection = Vec::new();
        for (n, name) in SUMMARY.iter().enumerate() {
            projection.push(format!("#p{n}"));
            request = request.expression_attribute_names(format!("#p{n}"), *name);
        }
        let output = request
            .projection_expression(projection.join(", "))
            .send()
            .await
            .map_err(|e| dependency("Query", e))?;
        let entries: Vec<HistoryEntry> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(decode)
            .collect::<Result<_, _>>()?;
        if first_page && entries.is_empty() {
            return Err(domain::DomainError::NotFound.into());
        }
        Ok(VersionPage {
            entries,
            next: output.last_evaluated_key.map(cursor_of),
        })
    }

    /// The newest entry of `version` (its deletion, when it was deleted), image included;
    /// with `None`, the item's newest entry.
    pub(super) async fn history_entry(
        &self,
        id: &ItemId,
        version: Option<u64>,
    ) -> Result<Option<HistoryEntry>, ApiError> {
        let range = match version {
            None => None,
            Some(version) => match (
                history::seq(version, HistoryEvent::Updated),
                history::seq(version, HistoryEvent::Deleted),
            ) {
                (Some(updated), Some(deleted)) => Some((updated, deleted)),
                // A version too large to have an entry has none.
                _ => return Ok(None),
            },
        };
        let output = self
            .history_query(id, range)
            .limit(1)
            .send()
            .await
            .map_err(|e| dependency("Query", e))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(decode)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ItemId {
        ItemId::parse("item-1").unwrap()
    }

    fn key(pairs: &[(&str, &str)]) -> CursorKey {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_cursor_key_must_be_this_items_id_and_a_numeric_seq() {
        let good = start_key(&id(), key(&[("id", "item-1"), ("seq", "7")])).unwrap();
        assert_eq!(good["seq"], AttributeValue::N("7".into()));
        for bad in [
            key(&[("id", "item-2"), ("seq", "7")]),
            key(&[("id", "item-1"), ("seq", "x")]),
            key(&[("id", "item-1")]),
            key(&[("id", "item-1"), ("seq", "7"), ("status", "active")]),
        ] {
            assert!(matches!(
                start_key(&id(), bad),
                Err(ApiError::InvalidCursor)
            ));
        }
    }

    #[test]
    fn entries_decode_strictly() {
        let stored = HashMap::from([
            ("id".to_string(), string("item-1")),
            ("seq".to_string(), AttributeValue::N("7".into())),
            ("version".to_string(), AttributeValue::N("3".into())),
            ("event".to_string(), string("deleted")),
            ("at".to_string(), string("2024-03-25T05:00:00.123Z")),
            ("changed_fields".to_string(), AttributeValue::L(vec![])),
            ("archive_key".to_string(), string("backups/k.json")),
        ]);
        let entry = decode(stored.clone()).unwrap();
        assert_eq!((entry.version, entry.event), (3, HistoryEvent::Deleted));
        assert!(entry.image.is_none());
        let mut bad = stored;
        bad.insert("event".into(), string("exploded"));
        assert!(matches!(decode(bad), Err(ApiError::Internal(_))));
    }

    #[test]
    fn a_compressed_image_reads_typed_and_in_the_older_plain_form() {
        use history::compressed_image::compress;
        let typed = serde_json::json!({
            "id": {"S": "item-1"},
            "x": {"N": "0.30000000000000004"},
            "tags": {"SS": ["a"]},
        });
        let image = decompressed(&compress(&typed)).unwrap();
        assert_eq!(image["x"], AttributeValue::N("0.30000000000000004".into()));
        assert_eq!(image["tags"], AttributeValue::Ss(vec!["a".into()]));
        let plain = serde_json::json!({"id": "item-1", "x": 0.5, "tags": ["a"]});
        let image = decompressed(&compress(&plain)).unwrap();
        assert_eq!(image["id"], string("item-1"));
        assert_eq!(image["x"], AttributeValue::N("0.5".into()));
        assert_eq!(image["tags"], AttributeValue::L(vec![string("a")]));
    }
}
