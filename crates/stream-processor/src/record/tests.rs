use serde_json::json;

use super::*;

/// A stream record with these images, as the stream delivers it.
fn record(event_name: &str, old: Value, new: Value) -> EventRecord {
    let image = |value: &Value| -> serde_dynamo::Item {
        match value {
            Value::Null => serde_dynamo::Item::from(std::collections::HashMap::<
                String,
                serde_dynamo::AttributeValue,
            >::new()),
            value => serde_dynamo::to_item(value).unwrap(),
        }
    };
    let mut record = EventRecord::default();
    record.event_id = "e1".into();
    record.event_name = event_name.into();
    record.change.keys = serde_dynamo::to_item(json!({"id": "item1"})).unwrap();
    record.change.sequence_number = Some("100".into());
    record.change.old_image = image(&old);
    record.change.new_image = image(&new);
    record
}

/// As the original handler stored an item: isoformat() times without a zone, no version,
/// a top-level field its client sent.
fn original() -> Value {
    json!({
        "id": "item1", "name": "Widget", "email": "a@example.com", "status": "active",
        "created_at": "2024-03-25T05:00:00.123456", "updated_at": "2024-03-25T05:00:00.123456",
        "color": "red"
    })
}

#[test]
fn an_item_of_the_original_service_reads_as_an_item_at_version_0() {
    let decoded = decode(&record("INSERT", Value::Null, original())).unwrap();
    let item = decoded.item.as_ref().unwrap();
    assert_eq!(item.version, 0);
    assert_eq!(item.stored_attributes["color"], "red");
    assert_eq!(
        (decoded.version(), decoded.status()),
        (0, Some(Status::Active))
    );
    assert_eq!(
        Value::Object(decoded.document),
        original(),
        "archived as stored"
    );
}

#[test]
fn an_unrepresentable_image_is_still_a_change_named_by_its_attributes() {
    let mut new = original();
    new["name"] = json!(42);
    new["version"] = json!(3);
    new["status"] = json!("someone@example.com");
    let decoded = decode(&record("MODIFY", original(), new.clone())).unwrap();
    let unrepresentable = decoded.item.as_ref().unwrap_err();
    assert_eq!(unrepresentable.attributes, ["name", "status"]);
    assert_eq!(decoded.version(), 3);
    assert_eq!(
        decoded.status(),
        None,
        "a stored status that is not one is not repeated"
    );
    assert_eq!(decoded.changed_fields, ["name", "status"]);
    assert_eq!(Value::Object(decoded.document), new);
}

/// Another tool fixing an unrepresentable item: the change is about the new image, which
/// reads; the old one's faults are not the change's. And the reverse is named by the new
/// image's attributes, not the old one's.
#[test]
fn only_the_image_a_change_is_about_makes_it_unrepresentable() {
    let mut broken = original();
    broken["name"] = json!(42);
    let fixed = decode(&record("MODIFY", broken.clone(), original())).unwrap();
    assert_eq!(fixed.item.as_ref().unwrap().name.as_str(), "Widget");
    assert_eq!(fixed.changed_fields, ["name"]);
    assert_eq!(fixed.status(), Some(Status::Active));

    let mut broken_otherwise = original();
    broken_otherwise["created_at"] = json!("yesterday");
    let still_broken = decode(&record("MODIFY", broken, broken_otherwise)).unwrap();
    assert_eq!(
        still_broken.item.as_ref().unwrap_err().attributes,
        ["created_at"]
    );
    assert_eq!(still_broken.changed_fields, ["created_at", "name"]);
}

/// As items-api reads it: a number a double would round makes its attribute unrepresentable;
/// the archive keeps its text.
#[test]
fn a_number_more_precise_than_a_double_is_named_and_archived_exactly() {
    let mut record = record("INSERT", Value::Null, original());
    record.change.new_image.insert(
        "account".into(),
        serde_dynamo::AttributeValue::N("12345678901234567890123".into()),
    );
    let decoded = decode(&record).unwrap();
    assert_eq!(decoded.item.as_ref().unwrap_err().attributes, ["account"]);
    assert_eq!(decoded.document["account"], "12345678901234567890123");
}

#[test]
fn internal_attributes_are_not_archived_nor_changes() {
    let mut old = original();
    old["request_fingerprint"] = json!("abc");
    let mut new = old.clone();
    new["request_fingerprint"] = json!("def");
    new["name"] = json!("Widget 2");
    let decoded = decode(&record("MODIFY", old, new)).unwrap();
    assert!(!decoded.document.contains_key("request_fingerprint"));
    assert_eq!(decoded.changed_fields, ["name"]);
}

#[test]
fn records_that_can_never_be_processed_are_poison() {
    let unknown = record("UPSERT", Value::Null, original());
    assert!(matches!(decode(&unknown), Err(Poison::EventName(_))));

    let mut no_id = record("INSERT", Value::Null, original());
    no_id.change.keys = serde_dynamo::to_item(json!({"id": "a/b"})).unwrap();
    assert_eq!(decode(&no_id), Err(Poison::NoItemId));

    let removed_without_image = record("REMOVE", Value::Null, Value::Null);
    assert_eq!(
        decode(&removed_without_image),
        Err(Poison::MissingImage(ChangeKind::Remove))
    );
    let modified_without_old = record("MODIFY", Value::Null, original());
    assert_eq!(
        decode(&modified_without_old),
        Err(Poison::MissingImage(ChangeKind::Modify))
    );

    let mut no_sequence = record("INSERT", Value::Null, original());
    no_sequence.change.sequence_number = None;
    assert_eq!(decode(&no_sequence), Err(Poison::NoSequenceNumber));
}
