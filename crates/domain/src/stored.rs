//! Tolerant reading: what a stored item becomes when it is read. Items we write have the
//! strict shape, but a table of the original Python service holds other shapes: ids that
//! are not UUIDs, times without a zone, no `version`, no `email` or `description`, and
//! attributes its clients added at the top level. [`StoredItem`] reads all of them by the
//! rules README's "Moving from the original Python service" documents; what cannot be read
//! at all is an [`UnrepresentableItem`] naming the attributes at fault (never their values).

use std::fmt;

mod numbers;
pub use numbers::number_is_exact;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    Attributes, Description, Email, Item, ItemId, Name, Status, Timestamp,
    history::{RESTORE_FINGERPRINT, RESTORE_TOKEN, RESTORED_VERSION},
};

/// Stored beside an idempotently created item: the digest of the request that created it.
pub const REQUEST_FINGERPRINT: &str = "request_fingerprint";

/// Stored beside an item a batch with an `Idempotency-Key` created or updated: who sent the
/// batch under which key, and the digest of its operations (items-api's `batch` module).
pub const BATCH_TOKEN: &str = "batch_token";
pub const BATCH_FINGERPRINT: &str = "batch_fingerprint";

/// Attributes we store beside an item that are not part of it: never shown to clients
/// (not even as unknown attributes) and kept by every write. The restore's marks are in
/// [`crate::history`].
pub const INTERNAL_ATTRIBUTES: [&str; 6] = [
    REQUEST_FINGERPRINT,
    BATCH_TOKEN,
    BATCH_FINGERPRINT,
    RESTORED_VERSION,
    RESTORE_TOKEN,
    RESTORE_FINGERPRINT,
];

/// A stored item's attributes as they are, whatever their shape: deserialize it from a
/// DynamoDB attribute map with `serde_dynamo::from_item`, then [`into_item`](Self::into_item).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct StoredItem(Map<String, Value>);

/// A stored item that cannot be shown as an [`Item`]: an attribute of ours with a value
/// of another kind (a `name` that is a number, a `created_at` that is not a time), or a
/// required one missing. Carries names only, so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnrepresentableItem {
    /// The stored `id`, when it is a string (even one that is not a valid id).
    pub id: Option<String>,
    /// The offending attribute names, in the order of [`Item`]'s fields.
    pub attributes: Vec<String>,
}

impl fmt::Display for UnrepresentableItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stored item {:?} cannot be represented: {}",
            self.id.as_deref().unwrap_or("<no id>"),
            self.attributes.join(", ")
        )
    }
}

impl StoredItem {
    /// A stored item from its attributes, each already decoded to JSON by the caller (the
    /// SDK's and the stream event's attribute types differ): an attribute holding a kind of
    /// value JSON has no form for (binary) makes the item unrepresentable, named with the
    /// others that could not be decoded.
    pub fn decoded<E>(
        attributes: impl IntoIterator<Item = (String, Result<Value, E>)>,
    ) -> Result<Self, UnrepresentableItem> {
        let mut stored = Map::new();
        let mut undecodable = Vec::new();
        for (name, value) in attributes {
            match value {
                Ok(value) => {
                    stored.insert(name, value);
                }
                Err(_) => undecodable.push(name),
            }
        }
        let stored = Self(stored);
        if undecodable.is_empty() {
            return Ok(stored);
        }
        undecodable.sort();
        Err(UnrepresentableItem {
            id: stored.id().map(str::to_owned),
            attributes: undecodable,
        })
    }

    /// The stored `id`, when it is a string (even one that is not a valid id).
    pub fn id(&self) -> Option<&str> {
        self.0.get("id").and_then(Value::as_str)
    }

    /// The attributes as stored, for a reader that shows only some of them.
    pub fn into_attributes(self) -> Map<String, Value> {
        self.0
    }

    /// The item as clients see it: times without a zone read as UTC, a missing `version` as
    /// 0, a missing `updated_at` as `created_at`, a missing `email`/`description`/`attributes`
    /// (or a NULL one) as absent, and attributes not of ours under `stored_attributes`.
    pub fn into_item(self) -> Result<Item, UnrepresentableItem> {
        let stored_id = self.id().map(str::to_owned);
        let mut reader = Reader {
            map: self.0,
            offending: Vec::new(),
        };
        for internal in INTERNAL_ATTRIBUTES {
            reader.map.remove(internal);
        }
        let id = reader.required("id", text(ItemId::parse));
        let name = reader.required("name", text(Name::parse));
        let email = reader.optional("email", text(Email::parse));
        let description = reader.optional("description", text(Description::parse));
        let status = reader.required("status", text(str::parse::<Status>));
        let created_at = reader.required("created_at", text(Timestamp::parse_stored));
        let updated_at = reader.optional("updated_at", text(Timestamp::parse_stored));
        let version = reader.optional("version", |value| value.as_u64());
        let attributes = reader.optional("attributes", |value| match value {
            Value::Object(map) => Attributes::try_from(map).ok(),
            _ => None,
        });
        let (Some(id), Some(name), Some(status), Some(created_at), true) =
            (id, name, status, created_at, reader.offending.is_empty())
        else {
            return Err(UnrepresentableItem {
                id: stored_id,
                attributes: reader.offending,
            });
        };
        Ok(Item {
            id,
            name,
            email,
            description,
            status,
            created_at,
            updated_at: updated_at.unwrap_or(created_at),
            version: version.unwrap_or(0),
            attributes: attributes.unwrap_or_default(),
            stored_attributes: reader.map,
        })
    }
}

impl Item {
    /// The item in the shape every write stores: `description` present (`""` when it was
    /// absent) and `stored_attributes` moved into `attributes` (where a key is in both,
    /// `attributes` wins). Fails, naming the stored attributes, when together they exceed
    /// what `attributes` may hold.
    pub fn into_strict(mut self) -> Result<Item, UnrepresentableItem> {
        self.description.get_or_insert_default();
        if self.stored_attributes.is_empty() {
            return Ok(self);
        }
        let mut merged = std::mem::take(&mut self.stored_attributes);
        let mut names: Vec<String> = merged.keys().cloned().collect();
        names.sort();
        merged.extend(Map::from(std::mem::take(&mut self.attributes)));
        self.attributes = Attributes::try_from(merged).map_err(|_| UnrepresentableItem {
            id: Some(self.id.to_string()),
            attributes: names,
        })?;
        Ok(self)
    }
}

/// The attribute map being taken apart; notes every attribute that does not read.
struct Reader {
    map: Map<String, Value>,
    offending: Vec<String>,
}

impl Reader {
    /// `None` when absent or NULL; noted as offending when present but unreadable.
    fn optional<T>(&mut self, name: &str, read: impl FnOnce(Value) -> Option<T>) -> Option<T> {
        let value = self.map.remove(name).filter(|value| !value.is_null())?;
        let read = read(value);
        if read.is_none() {
            self.offending.push(name.to_owned());
        }
        read
    }

    fn required<T>(&mut self, name: &str, read: impl FnOnce(Value) -> Option<T>) -> Option<T> {
        let read = self.optional(name, read);
        if read.is_none() && !self.offending.iter().any(|n| n == name) {
            self.offending.push(name.to_owned());
        }
        read
    }
}

/// Reads a string attribute with a field's `parse`.
fn text<T>(parse: impl Fn(&str) -> Result<T, String>) -> impl FnOnce(Value) -> Option<T> {
    move |value| match value {
        Value::String(text) => parse(&text).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
