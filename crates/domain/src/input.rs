//! Client request bodies turned into typed input. Every problem is reported, field by
//! field, in one response (not just the first), including unknown and read-only fields.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    Attributes, Description, DomainError, Email, FieldError, Item, ItemId, Name, Status, Timestamp,
};

/// Fields the server owns: sending them is an error, not silently ignored.
const READ_ONLY: [&str; 5] = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "stored_attributes",
];
const WRITABLE: [&str; 5] = ["name", "email", "description", "status", "attributes"];

/// The body of `POST /items`: `name` and `email` required; `description` (default ""),
/// `status` (default `active`) and `attributes` (default `{}`) optional.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewItem {
    pub name: Name,
    pub email: Email,
    pub description: Description,
    pub status: Status,
    pub attributes: Attributes,
}

/// The body of `PUT /items/{id}`: any non-empty subset of the writable fields.
/// `attributes`, when given, replaces the whole object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ItemPatch {
    pub name: Option<Name>,
    pub email: Option<Email>,
    pub description: Option<Description>,
    pub status: Option<Status>,
    pub attributes: Option<Attributes>,
}

impl NewItem {
    pub fn parse(body: &[u8]) -> Result<Self, DomainError> {
        let mut fields = Fields::parse(body)?;
        let name = fields.required("name", Name::parse);
        let email = fields.required("email", Email::parse);
        let description = fields.optional("description", Description::parse);
        let status = fields.optional("status", str::parse::<Status>);
        let attributes = fields.attributes();
        fields.finish()?;
        // `finish` returned Ok, so every field above parsed.
        Ok(Self {
            name: name.expect("checked by finish"),
            email: email.expect("checked by finish"),
            description: description.unwrap_or_default(),
            status: status.unwrap_or_default(),
            attributes: attributes.unwrap_or_default(),
        })
    }

    pub fn into_item(self, id: ItemId, now: Timestamp) -> Item {
        Item {
            id,
            name: self.name,
            email: Some(self.email),
            description: Some(self.description),
            status: self.status,
            created_at: now,
            updated_at: now,
            version: 1,
            attributes: self.attributes,
            stored_attributes: Map::new(),
        }
    }

