//! `fields=name,status` on `GET /items/{id}` and `GET /items` (the original
//! `get_item_with_projection`): which of an item's fields a response shows. `id` and
//! `version` are always shown (the item's identity and its `ETag`), so naming them, naming
//! a field twice or naming anything else is refused.

use domain::{Attributes, Description, Email, FieldError, Item, ItemId, Name, Status, Timestamp};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ApiError;

/// A field `fields=` may name: every field of an item but `id` and `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Email,
    Description,
    Status,
    CreatedAt,
    UpdatedAt,
    Attributes,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Name,
        Field::Email,
        Field::Description,
        Field::Status,
        Field::CreatedAt,
        Field::UpdatedAt,
        Field::Attributes,
    ];

    /// The field's name in responses, which is also its stored attribute's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Description => "description",
            Field::Status => "status",
            Field::CreatedAt => "created_at",
            Field::UpdatedAt => "updated_at",
            Field::Attributes => "attributes",
        }
    }
}

/// What a response shows of each item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Projection {
    #[default]
    All,
    /// `id`, `version` and these fields, in the order given, each once.
    Only(Vec<Field>),
}

impl Projection {
    /// The `fields` query parameter; absent means every field.
    pub fn from_query(params: &QueryMap) -> Result<Self, ApiError> {
        match params.all("fields").unwrap_or_default().as_slice() {
            [] => Ok(Self::All),
            [list] => Self::parse(list)
                .map_err(|reason| ApiError::InvalidQuery(vec![FieldError::new("fields", reason)])),
            _ => Err(ApiError::InvalidQuery(vec![FieldError::new(
                "fields",
                "must be given at most once",
            )])),
        }
    }

    fn parse(list: &str) -> Result<Self, String> {
        let mut fields = Vec::new();
        // Only spaces are trimmed: openapi.yaml's pattern says exactly that.
        for name in list.split(',').map(|name| name.trim_matches(' ')) {
            let field = match name {
                "id" | "version" => {
                    return Err(format!("`{name}` is always returned; list other fields"));
                }
                _ => Field::ALL
                    .into_iter()
                    .find(|field| field.as_str() == name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
                        format!("`{name}` is not a field; one of {}", known.join(", "))
                    })?,
            };
            if fields.contains(&field) {
                return Err(format!("`{name}` is named twice"));
            }
            fields.push(field);
        }
        Ok(Self::Only(fields))
    }
}

/// An item as a response shows it: the whole item, or `id`, `version` and the projected
/// fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ItemView {
    Full(Item),
    Projected(ProjectedItem),
}

impl ItemView {
    /// The ETag of the item's version, the same whatever the projection.
    pub fn etag(&self) -> String {
        let version = match self {
            Self::Full(item) => item.version,
            Self::Projected(item) => item.version,
        };
        format!("\"{version}\"")
    }

    pub fn version(&self) -> u64 {
        match self {
            Self::Full(item) => item.version,
            Self::Projected(item) => item.version,
        }
    }
}

/// `id`, `version` and the fields a projection names, each read by the rules a full read
/// uses (times without a zone as UTC, a missing `version` as 0, a missing `attributes` as
/// `{}`); a field the item does not have is left out, as a full read leaves it out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProjectedItem {
    pub id: Option<ItemId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

impl ProjectedItem {
    /// The projected attributes, already decoded to JSON; `Err` names those that do not
    /// read (never their values).
    pub fn read(mut stored: Map<String, Value>, fields: &[Field]) -> Result<Self, Vec<String>> {
        // A missing `updated_at` reads as `created_at`, as in a full read.
        let created_at = stored
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(|t| Timestamp::parse_stored(t).ok());
        let mut offending = Vec::new();
        let mut take = |name: &str, ok: &mut dyn FnMut(Value) -> bool| {
            if let Some(value) = stored.remove(name).filter(|value| !value.is_null())
                && !ok(value)
            {
                offending.push(name.to_owned());
            }
        };
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let mut item = Self::default();
        take("id", &mut |v| {
            item.id = text(&v).and_then(|t| ItemId::parse(&t).ok());
            item.id.is_some()
        });
        take("version", &mut |v| {
            v.as_u64().map(|n| item.version = n).is_some()
        });
        for field in fields {
            match field {
                Field::Name => take("name", &mut |v| {
                    item.name = text(&v).and_then(|t| Name::parse(&t).ok());
                    item.name.is_some()
                }),
                Field::Email => take("email", &mut |v| {
                    item.email = text(&v).and_then(|t| Email::parse(&t).ok());
                    item.email.is_some()
                }),
                Field::Description => take("description", &mut |v| {
                    item.description = text(&v).and_then(|t| Description::parse(&t).ok());
                    item.description.is_some()
                }),
                Field::Status => take("status", &mut |v| {
                    item.status = text(&v).and_then(|t| t.parse().ok());
                    item.status.is_some()
                }),
                Field::CreatedAt => take("created_at", &mut |v| {
                    item.created_at = text(&v).and_then(|t| Timestamp::parse_stored(&t).ok());
                    item.created_at.is_some()
                }),
                Field::UpdatedAt => take("updated_at", &mut |v| {
                    item.updated_at = text(&v).and_then(|t| Timestamp::parse_stored(&t).ok());
                    item.updated_at.is_some()
                }),
                Field::Attributes => {
                    take("attributes", &mut |v| match v {
                        Value::Object(map) => {
                            item.attributes = Attributes::try_from(map).ok();
                            item.attributes.is_some()
                        }
                        _ => false,
                    });
                    item.attributes.get_or_insert_with(Attributes::default);
                }
            }
        }
        if fields.contains(&Field::UpdatedAt) && !offending.iter().any(|o| o == "updated_at") {
            item.updated_at = item.updated_at.or(created_at);
        }
        if item.id.is_none() && !offending.contains(&"id".to_owned()) {
            offending.push("id".into());
        }
        if offending.is_empty() {
            Ok(item)
        } else {
            Err(offending)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(list: &str) -> String {
        Projection::parse(list).unwrap_err()
    }

    #[test]
    fn keeps_the_order_given() {
        assert_eq!(
            Projection::parse("status, name,created_at").unwrap(),
            Projection::Only(vec![Field::Status, Field::Name, Field::CreatedAt])
        );
    }

    #[test]
    fn refuses_unknown_repeated_and_always_returned_fields_by_name() {
        assert!(reason("name,colour").contains("`colour`"));
        assert!(reason("name,,status").contains("``"));
        assert!(reason("").contains("``"));
        assert!(reason("name,status,name").contains("`name` is named twice"));
        assert!(reason("version").contains("`version` is always returned"));
        assert!(reason("name,id").contains("`id` is always returned"));
        assert!(reason("Name").contains("`Name`"));
    }
}
