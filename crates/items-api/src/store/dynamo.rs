//! [`ItemStore`] on DynamoDB. Attribute names in every expression are placeholders
//! (`#name`, `#status`: both are reserved words) bound to a fixed list, so no client
//! input ever becomes part of an expression.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::{delete_item::DeleteItemError, put_item::PutItemError},
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure},
};
use domain::{DomainError, Item, ItemId, ItemPatch, REQUEST_FINGERPRINT, Timestamp};
use serde::Serialize;

use crate::{
    ApiError,
    batch::{BatchMark, BatchOutcome, Operation},
    cursor::CursorKey,
    projection::{ItemView, Projection},
};

use super::{
    AttributeMap, CreateOutcome, HistoryEntry, ItemStore, ListFilter, Page, Precondition,
    RestoreOutcome, RestoreRequest, VersionPage, attributes,
    listing::{created_at_condition, index_of, sorted},
    projection,
    stored::{decode, decode_view, decode_views},
    transact,
    write_retries::write_config,
};

#[derive(Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
    /// The history table (see `history`).
    pub(super) history: String,
}

impl DynamoStore {
    /// The store of `table`, with its history in [`Self::default_history_table`].
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        Self {
            client,
            history: Self::default_history_table(&table),
            table,
        }
    }

    /// The history in another table than the default.
    pub fn with_history_table(self, history: impl Into<String>) -> Self {
        Self {
            history: history.into(),
            ..self
        }
    }

    /// `<table>-history`: the local stack's name for it, and what `HISTORY_TABLE` defaults to.
    pub fn default_history_table(table: &str) -> String {
        format!("{table}-history")
    }

    /// Opens the connection to DynamoDB (during init, see `lambda_support::warm`): a
    /// strongly consistent read of an id no item has, the cheapest call the role allows.
    pub async fn open_connection(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(HashMap::from([(
                "id".to_string(),
                string("connection-warm-up"),
            )])))
            .projection_expression("#id")
            .expression_attribute_names("#id", "id")
            .send();
        lambda_support::warm::open_connection("dynamodb", read).await;
    }
}

pub(super) fn to_attributes(item: &Item) -> Result<AttributeMap, ApiError> {
    attributes::encode(item).map_err(|e| ApiError::Internal(format!("encoding item: {e}")))
}

pub(super) fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue, ApiError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| ApiError::Internal(format!("encoding attribute: {e}")))
}

pub(super) fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn key(id: ItemId) -> AttributeMap {
    HashMap::from([("id".to_string(), string(id))])
}

/// The stored version; an item of the original service, which kept none, is at 0. `None`:
/// another tool stored something that is not a version.
pub(super) fn version_of(old: &AttributeMap) -> Option<u64> {
    match old.get("version") {
        None => Some(0),
        Some(version) => version.as_n().ok()?.parse().ok(),
    }
}

pub(super) fn version_conflict(current_version: Option<u64>) -> ApiError {
    DomainError::VersionConflict { current_version }.into()
}

/// Maps an SDK failure that is not a condition failure: throttling is the client's to
/// retry (503), everything else is a dependency failure (502) with the detail kept for logs.
pub(super) fn dependency<E, R>(operation: &str, error: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // TransactionConflictException: a transaction on the same item (a batch, a restore) was
    // in flight; nothing was written.
    const THROTTLING: [&str; 5] = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "TransactionConflictException",
    ];
    if error.code().is_some_and(|code| THROTTLING.contains(&code)) {
        return ApiError::Throttled;
    }
    ApiError::Dependency(format!(
        "DynamoDB {operation}: {}",
        DisplayErrorContext(&error)
    ))
}

/// The condition failure's old item says why: missing (404) or another version (412).
pub(super) fn condition_failed(old: Option<&AttributeMap>) -> ApiError {
    match old {
        None => DomainError::NotFound.into(),
        Some(old) => version_conflict(version_of(old)),
    }
}

/// `attribute_exists(#id)`, plus the version check for `If-Match: "<n>"` (`"0"` matches an
/// item of the original service, which has no `version`).
pub(super) fn condition(precondition: Precondition) -> (String, Option<AttributeValue>) {
    match precondition {
        Precondition::None | Precondition::Exists => ("attribute_exists(#id)".into(), None),
        Precondition::Version(0) => (
            "attribute_exists(#id) AND (#version = :expected OR attribute_not_exists(#version))"
                .into(),
            Some(AttributeValue::N("0".into())),
        ),
        Precondition::Version(version) => (
            "attribute_exists(#id) AND #version = :expected".into(),
            Some(AttributeValue::N(version.to_string())),
        ),
    }
}

