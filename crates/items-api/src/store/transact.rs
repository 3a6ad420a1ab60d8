//! A batch as one TransactWriteItems: each operation one action with the same condition as
//! its single route, every condition failure returning the stored item (ALL_OLD) so the
//! cancellation reasons say why: missing, another version, or a retry of a marked batch
//! (see [`crate::batch`]). Each action is its own stream record, as a single write is. The
//! items of the updates are read first, as a single update reads its item: an update that
//! would leave its item unrepresentable fails the batch before anything is written.

use aws_sdk_dynamodb::{
    Client,
    operation::transact_write_items::TransactWriteItemsError,
    types::{
        CancellationReason, Delete, Get, Put, ReturnValuesOnConditionCheckFailure, TransactGetItem,
        TransactWriteItem, Update as UpdateAction,
    },
};
use domain::{BATCH_FINGERPRINT, BATCH_TOKEN, DomainError, Item, ItemId, Timestamp};

use super::{
    AttributeMap,
    dynamo::{
        condition, condition_failed, dependency, key, string, to_attributes, version_conflict,
    },
    stored::decode,
    update::is_original,
    update_expression::UpdateExpression,
    write_retries::write_config,
};
use crate::{
    ApiError,
    batch::{BatchMark, BatchOutcome, Operation, OperationFailure},
};

/// The mark's attributes on a written item; not part of [`Item`].
const TOKEN_ATTRIBUTE: &str = BATCH_TOKEN;
const FINGERPRINT_ATTRIBUTE: &str = BATCH_FINGERPRINT;
/// A marked batch's updates require that the item does not carry its token yet (its creates
/// require a free id, so a retried create fails anyway, showing the marked item).
const NOT_MARKED: &str = "(attribute_not_exists(#batch_token) OR #batch_token <> :batch_token)";

/// Cancellation reasons that mean "try again later", as throttling does for single writes.
pub(super) const RETRYABLE: [&str; 4] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

pub(super) async fn transact(
    client: &Client,
    table: &str,
    operations: &[Operation],
    mark: Option<&BatchMark>,
    now: Timestamp,
) -> Result<BatchOutcome, ApiError> {
    let updates = operations
        .iter()
        .map(|operation| match operation {
            Operation::Update {
                precondition,
                patch,
                ..
            } => UpdateExpression::new(patch, *precondition, now).map(Some),
            _ => Ok(None),
        })
        .collect::<Result<Vec<_>, _>>()?;
    refuse_unrepresentable(client, table, operations, &updates).await?;
    let actions = operations
        .iter()
        .zip(updates)
        .map(|(operation, update)| action(table, operation, update, mark))
        .collect::<Result<Vec<_>, _>>()?;
    let result = client
        .transact_write_items()
        .set_transact_items(Some(actions))
        .customize()
        .config_override(write_config())
        .send()
        .await;
    match result {
        Ok(_) => {
            let updated = read_back(client, table, operations, |op| {
                matches!(op, Operation::Update { .. })
            })
            .await?;
            let items = operations
                .iter()
                .zip(updated)
                .map(|(operation, read)| match operation {
                    Operation::Create(item) => Some(item.clone()),
                    _ => read,
                })
                .collect();
            Ok(BatchOutcome::Applied(items))
        }
        Err(error) => match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => {
                let reasons = canceled.cancellation_reasons();
                if is_retry(reasons, mark)? {
                    let items = read_back(client, table, operations, |op| {
                        !matches!(op, Operation::Delete { .. })
                    })
                    .await?;
                    return Ok(BatchOutcome::Replayed(items));
                }
                Err(canceled_by(reasons, operations)?)
            }
            _ => Err(dependency("TransactWriteItems", error)),
        },
    }
}

/// 409 with `UNREPRESENTABLE_ITEM` at each update whose item would be left unrepresentable
/// (read in one consistent snapshot). A missing item, or one of the original service, is
/// left to the transaction's conditions, which refuse them as the single routes do.
async fn refuse_unrepresentable(
    client: &Client,
    table: &str,
    operations: &[Operation],
    updates: &[Option<UpdateExpression>],
) -> Result<(), ApiError> {
    let ids: Vec<ItemId> = operations
        .iter()
        .zip(updates)
        .filter(|(_, update)| update.is_some())
        .map(|(operation, _)| operation.id().clone())
        .collect();
    let stored = read_stored(client, table, &ids).await?;
    let failures: Vec<OperationFailure> = updates
        .iter()
        .enumerate()
        .filter_map(|(index, update)| Some((index, update.as_ref()?)))
        .zip(stored)
        .filter_map(|((index, update), stored)| {
            let stored = stored.filter(|stored| !is_original(stored))?;
            let error = decode(update.image_after(&stored)).err()?;
            Some(OperationFailure::new(index, &error))
        })
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ApiError::TransactionCanceled(failures))
    }
}

