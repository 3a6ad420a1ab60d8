//! `fields=name,status` on `GET /items/{id}` and `GET /items` (the original
//! `get_item_with_projection`): which of an item's fields a response shows. `id` and
//! `version` are always shown (the item's identity and its `ETag`), so naming them, naming
//! a field twice or naming anything else is refused.

use domain::{Attributes, Description, Email, FieldError, Item, ItemId, Name, Status, Timestamp};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde::{Deserialize, Serialize};

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

/// An item as a response shows it: every field, or `id`, `version` and the projected ones.
/// Absent fields are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: ItemId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

impl ItemView {
    /// The ETag of the item's version, the same whatever the projection.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// A projected read: fields stored without a value (an item written before
    /// `description` or `attributes` had defaults) show their default, as a full read does.
    pub fn with_defaults(mut self, fields: &[Field]) -> Self {
        if fields.contains(&Field::Description) {
            self.description.get_or_insert_with(Description::default);
        }
        if fields.contains(&Field::Attributes) {
            self.attributes.get_or_insert_with(Attributes::default);
        }
        self
    }
}

impl From<Item> for ItemView {
    fn from(item: Item) -> Self {
        Self {
            id: item.id,
            name: Some(item.name),
            email: Some(item.email),
            description: Some(item.description),
            status: Some(item.status),
            created_at: Some(item.created_at),
            updated_at: Some(item.updated_at),
            version: item.version,
            attributes: Some(item.attributes),
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