impl ItemStore for DynamoStore {
    async fn get(&self, id: ItemId, projection: &Projection) -> Result<Option<ItemView>, ApiError> {
        let mut request = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true);
        if let Some((expression, names)) = projection::expression(projection) {
            request = names.into_iter().fold(
                request.projection_expression(expression),
                |request, (placeholder, name)| {
                    request.expression_attribute_names(placeholder, name)
                },
            );
        }
        let output = request.send().await.map_err(|e| dependency("GetItem", e))?;
        output
            .item
            .map(|item| decode_view(item, projection))
            .transpose()
    }

    async fn create(
        &self,
        item: &Item,
        fingerprint: Option<&str>,
    ) -> Result<CreateOutcome, ApiError> {
        let mut attributes = to_attributes(item)?;
        if let Some(fingerprint) = fingerprint {
            attributes.insert(REQUEST_FINGERPRINT.into(), string(fingerprint));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", "id")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .customize()
            .config_override(write_config())
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created(item.clone())),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let mut old = failed.item.clone().unwrap_or_default();
                    let fingerprint = old
                        .remove(REQUEST_FINGERPRINT)
                        .and_then(|v| v.as_s().ok().cloned());
                    Ok(CreateOutcome::Existing {
                        item: decode(old)?,
                        fingerprint,
                    })
                }
                _ => Err(dependency("PutItem", error)),
            },
        }
    }

    async fn update(
        &self,
        id: ItemId,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> Result<Item, ApiError> {
        self.update_item(&id, patch, precondition, now).await
    }

    async fn delete(&self, id: ItemId, precondition: Precondition) -> Result<(), ApiError> {
        let (condition, expected) = condition(precondition);
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .condition_expression(condition)
            .expression_attribute_names("#id", "id")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(expected) = expected {
            request = request
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", expected);
        }
        match request
            .customize()
            .config_override(write_config())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    Err(condition_failed(failed.item.as_ref()))
                }
                _ => Err(dependency("DeleteItem", error)),
            },
        }
    }

    async fn transact(
        &self,
        operations: &[Operation],
        mark: Option<&BatchMark>,
        now: Timestamp,
    ) -> Result<BatchOutcome, ApiError> {
        transact::transact(&self.client, &self.table, operations, mark, now).await
    }

    async fn list(
        &self,
        filter: &ListFilter,
        limit: u16,
        start: Option<CursorKey>,
        projection: &Projection,
    ) -> Result<Page, ApiError> {
        let (index, key_attributes) = index_of(filter);
        let start = match start {
            None => None,
            // A signed cursor is ours, but one from an older layout must still not reach DynamoDB.
            Some(key) if key.keys().map(String::as_str).eq(sorted(key_attributes)) => Some(
                key.into_iter()
                    .map(|(name, value)| (name, string(value)))
                    .collect(),
            ),
            Some(_) => return Err(ApiError::InvalidCursor),
        };
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .limit(i32::from(limit))
            .scan_index_forward(false)
            .set_exclusive_start_key(start);
        let request = match filter {
            ListFilter::Status { status, created } => {
                let (range, bounds) = created_at_condition(created);
                let request = request
                    .key_condition_expression(format!("#status = :status{range}"))
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", string(status.as_str()));
                bounds.into_iter().fold(request, |request, (name, at)| {
                    request
                        .expression_attribute_names("#created_at", "created_at")
                        .expression_attribute_values(name, string(at))
                })
            }
            ListFilter::Email { email, status } => {
                let request = request
                    .key_condition_expression("#email = :email")
                    .expression_attribute_names("#email", "email")
                    .expression_attribute_values(":email", string(email.as_str()));
                match status {
                    None => request,
                    Some(status) => request
                        .filter_expression("#status = :status")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":status", string(status.as_str())),
                }
            }
        };
        let request = match projection::expression(projection) {
            None => request,
            Some((expression, names)) => names.into_iter().fold(
                request.projection_expression(expression),
                |request, (placeholder, name)| {
                    request.expression_attribute_names(placeholder, name)
                },
            ),
        };
        let output = request.send().await.map_err(|e| dependency("Query", e))?;
        let (items, left_out) = decode_views(output.items.unwrap_or_default(), projection);
        let next = output.last_evaluated_key.map(|key| {
            key.into_iter()
                .filter_map(|(name, value)| value.as_s().ok().cloned().map(|value| (name, value)))
                .collect()
        });
        Ok(Page {
            items,
            next,
            left_out,
        })
    }

    async fn versions(
        &self,
        id: ItemId,
        limit: u16,
        start: Option<CursorKey>,
    ) -> Result<VersionPage, ApiError> {
        self.history_page(id, limit, start).await
    }

    async fn version(&self, id: ItemId, version: u64) -> Result<Option<HistoryEntry>, ApiError> {
        self.history_entry(&id, Some(version)).await
    }

    async fn restore(
        &self,
        id: ItemId,
        request: &RestoreRequest,
        now: Timestamp,
    ) -> Result<RestoreOutcome, ApiError> {
        self.restore_item(id, request, now).await
    }
}
