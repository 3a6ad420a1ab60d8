use aws_sdk_dynamodb::{primitives::Blob, types::AttributeValue};
use domain::{REQUEST_FINGERPRINT, StoredItem};
use items_api::store::attributes::{self, AttributeMap};
use serde_json::json;

use super::*;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// One of the items the original service and its tools stored: `handler` (after a client's
/// PUT added `color` and `price`), `batch_tool` (fixtures/README.md).
fn original(shape: &str) -> AttributeMap {
    let shapes: serde_json::Value =
        serde_json::from_str(include_str!("../../../../fixtures/original-items.json")).unwrap();
    serde_dynamo::to_item(&shapes[shape]).unwrap()
}

fn handler_item() -> AttributeMap {
    original("handler")
}

fn batch_item() -> AttributeMap {
    original("batch_tool")
}

fn ready(stored: AttributeMap) -> (String, AttributeMap) {
    match normalise(stored).unwrap() {
        Normalised::Ready { id, attributes } => (id, attributes),
        Normalised::Skipped(skipped) => panic!("skipped: {skipped:?}"),
    }
}

fn skipped(stored: AttributeMap) -> Skipped {
    match normalise(stored).unwrap() {
        Normalised::Skipped(skipped) => skipped,
        Normalised::Ready { id, .. } => panic!("{id} was not skipped"),
    }
}

#[test]
fn a_handler_item_gets_the_strict_shape_with_its_id_and_times() {
    let (id, written) = ready(handler_item());
    assert_eq!(id, "3b241101-e2bb-4255-8caf-4136c566a962");
    let mut names: Vec<&str> = written.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "attributes",
            "created_at",
            "description",
            "email",
            "id",
            "name",
            "status",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(written["created_at"], s("2024-03-25T10:00:00.123Z"));
    assert_eq!(written["updated_at"], s("2024-03-26T09:30:00.000Z"));
    assert_eq!(written["version"], AttributeValue::N("0".into()));
    // Read back as the API reads it: the client's top-level fields are in `attributes` now.
    let item = attributes::decode(written).unwrap();
    assert_eq!(
        item.attributes.as_map(),
        json!({"color": "red", "price": 9.5}).as_object().unwrap()
    );
    assert!(item.stored_attributes.is_empty());
    assert_eq!(item.version, 0);
}

#[test]
fn a_batch_tool_item_keeps_its_id_and_gets_a_description_but_no_email() {
    let (id, written) = ready(batch_item());
    assert_eq!(id, "item1");
    assert_eq!(written["id"], s("item1"));
    assert_eq!(written["created_at"], s("2024-03-25T10:00:00.000Z"));
    assert_eq!(written["updated_at"], written["created_at"]);
    assert_eq!(written["description"], s(""));
    assert!(
        !written.contains_key("email"),
        "an e-mail is never invented"
    );
    assert_eq!(written["status"], s("active"));
}

#[test]
fn a_strict_item_is_written_as_it_is_read() {
    let (_, once) = ready(handler_item());
    let (_, twice) = ready(once.clone());
    assert_eq!(once, twice);
    let item = serde_json::from_value::<StoredItem>(json!({}))
        .unwrap()
        .into_item();
    assert!(item.is_err(), "an empty item is not an item");
}

#[test]
fn internal_attributes_are_kept() {
    let mut stored = batch_item();
    stored.insert(REQUEST_FINGERPRINT.into(), s("abc"));
    let (_, written) = ready(stored);
    assert_eq!(written[REQUEST_FINGERPRINT], s("abc"));
}

#[test]
fn unrepresentable_items_are_skipped_naming_the_attributes_only() {
    let mut number_name = batch_item();
    number_name.insert("name".into(), AttributeValue::N("42".into()));
    number_name.insert("created_at".into(), s("yesterday"));
    let skip = skipped(number_name);
    assert_eq!(skip.id.as_deref(), Some("item1"));
    assert_eq!(skip.attributes, ["name", "created_at"]);
    assert_eq!(skip.reason, SkipReason::Unrepresentable);
    assert!(!format!("{skip:?}").contains("yesterday"), "never a value");

    let mut binary = batch_item();
    binary.insert("photo".into(), AttributeValue::B(Blob::new(vec![1, 2, 3])));
    let skip = skipped(binary);
    assert_eq!(skip.attributes, ["photo"]);

    let mut no_id = batch_item();
    no_id.remove("id");
    assert_eq!(skipped(no_id).id, None);
}

/// A number a double would round is never copied rounded: the item is skipped, named.
/// Before, `12345678901234567890123` was written as `12345678901234568000000`, counted as
/// copied, and a rerun found it "identical".
#[test]
fn numbers_more_precise_than_a_double_are_skipped_not_rounded() {
    let mut precise = batch_item();
    precise.insert(
        "account".into(),
        AttributeValue::N("12345678901234567890123".into()),
    );
    precise.insert(
        "prices".into(),
        AttributeValue::L(vec![AttributeValue::N("0.1234567890123456789".into())]),
    );
    let skip = skipped(precise);
    assert_eq!(skip.attributes, ["account", "prices"]);
    assert_eq!(skip.reason, SkipReason::Unrepresentable);

    let mut exact = batch_item();
    exact.insert(
        "price".into(),
        AttributeValue::N("0.30000000000000004".into()),
    );
    let (_, attributes) = ready(exact);
    let AttributeValue::M(fields) = &attributes["attributes"] else {
        panic!("{attributes:?}")
    };
    assert_eq!(
        fields["price"],
        AttributeValue::N("0.30000000000000004".into())
    );
}

#[test]
fn top_level_attributes_too_big_for_attributes_are_skipped() {
    let mut big = batch_item();
    big.insert("notes".into(), s(&"x".repeat(20 * 1024)));
    let skip = skipped(big);
    assert_eq!(skip.reason, SkipReason::AttributesDoNotFit);
    assert_eq!(skip.attributes, ["notes"]);
}
