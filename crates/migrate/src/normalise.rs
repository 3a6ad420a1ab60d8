//! One stored item of the original table in the shape this stack's writes store: read by the
//! tolerant rules ([`StoredItem::into_item`](domain::StoredItem::into_item), through
//! items-api's decoding), put in the strict shape ([`Item::into_strict`]), and encoded as
//! items-api encodes every write. Ids and times are kept (times in our format, to the
//! millisecond); an item without `version` keeps version 0, so the first write through the
//! API makes it 1, as on the original table.

use domain::{Item, UnrepresentableItem};
use items_api::store::attributes::{self, AttributeMap};
use serde::{Deserialize, Serialize};

/// What becomes of one scanned item.
#[derive(Debug, Clone, PartialEq)]
pub enum Normalised {
    /// The attributes to put under `id`.
    Ready {
        id: String,
        attributes: AttributeMap,
    },
    /// Left out for a documented reason.
    Skipped(Skipped),
}

/// An item left out, named by its id and attribute names only (never values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The stored `id`, when it is a string.
    pub id: Option<String>,
    pub attributes: Vec<String>,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// An attribute of ours the API cannot read (`name` a number, `created_at` not a time,
    /// binary values, a required one missing): the API leaves it out of pages too.
    Unrepresentable,
    /// Its top-level attributes of the original's clients do not fit in `attributes`
    /// (size, depth or numbers DynamoDB refuses there).
    AttributesDoNotFit,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unrepresentable => "cannot be represented",
            Self::AttributesDoNotFit => "its other attributes do not fit in `attributes`",
        }
    }
}

impl Skipped {
    fn new(unrepresentable: UnrepresentableItem, reason: SkipReason) -> Self {
        Self {
            id: unrepresentable.id,
            attributes: unrepresentable.attributes,
            reason,
        }
    }
}

/// The strict item for `stored`, with the internal attributes (`request_fingerprint`, a
/// batch's mark) kept as every write of items-api keeps them. `Err` only when encoding a
/// valid item fails, which is not a documented reason: the run fails.
pub fn normalise(stored: AttributeMap) -> Result<Normalised, String> {
    let internal = attributes::internal(&stored);
    let item = match attributes::decode(stored).map(Item::into_strict) {
        Err(unrepresentable) => {
            return Ok(Normalised::Skipped(Skipped::new(
                unrepresentable,
                SkipReason::Unrepresentable,
            )));
        }
        Ok(Err(too_big)) => {
            return Ok(Normalised::Skipped(Skipped::new(
                too_big,
                SkipReason::AttributesDoNotFit,
            )));
        }
        Ok(Ok(item)) => item,
    };
    let mut encoded = attributes::encode(&item)
        .map_err(|error| format!("item {:?} does not encode: {error}", item.id.as_str()))?;
    encoded.extend(internal);
    Ok(Normalised::Ready {
        id: item.id.to_string(),
        attributes: encoded,
    })
}

#[cfg(test)]
mod tests;
