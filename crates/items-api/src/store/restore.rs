//! `POST /items/{id}/restore`: a version from the history written back as the item's newest
//! version, in one conditional `PutItem` (so the stream archives and notifies it like any
//! change, and the history records it as `restored`, from the item's `restored_version`).
//!
//! Reads first (the item, consistently; the history entry), then one write conditioned on
//! what was read: `attribute_not_exists(id)` when the item is deleted (with a claim on the
//! version it comes back at, see [`claim`]), its `version` when it exists. If that condition
//! fails, another write came in between: read again, once.

mod claim;

use aws_sdk_dynamodb::{operation::put_item::PutItemError, types::AttributeValue};
use domain::{
    DomainError, FieldError, HistoryEvent, INTERNAL_ATTRIBUTES, Item, ItemId, Timestamp,
    history::{RESTORE_FINGERPRINT, RESTORE_TOKEN, RESTORED_VERSION},
};

use super::{
    AttributeMap, DynamoStore, Precondition,
    dynamo::{condition, dependency, string, to_attributes, version_conflict, version_of},
    stored::decode,
    write_retries::write_config,
};
use crate::ApiError;
use claim::Recreate;

/// What a restore asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreRequest {
    /// `None`: the last version before the deletion (only for a deleted item).
    pub version: Option<u64>,
    pub precondition: Precondition,
    pub mark: Option<RestoreMark>,
}

/// An `Idempotency-Key`'s trace on the restored item: `token` from the caller and the key,
/// `requested` names what was asked (the version, or `last`).
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreMark {
    pub token: String,
    pub requested: String,
}

