//! A restore's claim on the version it brings a deleted item back at.
//!
//! The version comes from the history (the deletion's + 1), which the stream processor
//! writes a second or two after each change. An item restored, changed and deleted again
//! within that time has a newest history entry that is an older deletion: a restore then
//! took that deletion for the last one, wrote a version the item had already had, with the
//! older life's fields, and the history and the archive kept the first change of that
//! version only (the concurrency walk-through found it: 152 of 326 writes reused a version).
//! So the item's write goes with a claim, in one TransactWriteItems: a row of the history
//! table under its own partition key, `claim/{id}` (an id with a `/` has no history: the
//! stream processor quarantines its changes), `seq` the version, written only if no live
//! claim of that version is there. A claim there means a restore already began a life at
//! that version whose changes the history does not have yet: 409 `HISTORY_PENDING`, as when
//! the deletion itself is not there yet. The API's role may write only rows under `claim/`
//! keys, of these attributes (template.yaml), so it can never overwrite an entry.

use aws_sdk_dynamodb::{
    operation::transact_write_items::TransactWriteItemsError,
    types::{AttributeValue, Put, TransactWriteItem},
};
use domain::{ItemId, Timestamp, history::entry};

use super::super::{
    AttributeMap, DynamoStore,
    dynamo::{dependency, string},
    transact::RETRYABLE,
    write_retries::write_config,
};
use crate::ApiError;

/// When a claim no longer counts, and DynamoDB's TTL (`expires_at`, template.yaml) removes
/// it: by then the history has the life it claims or never will, and no restore stays
/// refused longer because of an old claim.
const CLAIM_LIFETIME_SECONDS: i64 = super::STREAM_RETENTION_SECONDS;
const CLAIMED_AT: &str = "claimed_at";
const EXPIRES_AT: &str = "expires_at";

/// What became of a restore's write.
#[derive(Debug, PartialEq)]
pub(super) enum Recreate {
    Written,
    /// The item exists again (another request wrote it meanwhile): read again.
    ItemThere,
}

/// The claim's partition: never an item's (see the module's doc).
fn claim_key(id: &ItemId) -> AttributeValue {
    string(format!("claim/{id}"))
}

impl DynamoStore {
    /// `attributes` written as the item, if it is still deleted, with the claim of `version`.
    pub(super) async fn recreate_claiming(
        &self,
        attributes: AttributeMap,
        id: &ItemId,
        version: u64,
        now: Timestamp,
    ) -> Result<Recreate, ApiError> {
        let epoch = now.as_datetime().timestamp();
        let item = Put::builder()
            .table_name(&self.table)
            .set_item(Some(attributes))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", "id")
            .build()
            .expect("table, item and condition are set");
        let claim = Put::builder()
            .table_name(&self.history)
            .item(entry::ID, claim_key(id))
            .item(entry::SEQ, AttributeValue::N(version.to_string()))
            .item(CLAIMED_AT, string(now.to_string()))
            .item(
                EXPIRES_AT,
                AttributeValue::N((epoch + CLAIM_LIFETIME_SECONDS).to_string()),
            )
            .condition_expression("attribute_not_exists(#id) OR #expires_at < :now")
            .expression_attribute_names("#id", entry::ID)
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::N(epoch.to_string()))
            .build()
            .expect("table, item and condition are set");
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(item).build())
            .transact_items(TransactWriteItem::builder().put(claim).build())
            .customize()
            .config_override(write_config())
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(Recreate::Written),
            Err(error) => error,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
            error.as_service_error()
        else {
            return Err(dependency("TransactWriteItems", error));
        };
        let codes: Vec<&str> = canceled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code.as_deref().unwrap_or_default())
            .collect();
        // DynamoDB gives the reasons in the order of the actions: the item's, the claim's. A
        // transaction on the same item in flight (TransactionConflict) is a retry later
        // (503), as for a batch.
        match codes.as_slice() {
            ["ConditionalCheckFailed", _] => Ok(Recreate::ItemThere),
            codes if codes.iter().any(|code| RETRYABLE.contains(code)) => Err(ApiError::Throttled),
            [_, "ConditionalCheckFailed"] => Err(ApiError::HistoryPending),
            _ => Err(dependency("TransactWriteItems", error)),
        }
    }
}
