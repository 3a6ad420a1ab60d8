//! Updates. An item we wrote is updated in place: one conditional `UpdateItem` that sets the
//! patched fields and bumps `version`. An item of the original service has no `version` to
//! bump (and may hold zone-less times and top-level attributes of its clients), so its
//! first update writes it whole, in the strict shape.

use aws_sdk_dynamodb::{
    operation::{put_item::PutItemError, update_item::UpdateItemError},
    types::{ReturnValue, ReturnValuesOnConditionCheckFailure},
};
use domain::{Item, ItemId, ItemPatch, Timestamp};

use super::{
    AttributeMap, DynamoStore, Precondition, attributes,
    dynamo::{condition_failed, dependency, key, to_attributes, version_conflict},
    stored::decode,
    update_expression::UpdateExpression,
    write_retries::write_config,
};
use crate::ApiError;

/// Items we write always have `version`; one without it was stored by the original service.
fn is_original(stored: &AttributeMap) -> bool {
    !stored.contains_key("version")
}

/// How an in-place update ended when it did not fail.
pub(super) enum InPlace {
    Updated(Box<Item>),
    /// The item has no `version`: the original service stored it, as it is here.
    Original(AttributeMap),
}

impl DynamoStore {
    /// `SET` of the patched fields, `version` and `updated_at` in one conditional request.
    pub(super) async fn update_in_place(
        &self,
        id: &ItemId,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<InPlace, ApiError> {
        let UpdateExpression {
            sets,
            condition,
            names,
            values,
        } = UpdateExpression::new(patch, precondition, now)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id.clone())))
            .update_expression(sets)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .customize()
            .config_override(write_config())
            .send()
            .await;
        match result {
            Ok(output) => decode(output.attributes.unwrap_or_default())
                .map(|item| InPlace::Updated(Box::new(item))),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match &failed.item {
                        Some(stored) if is_original(stored) => {
                            Ok(InPlace::Original(stored.clone()))
                        }
                        stored => Err(condition_failed(stored.as_ref())),
                    }
                }
                _ => Err(dependency("UpdateItem", error)),
            },
        }
    }

    /// An update of an item of the original service (`stored`, as the failed in-place
    /// update returned it): the whole item written in the strict shape, on condition that it
    /// is still without `version`. `None` when another write upgraded it first.
    pub(super) async fn rewrite_original(
        &self,
        stored: AttributeMap,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<Option<Item>, ApiError> {
        let internal = attributes::internal(&stored);
        let current = decode(stored)?;
        if let Precondition::Version(expected) = precondition
            && expected != current.version
        {
            return Err(version_conflict(Some(current.version)));
        }
        let item = patch.apply(current, now)?;
        let mut attributes = to_attributes(&item)?;
        attributes.extend(internal);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes))
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(#version)")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#version", "version")
            .customize()
            .config_override(write_config())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(item)),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(None),
                _ => Err(dependency("PutItem", error)),
            },
        }
    }
}
