//! An item as DynamoDB attributes, both ways: the encoding every write stores and the
//! tolerant decoding (domain's [`StoredItem`] rules) every read applies. Public because the
//! `migrate` tool copies a table of the original service with exactly these, so an item it
//! writes is one this API could have written.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{INTERNAL_ATTRIBUTES, Item, StoredItem, UnrepresentableItem, number_is_exact};

/// A stored item as DynamoDB gives it.
pub type AttributeMap = HashMap<String, AttributeValue>;

/// The strict shape: one attribute per field of [`Item`] (`attributes` one map attribute).
pub fn encode(item: &Item) -> Result<AttributeMap, serde_dynamo::Error> {
    serde_dynamo::to_item(item)
}

/// A stored item, whatever wrote it, as clients see it; what cannot be shown names its
/// attributes (never their values).
pub fn decode(attributes: AttributeMap) -> Result<Item, UnrepresentableItem> {
    to_stored(attributes)?.into_item()
}

/// The [`INTERNAL_ATTRIBUTES`] `stored` carries: not part of the item, kept by every write.
pub fn internal(stored: &AttributeMap) -> AttributeMap {
    INTERNAL_ATTRIBUTES
        .iter()
        .filter_map(|name| Some((name.to_string(), stored.get(*name)?.clone())))
        .collect()
}

/// The attributes as a [`StoredItem`], each decoded on its own. One holding a number the
/// API's JSON would round ([`number_is_exact`]) is not decoded: it is named, never changed.
pub(super) fn to_stored(attributes: AttributeMap) -> Result<StoredItem, UnrepresentableItem> {
    StoredItem::decoded(attributes.into_iter().map(|(name, value)| {
        let decoded = if numbers_exact(&value) {
            serde_dynamo::from_attribute_value(value)
        } else {
            Err(serde::de::Error::custom(
                "a number more precise than a double",
            ))
        };
        (name, decoded)
    }))
}

fn numbers_exact(value: &AttributeValue) -> bool {
    match value {
        AttributeValue::N(number) => number_is_exact(number),
        AttributeValue::Ns(numbers) => numbers.iter().all(|n| number_is_exact(n)),
        AttributeValue::L(values) => values.iter().all(numbers_exact),
        AttributeValue::M(values) => values.values().all(numbers_exact),
        _ => true,
    }
}