impl RestoreMark {
    pub fn new(caller: &str, key: &str, version: Option<u64>) -> Self {
        Self {
            token: ItemId::from_idempotency_key(caller, &format!("restore\n{key}")).to_string(),
            requested: version.map_or_else(|| "last".to_string(), |v| v.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RestoreOutcome {
    /// The item was deleted and is back (201).
    Recreated(Item),
    /// The item existed; the version's fields are its new version (200).
    Rewritten(Item),
    /// A retry of a keyed restore that was applied: the item as stored now, and the status
    /// the first answer had.
    Replayed { item: Item, created: bool },
}

/// The version's image as the item to write: the strict shape, its fields, the new version.
fn restored_item(
    image: AttributeMap,
    version: u64,
    created_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<Item, ApiError> {
    let image = decode(image)?;
    let mut item = image.into_strict()?;
    item.version = version;
    item.updated_at = now;
    if let Some(created_at) = created_at {
        item.created_at = created_at;
    }
    Ok(item)
}

/// The item's attributes, the internal ones `carrier` has (restore marks excepted), and the
/// restore's own marks.
fn attributes_of(
    item: &Item,
    carrier: &AttributeMap,
    mark: Option<&RestoreMark>,
    created: bool,
) -> Result<AttributeMap, ApiError> {
    let mut attributes = to_attributes(item)?;
    for name in INTERNAL_ATTRIBUTES {
        if let Some(value) = carrier.get(name) {
            attributes.insert(name.to_string(), value.clone());
        }
    }
    attributes.remove(RESTORE_TOKEN);
    attributes.remove(RESTORE_FINGERPRINT);
    attributes.insert(
        RESTORED_VERSION.to_string(),
        AttributeValue::N(item.version.to_string()),
    );
    if let Some(mark) = mark {
        attributes.insert(RESTORE_TOKEN.to_string(), string(&mark.token));
        let status = if created { 201 } else { 200 };
        attributes.insert(
            RESTORE_FINGERPRINT.to_string(),
            string(format!("{status} {}", mark.requested)),
        );
    }
    Ok(attributes)
}

/// How long the table's stream keeps a change, in seconds: until then the history may still
/// get it; after, it has it or never will. A restore's claim lives as long, and a version the
/// history lacks is pending only that long after the item's last change.
const STREAM_RETENTION_SECONDS: i64 = 24 * 60 * 60;

/// A keyed restore already applied to `current`: its answer again, or 422 for another request.
fn replay(current: &AttributeMap, mark: &RestoreMark) -> Option<Result<RestoreOutcome, ApiError>> {
    if current.get(RESTORE_TOKEN)?.as_s().ok()? != &mark.token {
        return None;
    }
    let stored = current.get(RESTORE_FINGERPRINT)?.as_s().ok()?;
    let (status, requested) = stored.split_once(' ')?;
    if requested != mark.requested {
        return Some(Err(DomainError::IdempotencyKeyReused.into()));
    }
    Some(
        decode(current.clone()).map(|item| RestoreOutcome::Replayed {
            item,
            created: status == "201",
        }),
    )
}

/// The existing item's version and the next one. Another tool may have stored a `version`
/// that is not a number of ours, or the largest one: the restore is refused (422) naming
/// it, rather than writing a version that wrapped to 0.
fn versions_of(stored: &AttributeMap) -> Result<(u64, u64), ApiError> {
    version_of(stored)
        .and_then(|current| Some((current, current.checked_add(1)?)))
        .ok_or_else(|| {
            ApiError::Unrepresentable(vec![FieldError::new(
                "version",
                "the stored version cannot be followed by another",
            )])
        })
}

impl DynamoStore {
    pub(super) async fn restore_item(
        &self,
        id: ItemId,
        request: &RestoreRequest,
        now: Timestamp,
    ) -> Result<RestoreOutcome, ApiError> {
        for _ in 0..2 {
            let current = self.stored(&id).await?;
            if let (Some(current), Some(mark)) = (&current, &request.mark)
                && let Some(answer) = replay(current, mark)
            {
                return answer;
            }
            let written = match current {
                None => self.recreate(&id, request, now).await?,
                Some(current) => self.rewrite(&id, current, request, now).await?,
            };
            if let Some(outcome) = written {
                return Ok(outcome);
            }
        }
        Err(version_conflict(None))
    }

    /// A deleted item back at the highest version so far + 1. `None`: it exists again.
    async fn recreate(
        &self,
        id: &ItemId,
        request: &RestoreRequest,
        now: Timestamp,
    ) -> Result<Option<RestoreOutcome>, ApiError> {
        if request.precondition != Precondition::None {
            // `If-Match` names a version of an existing item; this one is deleted.
            return Err(version_conflict(None));
        }
        let newest = self
            .history_entry(id, None)
            .await?
            .ok_or(DomainError::NotFound)?;
        if newest.event != HistoryEvent::Deleted {
            // The item is gone but its deletion is not in the history yet: the stream is behind.
            return Err(ApiError::HistoryPending);
        }
        let entry = match request.version {
            None => newest.clone(),
            Some(version) => self
                .history_entry(id, Some(version))
                .await?
                .ok_or(ApiError::VersionNotFound)?,
        };
        let image = entry.into_image()?;
        // The deletion carries the last version, the highest so far (the claim makes sure
        // of it).
        let item = restored_item(image.clone(), newest.version + 1, None, now)?;
        let attributes = attributes_of(&item, &image, request.mark.as_ref(), true)?;
        let written = self
            .recreate_claiming(attributes, id, item.version, now)
            .await?;
        Ok((written == Recreate::Written).then_some(RestoreOutcome::Recreated(item)))
    }

    /// The version's fields written over an existing item as its next version. `None`: the
    /// item changed since it was read.
    async fn rewrite(
        &self,
        id: &ItemId,
        current: AttributeMap,
        request: &RestoreRequest,
        now: Timestamp,
    ) -> Result<Option<RestoreOutcome>, ApiError> {
        let (current_version, next_version) = versions_of(&current)?;
        if let Precondition::Version(expected) = request.precondition
            && expected != current_version
        {
            return Err(version_conflict(Some(current_version)));
        }
        // Without a version the restore means the deleted item's last one: it presumed a
        // deletion, and the item is there (never deleted, or brought back meanwhile by
        // another request, a concurrent restore's loser included).
        let version = request
            .version
            .ok_or_else(|| version_conflict(Some(current_version)))?;
        // The item as it reads now (`None`: another tool's shape the API cannot show).
        let shown = decode(current.clone()).ok();
        let Some(entry) = self.history_entry(id, Some(version)).await? else {
            let changed_at = shown.map(|item| item.updated_at);
            let recent = changed_at.is_some_and(|at| {
                now.as_datetime() - at.as_datetime()
                    < chrono::Duration::seconds(STREAM_RETENTION_SECONDS)
            });
            return Err(self.missing(id, version, current_version, recent).await?);
        };
        let image = entry.into_image()?;
        // `created_at` stays the item's (an unreadable one gives way to the version's).
        let created_at = shown.map(|item| item.created_at);
        let item = restored_item(image, next_version, created_at, now)?;
        let attributes = attributes_of(&item, &current, request.mark.as_ref(), false)?;
        let written = self.put_over(attributes, current_version).await?;
        Ok(written.then_some(RestoreOutcome::Rewritten(item)))
    }

    /// Why the history lacks `version` of an item now at `current_version`, last changed
    /// `recent`ly (within [`STREAM_RETENTION_SECONDS`]) or not. A version the item has had
    /// that is newer than the history's newest entry is on its way (the history follows the
    /// stream, a second or two behind): 409 `HISTORY_PENDING`, to retry; any other is not
    /// there to restore, nor one whose change is older than the stream keeps it: 404
    /// `VERSION_NOT_FOUND`.
    async fn missing(
        &self,
        id: &ItemId,
        version: u64,
        current_version: u64,
        recent: bool,
    ) -> Result<ApiError, ApiError> {
        if version > current_version || !recent {
            return Ok(ApiError::VersionNotFound);
        }
        let newest = self.history_entry(id, None).await?;
        Ok(match newest {
            Some(newest) if newest.version < version => ApiError::HistoryPending,
            _ => ApiError::VersionNotFound,
        })
    }

    /// The item written over the one read at `current_version`; `false` when it changed since.
    async fn put_over(
        &self,
        attributes: AttributeMap,
        current_version: u64,
    ) -> Result<bool, ApiError> {
        let (expression, expected) = condition(Precondition::Version(current_version));
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes))
            .condition_expression(expression)
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#version", "version")
            .set_expression_attribute_values(
                expected.map(|expected| [(":expected".to_string(), expected)].into()),
            );
        match request
            .customize()
            .config_override(write_config())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(dependency("PutItem", error)),
            },
        }
    }
}
