//! An item as DynamoDB attributes, both ways: the encoding every write stores and the
//! tolerant decoding (domain's [`StoredItem`] rules) every read applies. Public because the
//! `migrate` tool copies a table of the original service with exactly these, so an item it
//! writes is one this API could have written.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{INTERNAL_ATTRIBUTES, Item, StoredItem, UnrepresentableItem};
use serde_json::{Map, Value};

/// A stored item as DynamoDB gives it.
pub type AttributeMap = HashMap<String, AttributeValue>;

/// The strict shape: one attribute per field of [`Item`] (`attributes` one map attribute).
pub fn encode(item: &Item) -> Result<AttributeMap, serde_dynamo::Error> {
    serde_dynamo::to_item(item)
}

/// A stored item, whatever wrote it, as clients see it; what cannot be shown names its
/// attributes (never their values).
pub fn decode(attributes: AttributeMap) -> Result<Item, UnrepresentableItem> {
    StoredItem::from(to_json(attributes)?).into_item()
}

/// The [`INTERNAL_ATTRIBUTES`] `stored` carries: not part of the item, kept by every write.
pub fn internal(stored: &AttributeMap) -> AttributeMap {
    INTERNAL_ATTRIBUTES
        .iter()
        .filter_map(|name| Some((name.to_string(), stored.get(*name)?.clone())))
        .collect()
}

/// The attributes as JSON; a kind of value JSON has no form for (binary) makes the item
/// unrepresentable.
pub(super) fn to_json(attributes: AttributeMap) -> Result<Map<String, Value>, UnrepresentableItem> {
    let mut stored = Map::new();
    let mut undecodable = Vec::new();
    for (name, value) in attributes {
        match serde_dynamo::from_attribute_value(value) {
            Ok(value) => {
                stored.insert(name, value);
            }
            Err(_) => undecodable.push(name),
        }
    }
    if undecodable.is_empty() {
        Ok(stored)
    } else {
        undecodable.sort();
        Err(UnrepresentableItem {
            id: stored.get("id").and_then(Value::as_str).map(str::to_owned),
            attributes: undecodable,
        })
    }
}
