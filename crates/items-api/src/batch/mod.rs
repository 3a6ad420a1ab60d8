//! `POST /items/batch`: creates, updates and deletes applied all or nothing in one
//! DynamoDB transaction (the original `batch_write_items` and `transaction_write`).
//!
//! [`parse`] checks the body; [`resolve`] gives creates their ids and timestamps exactly
//! as `POST /items` does and refuses a batch naming an item twice; the store runs the
//! [`Operation`]s and answers a [`BatchOutcome`].
//!
//! With an `Idempotency-Key`, a batch is recognised when retried by a [`BatchMark`]: every
//! item it creates or updates is stored with the mark's token (from the caller and the key)
//! and fingerprint (of the parsed operations), and every create or update of a marked
//! batch is conditioned on the item not carrying the token already. A retry therefore
//! fails its transaction on its first create or update, whose cancellation reason shows the
//! marked item: same fingerprint → the first outcome is answered again (nothing written),
//! another fingerprint → 422 `IDEMPOTENCY_KEY_REUSED`. A batch of deletes only leaves
//! nothing to carry the mark: its retry writes nothing either, but answers 409
//! (`ITEM_NOT_FOUND`). A retry is recognised while one item the batch wrote still carries
//! its mark (another keyed batch's update of that item replaces it).

mod parse;

use domain::{DomainError, FieldError, Item, ItemId, ItemPatch, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use parse::{Requested, parse};

use crate::{ApiError, store::Precondition};

/// One operation ready for the store: a create's item complete, a write's precondition set.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Create(Item),
    Update {
        id: ItemId,
        precondition: Precondition,
        patch: ItemPatch,
    },
    Delete {
        id: ItemId,
        precondition: Precondition,
    },
}

impl Operation {
    pub fn id(&self) -> &ItemId {
        match self {
            Self::Create(item) => &item.id,
            Self::Update { id, .. } | Self::Delete { id, .. } => id,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Create(_) => "create",
            Self::Update { .. } => "update",
            Self::Delete { .. } => "delete",
        }
    }
}

/// What an idempotent batch leaves on the items it writes (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMark {
    pub token: String,
    pub fingerprint: String,
}

impl BatchMark {
    pub fn new(caller: &str, key: &str, requested: &[Requested]) -> Self {
        let canonical = serde_json::to_vec(requested).expect("operations serialize");
        let digest = Sha256::digest(&canonical);
        Self {
            token: ItemId::from_idempotency_key(caller, &format!("batch\n{key}")).to_string(),
            fingerprint: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Why one operation of a canceled transaction failed, with the single routes' codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationFailure {
    pub index: usize,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

impl OperationFailure {
    pub fn new(index: usize, error: &ApiError) -> Self {
        Self {
            index,
            code: error.code(),
            current_version: error.current_version(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// Written; each operation's item after it (`None` for deletes, and for an item
    /// deleted again before it could be read back).
    Applied(Vec<Option<Item>>),
    /// A retry of a marked batch: nothing written, the items as they are now.
    Replayed(Vec<Option<Item>>),
}

/// Creates get their ids (random, or derived from the key and their position, so a retry
/// names the same ids) and timestamps; updates and deletes their preconditions. An item
/// named twice is refused, as DynamoDB refuses a transaction touching an item twice.
pub fn resolve(
    requested: Vec<Requested>,
    caller: &str,
    key: Option<&str>,
    now: Timestamp,
) -> Result<Vec<Operation>, ApiError> {
    let precondition = |if_match: Option<u64>| match if_match {
        Some(version) => Precondition::Version(version),
        None => Precondition::None,
    };
    let operations: Vec<Operation> = requested
        .into_iter()
        .enumerate()
        .map(|(index, requested)| match requested {
            Requested::Create { item } => {
                let id = match key {
                    Some(key) => ItemId::from_idempotency_key(caller, &format!("{key}\n{index}")),
                    None => ItemId::new_random(),
                };
                Operation::Create(item.into_item(id, now))
            }
            Requested::Update {
                id,
                if_match,
                changes,
            } => Operation::Update {
                id,
                precondition: precondition(if_match),
                patch: changes,
            },
            Requested::Delete { id, if_match } => Operation::Delete {
                id,
                precondition: precondition(if_match),
            },
        })
        .collect();
    let mut errors = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        if let Some(first) = operations[..index]
            .iter()
            .position(|earlier| earlier.id() == operation.id())
        {
            errors.push(FieldError::new(
                format!("operations[{index}].id"),
                format!(
                    "names the same item as operations[{first}]; an item at most once per batch"
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(operations)
    } else {
        Err(DomainError::Validation(errors).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn requested(body: serde_json::Value) -> Vec<Requested> {
        parse(body.to_string().as_bytes()).unwrap()
    }

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    #[test]
    fn keyed_creates_get_the_same_ids_on_a_retry_and_distinct_ones_per_position() {
        let body = json!({"operations": [
            {"op": "create", "item": {"name": "A", "email": "a@example.com"}},
            {"op": "create", "item": {"name": "A", "email": "a@example.com"}},
        ]});
        let ids = |key| {
            resolve(requested(body.clone()), "caller", key, Timestamp::now())
                .unwrap()
                .iter()
                .map(|op| op.id().clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Some("k")), ids(Some("k")));
        assert_ne!(ids(Some("k"))[0], ids(Some("k"))[1]);
        assert_ne!(ids(Some("k")), ids(Some("other")));
        assert_ne!(ids(None), ids(None));
    }

    #[test]
    fn an_item_at_most_once() {
        let body = json!({"operations": [
            {"op": "update", "id": ID, "changes": {"name": "B"}},
            {"op": "delete", "id": ID},
        ]});
        let Err(ApiError::Domain(DomainError::Validation(fields))) =
            resolve(requested(body), "c", None, Timestamp::now())
        else {
            panic!("refused");
        };
        assert_eq!(fields[0].field, "operations[1].id");
    }

    #[test]
    fn the_mark_follows_the_caller_the_key_and_the_operations() {
        let a = requested(json!({"operations": [{"op": "delete", "id": ID}]}));
        let b = requested(json!({"operations": [{"op": "delete", "id": ID, "if_match": 1}]}));
        let mark = BatchMark::new("c", "k", &a);
        assert_eq!(mark, BatchMark::new("c", "k", &a));
        assert_eq!(mark.token, BatchMark::new("c", "k", &b).token);
        assert_ne!(mark.fingerprint, BatchMark::new("c", "k", &b).fingerprint);
        assert_ne!(mark.token, BatchMark::new("other", "k", &a).token);
    }
}
