//! An image as stored, as JSON: what an archive object holds. Every kind of DynamoDB value
//! has a form here, so any image can be archived: numbers as JSON numbers (as text when JSON
//! cannot hold them exactly), binary as base64 text, sets as arrays, NULL as null.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_dynamo::AttributeValue;
use serde_json::{Map, Number, Value};

/// The image's attributes at the top level, our internal ones left out.
pub(super) fn of(image: &serde_dynamo::Item) -> Map<String, Value> {
    let mut document: Map<String, Value> = image
        .iter()
        .filter(|(name, _)| !super::internal(name))
        .map(|(name, value)| (name.clone(), json(value)))
        .collect();
    document.sort_keys();
    document
}

/// Names of the attributes that differ between two images (added, removed or changed),
/// sorted; `version`, `updated_at` and our internal attributes are not the change itself.
pub(super) fn differing(old: &serde_dynamo::Item, new: &serde_dynamo::Item) -> Vec<String> {
    let mut names: Vec<String> = old
        .keys()
        .chain(new.keys().filter(|name| !old.contains_key(*name)))
        .filter(|name| !matches!(name.as_str(), "version" | "updated_at"))
        .filter(|name| !super::internal(name))
        .filter(|name| old.get(*name) != new.get(*name))
        .cloned()
        .collect();
    names.sort();
    names
}

fn json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::N(number) => self::number(number),
        AttributeValue::S(text) => Value::String(text.clone()),
        AttributeValue::Bool(flag) => Value::Bool(*flag),
        AttributeValue::B(bytes) => Value::String(STANDARD.encode(bytes)),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(map) => {
            let mut map: Map<String, Value> = map
                .iter()
                .map(|(name, value)| (name.clone(), json(value)))
                .collect();
            map.sort_keys();
            Value::Object(map)
        }
        AttributeValue::L(list) => list.iter().map(json).collect(),
        AttributeValue::Ss(texts) => texts.iter().cloned().map(Value::String).collect(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| self::number(n)).collect(),
        AttributeValue::Bs(blobs) => blobs
            .iter()
            .map(|bytes| Value::String(STANDARD.encode(bytes)))
            .collect(),
    }
}

/// A DynamoDB number (up to 38 digits) as a JSON number when one holds it exactly, else as
/// its text.
fn number(text: &str) -> Value {
    let exact = text
        .parse::<i64>()
        .ok()
        .map(Number::from)
        .or_else(|| text.parse::<u64>().ok().map(Number::from))
        .or_else(|| {
            // f64 keeps any decimal of up to 15 significant digits exactly.
            let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
            let digits = mantissa.trim_start_matches(['-', '+', '0', '.']);
            let significant = digits.bytes().filter(u8::is_ascii_digit).count();
            (significant <= 15)
                .then(|| text.parse::<f64>().ok().and_then(Number::from_f64))
                .flatten()
        });
    exact.map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn image(attributes: &[(&str, AttributeValue)]) -> serde_dynamo::Item {
        attributes
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect::<HashMap<_, _>>()
            .into()
    }

    #[test]
    fn every_kind_of_value_has_a_form() {
        let document = of(&image(&[
            ("id", AttributeValue::S("item1".into())),
            ("version", AttributeValue::N("3".into())),
            ("price", AttributeValue::N("12.5".into())),
            (
                "huge",
                AttributeValue::N("123456789012345678901234567890".into()),
            ),
            ("blob", AttributeValue::B(b"hi".to_vec())),
            ("tags", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("gone", AttributeValue::Null(true)),
            ("request_fingerprint", AttributeValue::S("internal".into())),
        ]));
        assert_eq!(
            Value::Object(document),
            serde_json::json!({
                "blob": "aGk=", "gone": null, "huge": "123456789012345678901234567890",
                "id": "item1", "price": 12.5, "tags": ["a", "b"], "version": 3
            })
        );
    }

    #[test]
    fn differing_names_changed_added_and_removed_attributes() {
        let old = image(&[
            ("name", AttributeValue::N("7".into())),
            ("color", AttributeValue::S("red".into())),
            ("version", AttributeValue::N("1".into())),
        ]);
        let new = image(&[
            ("name", AttributeValue::N("8".into())),
            ("size", AttributeValue::S("L".into())),
            ("version", AttributeValue::N("2".into())),
        ]);
        assert_eq!(differing(&old, &new), ["color", "name", "size"]);
    }
}
