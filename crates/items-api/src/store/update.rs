//! Updates. The item is read first (consistently): an update that would leave it
//! unrepresentable (an attribute another tool stored, which the patch does not replace) is
//! refused with 422 before anything is written. An item we wrote is then updated in place:
//! one conditional `UpdateItem` that sets the patched fields and bumps `version`. An item of
//! the original service has no `version` to bump (and may hold zone-less times and top-level
//! attributes of its clients), so its first update writes it whole, in the strict shape.

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
pub(super) fn is_original(stored: &AttributeMap) -> bool {
    !stored.contains_key("version")
}

impl DynamoStore {
    /// `PUT /items/{id}`. An item of the original service is written whole, once; when
    /// another write upgrades it first, the next round updates the upgraded item in place.
    pub(super) async fn update_item(
        &self,
        id: &ItemId,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<Item, ApiError> {
        let update = UpdateExpression::new(patch, precondition, now)?;
        for _ in 0..2 {
            let stored = self
                .stored(id)
                .await?
                .ok_or_else(|| condition_failed(None))?;
            if is_original(&stored) {
                match self
                    .rewrite_original(stored, &update, patch, precondition, now)
                    .await?
                {
                    Some(item) => return Ok(item),
                    None => continue,
                }
            }
            decode(update.image_after(&stored))?;
            if let Some(item) = self.update_in_place(id, update.clone()).await? {
                return Ok(item);
            }
        }
        Err(version_conflict(None))
    }

    /// The item as stored, every attribute as DynamoDB holds it (a consistent read).
    pub(super) async fn stored(&self, id: &ItemId) -> Result<Option<AttributeMap>, ApiError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id.clone())))
            .consistent_read(true)
            .send()
            .await
            .map(|output| output.item)
            .map_err(|e| dependency("GetItem", e))
    }

    /// `SET` of the patched fields, `version` and `updated_at` in one conditional request;
    /// `None` when the item has no `version` (it became one of the original service's shape
    /// since it was read).
    async fn update_in_place(
        &self,
        id: &ItemId,
        update: UpdateExpression,
    ) -> Result<Option<Item>, ApiError> {
        let UpdateExpression {
            sets,
            condition,
            names,
            values,
            ..
        } = update;
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
            // Another tool writing between the read and this update is the one way left to
            // an unrepresentable image here (a 422 after the write).
            Ok(output) => decode(output.attributes.unwrap_or_default()).map(Some),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match &failed.item {
                        Some(stored) if is_original(stored) => Ok(None),
                        stored => Err(condition_failed(stored.as_ref())),
                    }
                }
                _ => Err(dependency("UpdateItem", error)),
            },
        }
    }

    /// An update of an item of the original service (`stored`, as read): the whole item
    /// written in the strict shape, on condition that it is still without `version`. `None`
    /// when another write upgraded it first. It is read with the patch's fields over the
    /// stored ones (`update`'s image), so that a patch replacing the attributes the API cannot
    /// show repairs the item, as it does an item with a `version`.
    async fn rewrite_original(
        &self,
        stored: AttributeMap,
        update: &UpdateExpression,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<Option<Item>, ApiError> {
        let internal = attributes::internal(&stored);
        let current = decode(update.image_after(&stored))?;
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