fn action(
    table: &str,
    operation: &Operation,
    update: Option<UpdateExpression>,
    mark: Option<&BatchMark>,
) -> Result<TransactWriteItem, ApiError> {
    let built = |e: aws_sdk_dynamodb::error::BuildError| {
        ApiError::Internal(format!("transaction action: {e}"))
    };
    let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
    let action = match operation {
        Operation::Create(item) => {
            let mut attributes = to_attributes(item)?;
            if let Some(mark) = mark {
                attributes.insert(TOKEN_ATTRIBUTE.into(), string(&mark.token));
                attributes.insert(FINGERPRINT_ATTRIBUTE.into(), string(&mark.fingerprint));
            }
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(attributes))
                .condition_expression("attribute_not_exists(#id)")
                .expression_attribute_names("#id", "id")
                .return_values_on_condition_check_failure(all_old)
                .build()
                .map_err(built)?;
            TransactWriteItem::builder().put(put).build()
        }
        Operation::Update { id, .. } => {
            let mut update = update.expect("every update has its expression");
            if let Some(mark) = mark {
                update.also_set(TOKEN_ATTRIBUTE, string(&mark.token));
                update.also_set(FINGERPRINT_ATTRIBUTE, string(&mark.fingerprint));
                update.condition = format!("{} AND {NOT_MARKED}", update.condition);
            }
            let action = UpdateAction::builder()
                .table_name(table)
                .set_key(Some(key(id.clone())))
                .update_expression(update.sets)
                .condition_expression(update.condition)
                .set_expression_attribute_names(Some(update.names))
                .set_expression_attribute_values(Some(update.values))
                .return_values_on_condition_check_failure(all_old)
                .build()
                .map_err(built)?;
            TransactWriteItem::builder().update(action).build()
        }
        Operation::Delete { id, precondition } => {
            let (condition, expected) = condition(*precondition);
            let mut delete = Delete::builder()
                .table_name(table)
                .set_key(Some(key(id.clone())))
                .condition_expression(condition)
                .expression_attribute_names("#id", "id")
                .return_values_on_condition_check_failure(all_old);
            if let Some(expected) = expected {
                delete = delete
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_values(":expected", expected);
            }
            TransactWriteItem::builder()
                .delete(delete.build().map_err(built)?)
                .build()
        }
    };
    Ok(action)
}

/// True when a condition failed on an item carrying this batch's mark with its
/// fingerprint (a retry); the same token with another fingerprint is the key reused.
fn is_retry(reasons: &[CancellationReason], mark: Option<&BatchMark>) -> Result<bool, ApiError> {
    let Some(mark) = mark else {
        return Ok(false);
    };
    let attribute = |item: &AttributeMap, name: &str| {
        item.get(name).and_then(|value| value.as_s().ok()).cloned()
    };
    for item in reasons.iter().filter_map(|reason| reason.item.as_ref()) {
        if attribute(item, TOKEN_ATTRIBUTE).as_deref() == Some(mark.token.as_str()) {
            return if attribute(item, FINGERPRINT_ATTRIBUTE).as_deref()
                == Some(mark.fingerprint.as_str())
            {
                Ok(true)
            } else {
                Err(DomainError::IdempotencyKeyReused.into())
            };
        }
    }
    Ok(false)
}

/// The error of a canceled transaction: 503 when DynamoDB asks for a retry, else 409 with
/// each failed operation's reason.
fn canceled_by(
    reasons: &[CancellationReason],
    operations: &[Operation],
) -> Result<ApiError, ApiError> {
    let code = |reason: &CancellationReason| reason.code.clone().unwrap_or_default();
    if reasons
        .iter()
        .any(|reason| RETRYABLE.contains(&code(reason).as_str()))
    {
        return Ok(ApiError::Throttled);
    }
    let mut failures = Vec::new();
    for (index, (reason, operation)) in reasons.iter().zip(operations).enumerate() {
        match code(reason).as_str() {
            "None" | "" => {}
            "ConditionalCheckFailed" => {
                let error = match operation {
                    // A create's id is taken: by the key's earlier use (the only way an id
                    // is ever taken), as for a single create.
                    Operation::Create(_) => DomainError::IdempotencyKeyReused.into(),
                    // An item of the original service has no `version` to bump in place:
                    // it is at version 0 until a PUT writes it whole.
                    _ if reason
                        .item
                        .as_ref()
                        .is_some_and(|old| !old.contains_key("version")) =>
                    {
                        version_conflict(Some(0))
                    }
                    _ => condition_failed(reason.item.as_ref()),
                };
                failures.push(OperationFailure::new(index, &error));
            }
            other => {
                return Err(ApiError::Dependency(format!(
                    "TransactWriteItems canceled: {other} at operation {index}: {}",
                    reason.message.as_deref().unwrap_or_default()
                )));
            }
        }
    }
    if failures.is_empty() {
        return Err(ApiError::Dependency(
            "TransactWriteItems canceled without a reason".into(),
        ));
    }
    Ok(ApiError::TransactionCanceled(failures))
}

/// The items of the operations `wanted` selects, read in one consistent snapshot
/// (TransactGetItems); `None` for the others and for items gone since.
async fn read_back(
    client: &Client,
    table: &str,
    operations: &[Operation],
    wanted: impl Fn(&Operation) -> bool,
) -> Result<Vec<Option<Item>>, ApiError> {
    let ids: Vec<ItemId> = operations
        .iter()
        .filter(|op| wanted(op))
        .map(|op| op.id().clone())
        .collect();
    let mut read = read_stored(client, table, &ids).await?.into_iter();
    operations
        .iter()
        .map(|op| {
            let stored = if wanted(op) {
                read.next().flatten()
            } else {
                None
            };
            stored.map(decode).transpose()
        })
        .collect()
}

/// The items `ids` name as stored, in one consistent snapshot (TransactGetItems), in order;
/// `None` for an item that does not exist.
async fn read_stored(
    client: &Client,
    table: &str,
    ids: &[ItemId],
) -> Result<Vec<Option<AttributeMap>>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let gets = ids
        .iter()
        .map(|id| {
            Get::builder()
                .table_name(table)
                .set_key(Some(key(id.clone())))
                .build()
                .map(|get| TransactGetItem::builder().get(get).build())
                .map_err(|e| ApiError::Internal(format!("transaction get: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let output = client
        .transact_get_items()
        .set_transact_items(Some(gets))
        .send()
        .await
        .map_err(|e| dependency("TransactGetItems", e))?;
    Ok(output
        .responses
        .unwrap_or_default()
        .into_iter()
        .map(|response| response.item)
        .collect())
}
