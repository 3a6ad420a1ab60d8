//! The in-place UpdateItem of a patch, shared by `PUT /items/{id}` and a batch's updates:
//! the patch's fields, `updated_at` and `version + 1` in one SET, conditioned on the item's
//! existence, the `If-Match` version, and a `version` to bump (an item of the original
//! service has none; see `update`). [`UpdateExpression::image_after`] is the image it makes
//! of a stored one, checked before the write.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{ItemPatch, Timestamp};

use super::{
    AttributeMap, Precondition,
    dynamo::{condition, string, to_value},
};
use crate::ApiError;

#[derive(Clone)]
pub(super) struct UpdateExpression {
    /// `SET …`
    pub sets: String,
    /// What the SET assigns besides `version`, attribute by attribute.
    assigned: Vec<(&'static str, AttributeValue)>,
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
        let mut assigned = vec![("updated_at", string(now.to_string()))];
        let mut set = |field: &'static str, assignment: &'static str, value: AttributeValue| {
            sets.push(assignment);
            names.insert(format!("#{field}"), field.to_string());
            values.insert(format!(":{field}"), value.clone());
            assigned.push((field, value));
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
            assigned,
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
        self.values.insert(format!(":{attribute}"), value.clone());
        self.assigned.push((attribute, value));
    }

    /// The image this update makes of `stored`, as `ReturnValues::AllNew` shows it when no
    /// other write comes between: the attributes it does not set are as stored, possibly by
    /// another tool. An update whose image cannot be represented is refused before it is
    /// written, not answered 422 after.
    pub fn image_after(&self, stored: &AttributeMap) -> AttributeMap {
        let mut image = stored.clone();
        for (attribute, value) in &self.assigned {
            image.insert((*attribute).to_string(), value.clone());
        }
        // `version + 1` in DynamoDB's arithmetic. u128 holds any version plus one that an
        // u64 can hold (u64::MAX + 1 makes the image unrepresentable, as the write would);
        // a version that is not an integer is left as it is, as unrepresentable as stored.
        if let Some(AttributeValue::N(version)) = image.get_mut("version")
            && let Some(bumped) = version.parse::<u128>().ok().and_then(|v| v.checked_add(1))
        {
            *version = bumped.to_string();
        }
        image
    }
}
