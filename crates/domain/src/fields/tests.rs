use super::*;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn name_is_trimmed_and_bounded() {
    assert_eq!(Name::parse("  Widget ").unwrap().as_str(), "Widget");
    assert!(Name::parse("   ").is_err());
    assert!(Name::parse(&"x".repeat(200)).is_ok());
    assert!(Name::parse(&"x".repeat(201)).is_err());
    assert!(
        Name::parse(&"가".repeat(200)).is_ok(),
        "limit counts characters, not bytes"
    );
    assert!(Name::parse("a\u{0}b").is_err());
}

#[test]
fn email_meets_the_seed_floor_and_more() {
    for ok in [
        "user@example.com",
        "first.last+tag@sub.example.co.kr",
        "a_b%c-d@x-y.io",
    ] {
        assert!(Email::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "plain",
        "@example.com",
        "user@",
        "user@example",
        "user@example.c",
        "user@@example.com",
        "user@exa_mple.com",
        "user@-example.com",
        "user@example..com",
        ".user@example.com",
        "us..er@example.com",
        "user name@example.com",
        "user@example.123",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
    }
    assert_eq!(
        Email::parse("Bob@Example.COM").unwrap().as_str(),
        "Bob@example.com"
    );
    let long_local = format!("{}@example.com", "a".repeat(65));
    assert!(Email::parse(&long_local).is_err());
}

#[test]
fn description_is_bounded() {
    assert_eq!(Description::parse("").unwrap(), Description::default());
    assert!(Description::parse(&"d".repeat(2000)).is_ok());
    assert!(Description::parse(&"d".repeat(2001)).is_err());
}

#[test]
fn status_is_a_closed_set() {
    assert_eq!("archived".parse::<Status>().unwrap(), Status::Archived);
    assert!("ACTIVE".parse::<Status>().is_err());
    assert!("deleted".parse::<Status>().is_err());
}

#[test]
fn item_ids_are_any_path_safe_string() {
    let id = ItemId::new_random();
    assert_eq!(ItemId::parse(id.as_str()).unwrap(), id);
    assert_eq!(id.as_str().len(), 36, "new ids are hyphenated UUIDs");
    for ok in ["item1", "does-not-exist-1", "가나다", &"x".repeat(255)] {
        assert_eq!(ItemId::parse(ok).unwrap().as_str(), ok);
    }
    for bad in ["", "a/b", "a\nb", "\u{0}", &"x".repeat(256)] {
        assert!(ItemId::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn idempotency_ids_are_stable_and_scoped() {
    let a = ItemId::from_idempotency_key("key-A", "order-1");
    assert_eq!(a, ItemId::from_idempotency_key("key-A", "order-1"));
    assert_ne!(a, ItemId::from_idempotency_key("key-B", "order-1"));
    assert_ne!(a, ItemId::from_idempotency_key("key-A", "order-2"));
}

#[test]
fn attributes_must_be_a_storable_object() {
    assert!(Attributes::parse(json!({"color": "red", "tags": ["a", 1, null]})).is_ok());
    assert!(Attributes::parse(json!(["not", "an", "object"])).is_err());
    assert!(Attributes::parse(json!({"": 1})).is_err());
    assert!(Attributes::parse(json!({"a": {"": 1}})).is_err());
    assert!(Attributes::parse(json!({"huge": 1e200})).is_err());
    assert!(Attributes::parse(json!({"tiny": 1e-200})).is_err());
    assert!(Attributes::parse(json!({"zero": 0.0, "big": 1e125})).is_ok());
    let big = "x".repeat(Attributes::MAX_BYTES);
    assert!(Attributes::parse(json!({ "big": big })).is_err());
    let mut deep = json!(1);
    for _ in 0..Attributes::MAX_DEPTH {
        deep = json!([deep]);
    }
    assert!(Attributes::parse(json!({ "deep": deep })).is_err());
}

proptest! {
    #[test]
    fn any_name_parse_result_is_trimmed_and_in_bounds(text in "\\PC{0,250}") {
        if let Ok(name) = Name::parse(&text) {
            prop_assert_eq!(name.as_str(), name.as_str().trim());
            let chars = name.as_str().chars().count();
            prop_assert!((1..=Name::MAX_CHARS).contains(&chars));
        }
    }

    #[test]
    fn generated_addresses_parse_and_round_trip(
        local in "[a-z0-9]([a-z0-9_%+-]{0,20}[a-z0-9])?",
        domain in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,2}",
        tld in "[a-z]{2,6}",
    ) {
        let text = format!("{local}@{domain}.{tld}");
        let email = Email::parse(&text).unwrap();
        prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
        prop_assert_eq!(email.as_str(), text.as_str());
    }
}
