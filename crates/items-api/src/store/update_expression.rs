//! The in-place UpdateItem of a patch, shared by `PUT /items/{id}` and a batch's updates:
//! the patch's fields, `updated_at` and `version + 1` in one SET, conditioned on the item's
//! existence, the `If-Match` version, and a `version` to bump (an item of the original
//! service has none; see `update`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{ItemPatch, Timestamp};

use super::{
    AttributeMap, Precondition,
    dynamo::{condition, string, to_value},
};
use crate::ApiError;

pub(super) struct UpdateExpression {
    /// `SET …`
    pub sets: String,
    pub condition: String,
    pub names: HashMap<String, String>,
    pub values: AttributeMap,
}

impl UpdateExpression {
    pub fn new(
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<Self, ApiError> {
        let mut sets = vec!["#updated_at = :updated_at", "#version = #version + :one"];
        let mut names = HashMap::from([
            ("#id".to_string(), "id".to_string()),
            ("#updated_at".to_string(), "updated_at".to_string()),
            ("#version".to_string(), "version".to_string()),
        ]);
        let mut values = HashMap::from([
            (":updated_at".to_string(), string(now.to_string())),
            (":one".to_string(), AttributeValue::N("1".into())),
        ]);
        let mut set = |field: &'static str, assignment: &'static str, value: AttributeValue| {
            sets.push(assignment);
            names.insert(format!("#{field}"), field.to_string());
            values.insert(format!(":{field}"), value);
        };
        if let Some(name) = &patch.name {
            set("name", "#name = :name", string(name.as_str()));
        }
        if let Some(email) = &patch.email {
            set("email", "#email = :email", string(email.as_str()));
        }
        if let Some(description) = &patch.description {
            set(
                "description",
                "#description = :description",
                string(description.as_str()),
            );
        }
        if let Some(status) = patch.status {
            set("status", "#status = :status", string(status.as_str()));
        }
        if let Some(attributes) = &patch.attributes {
            set(
                "attributes",
                "#attributes = :attributes",
                to_value(attributes)?,
            );
        }
        let (condition, expected) = condition(precondition);
        if let Some(expected) = expected {
            values.insert(":expected".into(), expected);
        }
        Ok(Self {
            sets: format!("SET {}", sets.join(", ")),
            condition: format!("({condition}) AND attribute_exists(#version)"),
            names,
            values,
        })
    }

    /// Sets `attribute` to `value` too (a batch's mark).
    pub fn also_set(&mut self, attribute: &'static str, value: AttributeValue) {
        self.sets
            .push_str(&format!(", #{attribute} = :{attribute}"));
        self.names
            .insert(format!("#{attribute}"), attribute.to_string());
        self.values.insert(format!(":{attribute}"), value);
    }
}