    /// A digest of the parsed request, stored with an idempotent create so a replay can
    /// tell "same request again" from "same key, different request".
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("NewItem serializes");
        let digest = Sha256::digest(&canonical);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl ItemPatch {
    pub fn parse(body: &[u8]) -> Result<Self, DomainError> {
        let mut fields = Fields::parse(body)?;
        let patch = Self {
            name: fields.optional("name", Name::parse),
            email: fields.optional("email", Email::parse),
            description: fields.optional("description", Description::parse),
            status: fields.optional("status", str::parse::<Status>),
            attributes: fields.attributes(),
        };
        fields.finish()?;
        if patch == Self::default() {
            let reason = format!("must contain at least one of: {}", WRITABLE.join(", "));
            return Err(DomainError::Validation(vec![FieldError::new(
                "body", reason,
            )]));
        }
        Ok(patch)
    }

    /// What the update makes of `item` when it is written whole (an item of the original
    /// service, on its first write here): the patch applied, `version` bumped, `updated_at`
    /// set, in the strict shape. `attributes` in the patch replaces the stored attributes too.
    pub fn apply(&self, mut item: Item, now: Timestamp) -> Result<Item, DomainError> {
        if let Some(name) = &self.name {
            item.name = name.clone();
        }
        if let Some(email) = &self.email {
            item.email = Some(email.clone());
        }
        if let Some(description) = &self.description {
            item.description = Some(description.clone());
        }
        item.status = self.status.unwrap_or(item.status);
        if let Some(attributes) = &self.attributes {
            item.attributes = attributes.clone();
            item.stored_attributes.clear();
        }
        item.version += 1;
        item.updated_at = now;
        item.into_strict().map_err(|_| {
            let reason = "the item's stored attributes do not fit in attributes: send attributes to replace them";
            DomainError::Validation(vec![FieldError::new("attributes", reason)])
        })
    }
}

/// A JSON object being taken apart; collects every field error before giving up.
struct Fields {
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    fn parse(body: &[u8]) -> Result<Self, DomainError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self {
                map,
                errors: Vec::new(),
            }),
            Ok(_) => Err(DomainError::Validation(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )])),
            Err(_) => Err(DomainError::InvalidJson),
        }
    }

    fn required<T>(&mut self, field: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        if !self.map.contains_key(field) {
            self.errors.push(FieldError::new(field, "is required"));
            return None;
        }
        self.optional(field, parse)
    }

    fn optional<T>(&mut self, field: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = self.map.remove(field)?;
        let result = match value {
            Value::String(text) => parse(&text),
            _ => Err("must be a string".into()),
        };
        result
            .map_err(|reason| self.errors.push(FieldError::new(field, reason)))
            .ok()
    }

    fn attributes(&mut self) -> Option<Attributes> {
        let value = self.map.remove("attributes")?;
        Attributes::parse(value)
            .map_err(|reason| self.errors.push(FieldError::new("attributes", reason)))
            .ok()
    }

    /// Everything left over is read-only or unknown; any error fails the whole request.
    fn finish(mut self) -> Result<(), DomainError> {
        let mut leftovers: Vec<String> = self.map.keys().cloned().collect();
        leftovers.sort();
        for field in leftovers {
            let reason = if READ_ONLY.contains(&field.as_str()) {
                "is read-only"
            } else {
                "unknown field"
            };
            self.errors.push(FieldError::new(field, reason));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_reasons(result: Result<impl std::fmt::Debug, DomainError>) -> Vec<(String, String)> {
        match result.unwrap_err() {
            DomainError::Validation(fields) => {
                fields.into_iter().map(|f| (f.field, f.reason)).collect()
            }
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn new_item_defaults() {
        let item = NewItem::parse(br#"{"name":" Widget ","email":"a@example.com"}"#).unwrap();
        assert_eq!(item.name.as_str(), "Widget");
        assert_eq!(item.status, Status::Active);
        assert_eq!(item.description.as_str(), "");
        assert!(item.attributes.as_map().is_empty());
        let stored = item.into_item(ItemId::new_random(), Timestamp::now());
        assert_eq!(stored.version, 1);
        assert_eq!(stored.created_at, stored.updated_at);
    }

    #[test]
    fn new_item_reports_every_problem_at_once() {
        let reasons = field_reasons(NewItem::parse(
            br#"{"email":42,"status":"gone","id":"x","version":3,"colour":"red"}"#,
        ));
        let fields: Vec<&str> = reasons.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "email", "status", "colour", "id", "version"]
        );
        assert!(reasons.contains(&("colour".into(), "unknown field".into())));
        assert!(reasons.contains(&("id".into(), "is read-only".into())));
        assert!(reasons.contains(&("email".into(), "must be a string".into())));
    }

    #[test]
    fn bodies_that_are_not_objects() {
        assert!(matches!(
            NewItem::parse(b"{not json"),
            Err(DomainError::InvalidJson)
        ));
        assert!(matches!(NewItem::parse(b""), Err(DomainError::InvalidJson)));
        assert!(matches!(
            NewItem::parse(&[0xff, 0xfe]),
            Err(DomainError::InvalidJson)
        ));
        assert_eq!(field_reasons(NewItem::parse(b"[1,2]"))[0].0, "body");
        let deep = "[".repeat(10_000);
        assert!(matches!(
            NewItem::parse(deep.as_bytes()),
            Err(DomainError::InvalidJson)
        ));
    }

    #[test]
    fn patch_needs_a_writable_field() {
        assert_eq!(field_reasons(ItemPatch::parse(b"{}"))[0].0, "body");
        let reasons = field_reasons(ItemPatch::parse(
            br#"{"created_at":"2024-01-01T00:00:00Z","stored_attributes":{}}"#,
        ));
        assert_eq!(
            reasons,
            [
                ("created_at".to_string(), "is read-only".to_string()),
                ("stored_attributes".to_string(), "is read-only".to_string())
            ]
        );
        let patch = ItemPatch::parse(br#"{"status":"archived","attributes":{"k":1}}"#).unwrap();
        assert_eq!(patch.status, Some(Status::Archived));
        assert!(patch.name.is_none());
    }

    #[test]
    fn a_patch_applied_whole_bumps_the_version_and_keeps_the_rest() {
        let mut item = NewItem::parse(br#"{"name":"A","email":"a@example.com"}"#)
            .unwrap()
            .into_item(ItemId::new_random(), Timestamp::now());
        (item.version, item.email, item.description) = (0, None, None);
        item.stored_attributes.insert("color".into(), "red".into());
        let later = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();

        let patch = ItemPatch::parse(br#"{"status":"archived"}"#).unwrap();
        let patched = patch.apply(item.clone(), later).unwrap();
        assert_eq!((patched.version, patched.status), (1, Status::Archived));
        assert_eq!(
            (patched.updated_at, patched.created_at),
            (later, item.created_at)
        );
        assert_eq!((patched.name, patched.email), (item.name.clone(), None));
        assert_eq!(patched.description, Some(Description::default()));
        assert_eq!(patched.attributes.as_map()["color"], "red");

        let replace = ItemPatch::parse(br#"{"attributes":{"size":1}}"#).unwrap();
        let replaced = replace.apply(item, later).unwrap();
        assert!(!replaced.attributes.as_map().contains_key("color"));
        assert!(replaced.stored_attributes.is_empty());
    }

    #[test]
    fn fingerprint_follows_the_parsed_request() {
        let a = NewItem::parse(br#"{"name":"A","email":"a@example.com"}"#).unwrap();
        let same = NewItem::parse(br#"{ "email":"a@example.com", "name":"A " }"#).unwrap();
        let other = NewItem::parse(br#"{"name":"B","email":"a@example.com"}"#).unwrap();
        assert_eq!(a.fingerprint(), same.fingerprint());
        assert_ne!(a.fingerprint(), other.fingerprint());
    }
}
