//! One newtype per item field. Each has a single `parse` constructor that enforces the
//! field's rules, so a value of these types is valid by construction. `Deserialize` goes
//! through the same `parse`, so data read back from storage is held to the same rules.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// An item's id. New items get a UUID (v4 for plain creates, v5 for creates with an
/// `Idempotency-Key`), but any string the original service or its tools stored is an id
/// too: 1..=255 characters, no `/` (it would split the path) and no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ItemId(String);

impl ItemId {
    pub const MAX_CHARS: usize = 255;

    pub fn new_random() -> Self {
        Self(Uuid::new_v4().hyphenated().to_string())
    }

    /// The same `(scope, key)` always gives the same id: what makes a retried create idempotent.
    pub fn from_idempotency_key(scope: &str, key: &str) -> Self {
        // A fixed namespace of our own, so ids never collide with another product's v5 ids.
        const NAMESPACE: Uuid = Uuid::from_u128(0x6f0b_5c3e_2a41_4d8e_9b7a_1c2d_3e4f_5a6b);
        let name = format!("{}\n{}", scope, key);
        Self(
            Uuid::new_v5(&NAMESPACE, name.as_bytes())
                .hyphenated()
                .to_string(),
        )
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let chars = text.chars().count();
        if !(1..=Self::MAX_CHARS).contains(&chars) {
            return Err(format!("must be 1 to {} characters", Self::MAX_CHARS));
        }
        if text.chars().any(|c| c == '/' || c.is_control()) {
            return Err("must not contain '/' or control characters".into());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `TryFrom<String>` through `parse` and `Into<String>`, which serde uses for these newtypes.
macro_rules! string_conversions {
    ($($newtype:ident),*) => {$(
        impl TryFrom<String> for $newtype {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                Self::parse(&text)
            }
        }

        impl From<$newtype> for String {
            fn from(value: $newtype) -> String {
                value.0
            }
        }
    )*};
}
string_conversions!(ItemId, Name, Email, Description);

/// A display name: 1..=200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            return Err("must not be empty".into());
        }
        if chars > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address. The seed's pattern `^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$` is
/// the floor; on top of it: RFC 5321 lengths, no empty or hyphen-edged domain labels, no
/// dot at the ends of the local part or doubled. The domain is lower-cased (it is
/// case-insensitive), the local part kept as given, so `EmailIndex` look-ups match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(text: &str) -> Result<Self, String> {
        const INVALID: &str = "must be a valid e-mail address like user@example.com";
        let text = text.trim();
        if text.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(INVALID.into());
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let tld = labels.last().copied().unwrap_or_default();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic());
        if !(local_ok && domain_ok) {
            return Err(INVALID.into());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text, at most 2000 characters; empty when not given (as in the seed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The closed set of lifecycle states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Inactive,
    Archived,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Inactive, Status::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Archived => "archived",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| "must be one of: active, inactive, archived".into())
    }
}

/// Anything else a client wants to keep with the item: a JSON object of at most 16 KB.
/// It is stored as one DynamoDB map attribute, so client keys never become top-level
/// attribute names. Limits keep every value storable: nesting depth (DynamoDB allows 32
/// levels; the item itself uses one), non-empty keys, and numbers in DynamoDB's range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Attributes(Map<String, Value>);

impl Attributes {
    pub const MAX_BYTES: usize = 16 * 1024;
    pub const MAX_DEPTH: usize = 16;

    pub fn parse(value: Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("must be a JSON object".into());
        };
        Self::try_from(map)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl TryFrom<Map<String, Value>> for Attributes {
    type Error = String;
    fn try_from(map: Map<String, Value>) -> Result<Self, String> {
        let size = serde_json::to_vec(&map)
            .map(|bytes| bytes.len())
            .unwrap_or(usize::MAX);
        if size > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes as JSON", Self::MAX_BYTES));
        }
        for value in map.values() {
            check_storable(value, 2)?;
        }
        if map.keys().any(String::is_empty) {
            return Err("keys must not be empty".into());
        }
        Ok(Self(map))
    }
}

impl From<Attributes> for Map<String, Value> {
    fn from(attributes: Attributes) -> Self {
        attributes.0
    }
}

fn check_storable(value: &Value, depth: usize) -> Result<(), String> {
    // DynamoDB numbers: magnitude between 1e-130 and 1e126 (or zero).
    const TOO_BIG: f64 = 1e126;
    const SMALLEST: f64 = 1e-130;
    if depth > Attributes::MAX_DEPTH {
        return Err(format!(
            "must not nest deeper than {} levels",
            Attributes::MAX_DEPTH
        ));
    }
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(n) if n == 0.0 || (SMALLEST..TOO_BIG).contains(&n.abs()) => Ok(()),
            _ => Err("numbers must be zero or between 1e-130 and 1e126 in magnitude".into()),
        },
        Value::Array(values) => values.iter().try_for_each(|v| check_storable(v, depth + 1)),
        Value::Object(map) => {
            if map.keys().any(String::is_empty) {
                return Err("keys must not be empty".into());
            }
            map.values().try_for_each(|v| check_storable(v, depth + 1))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
