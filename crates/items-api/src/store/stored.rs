//! Reading what the table holds, whatever wrote it, by domain's [`StoredItem`] rules.

use domain::{Item, StoredItem, UnrepresentableItem};
use serde_json::{Map, Value};

use super::AttributeMap;
use crate::ApiError;

/// A stored item as clients see it; one that cannot be shown is logged (id and attribute
/// names only) and refused with `UNREPRESENTABLE_ITEM`.
pub(super) fn decode(attributes: AttributeMap) -> Result<Item, ApiError> {
    read(attributes).map_err(|unrepresentable| {
        warn(&unrepresentable);
        unrepresentable.into()
    })
}

/// A page's items that can be shown, and how many were left out (each logged).
pub(super) fn decode_page(stored: Vec<AttributeMap>) -> (Vec<Item>, usize) {
    let total = stored.len();
    let items: Vec<Item> = stored
        .into_iter()
        .filter_map(|attributes| read(attributes).map_err(|item| warn(&item)).ok())
        .collect();
    let left_out = total - items.len();
    (items, left_out)
}

fn read(attributes: AttributeMap) -> Result<Item, UnrepresentableItem> {
    let mut stored = Map::new();
    // A kind of value JSON has no form for (binary) makes the item unrepresentable.
    let mut undecodable = Vec::new();
    for (name, value) in attributes {
        match serde_dynamo::from_attribute_value(value) {
            Ok(value) => {
                stored.insert(name, value);
            }
            Err(_) => undecodable.push(name),
        }
    }
    if !undecodable.is_empty() {
        return Err(UnrepresentableItem {
            id: stored.get("id").and_then(Value::as_str).map(str::to_owned),
            attributes: undecodable,
        });
    }
    StoredItem::from(stored).into_item()
}

fn warn(unrepresentable: &UnrepresentableItem) {
    tracing::warn!(
        item_id = unrepresentable.id.as_deref().unwrap_or_default(),
        attributes = unrepresentable.attributes.join(","),
        "stored item cannot be represented"
    );
}
