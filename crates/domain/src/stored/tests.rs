use super::*;
use serde_json::json;

fn read(stored: Value) -> Result<Item, UnrepresentableItem> {
    serde_json::from_value::<StoredItem>(stored)
        .unwrap()
        .into_item()
}

#[test]
fn reads_an_item_of_the_original_handler() {
    let item = read(json!({
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "name": "Widget",
        "email": "a@example.com",
        "description": "",
        "status": "active",
        "created_at": "2024-03-25T10:00:00.123456",
        "updated_at": "2024-03-26T10:00:00",
        "color": "red",
    }))
    .unwrap();
    assert_eq!(item.version, 0);
    assert_eq!(item.etag(), "\"0\"");
    assert_eq!(item.created_at.to_string(), "2024-03-25T10:00:00.123Z");
    assert_eq!(item.updated_at.to_string(), "2024-03-26T10:00:00.000Z");
    assert_eq!(
        item.stored_attributes,
        json!({"color": "red"}).as_object().cloned().unwrap()
    );
    assert!(item.attributes.as_map().is_empty());
}

#[test]
fn reads_an_item_of_the_batch_tool() {
    let item = read(json!({
        "id": "item1",
        "name": "Sample Item 1",
        "status": "active",
        "created_at": "2024-03-25T10:00:00Z",
    }))
    .unwrap();
    assert_eq!(item.id.as_str(), "item1");
    assert_eq!((item.email, item.description), (None, None));
    assert_eq!(item.updated_at, item.created_at);
    let shown = serde_json::to_value(
        read(json!({
            "id": "item2", "name": "n", "status": "inactive", "created_at": "2024-03-25T11:00:00Z",
            "email": null,
        }))
        .unwrap(),
    )
    .unwrap();
    assert!(shown.get("email").is_none() && shown.get("description").is_none());
    assert!(shown.get("stored_attributes").is_none(), "{shown}");
}

#[test]
fn internal_attributes_are_never_shown() {
    let item = read(json!({
        "id": "i", "name": "n", "status": "active", "created_at": "2024-03-25T11:00:00Z",
        "version": 3, REQUEST_FINGERPRINT: "abc",
    }))
    .unwrap();
    assert!(item.stored_attributes.is_empty());
    assert_eq!(item.version, 3);
}

#[test]
fn unrepresentable_items_name_their_attributes_not_values() {
    let error = read(json!({
        "id": "item9", "name": 42, "status": "active", "created_at": "secret-value",
        "version": "seven",
    }))
    .unwrap_err();
    assert_eq!(error.id.as_deref(), Some("item9"));
    assert_eq!(error.attributes, ["name", "created_at", "version"]);
    assert!(!error.to_string().contains("secret-value"));
    let error = read(json!({"id": 7, "status": "active", "created_at": "2024-03-25T11:00:00Z"}))
        .unwrap_err();
    assert_eq!(
        (error.id, error.attributes),
        (None, vec!["id".into(), "name".into()])
    );
}

#[test]
fn strict_shape_moves_stored_attributes_into_attributes() {
    let mut item = read(json!({
        "id": "item1", "name": "n", "status": "active", "created_at": "2024-03-25T11:00:00Z",
        "color": "red", "size": 3, "attributes": {"size": 4},
    }))
    .unwrap();
    let strict = item.clone().into_strict().unwrap();
    assert!(strict.stored_attributes.is_empty());
    assert_eq!(strict.description, Some(Description::default()));
    assert_eq!(
        Value::Object(strict.attributes.into()),
        json!({"color": "red", "size": 4})
    );
    item.stored_attributes
        .insert("big".into(), json!("x".repeat(Attributes::MAX_BYTES)));
    let error = item.into_strict().unwrap_err();
    assert_eq!(error.attributes, ["big", "color", "size"]);
}

#[test]
fn attributes_that_could_not_be_decoded_are_named_in_order() {
    let decoded = |name: &str, value: Result<Value, ()>| (name.to_string(), value);
    let error = StoredItem::decoded([
        decoded("id", Ok(json!("item1"))),
        decoded("thumbnail", Err(())),
        decoded("name", Ok(json!("n"))),
        decoded("icon", Err(())),
    ])
    .unwrap_err();
    assert_eq!(error.id.as_deref(), Some("item1"));
    assert_eq!(error.attributes, ["icon", "thumbnail"]);
    let stored = StoredItem::decoded([decoded("id", Ok(json!("item1")))]).unwrap();
    assert_eq!(stored.id(), Some("item1"));
}
