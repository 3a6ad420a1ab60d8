//! Where items live. Handlers see only the [`ItemStore`] trait; [`DynamoStore`] is the
//! DynamoDB implementation. Every write is one conditional request whose conditions, not an
//! earlier read, decide (the first update of an item the original service stored is two:
//! see `update`); a batch is one transaction of them. Updates read their items first only to
//! refuse what would leave an item unrepresentable (see `update`).

pub mod attributes;
mod dynamo;
mod history;
mod listing;
mod projection;
mod restore;
mod stored;
mod transact;
mod update;
mod update_expression;
mod write_retries;

use std::future::Future;

use domain::{Email, Item, ItemId, ItemPatch, Status, Timestamp};

use crate::{
    ApiError,
    batch::{BatchMark, BatchOutcome, Operation},
    created_range::CreatedRange,
    cursor::CursorKey,
    projection::{ItemView, Projection},
};

pub use dynamo::DynamoStore;
pub use history::{HistoryEntry, VersionPage};
pub use restore::{RestoreMark, RestoreOutcome, RestoreRequest};

/// A history entry's image as clients see it (an image that cannot be shown is a 422).
pub fn decode_image(image: AttributeMap) -> Result<Item, ApiError> {
    stored::decode(image)
}

use attributes::AttributeMap;

/// What a conditional write requires of the stored item (from `If-Match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match`: the item must exist.
    None,
    /// `If-Match: *`: the item must exist.
    Exists,
    /// `If-Match: "<n>"`: the item must be at version n.
    Version(u64),
}

/// Which items `GET /items` lists.
#[derive(Debug, Clone, PartialEq)]
pub enum ListFilter {
    /// Newest first within one status (`CreatedAtIndex`), `created_at` within a range.
    Status {
        status: Status,
        created: CreatedRange,
    },
    /// Items with this e-mail (`EmailIndex`), optionally of one status.
    Email {
        email: Email,
        status: Option<Status>,
    },
}

impl ListFilter {
    /// Names the query a cursor belongs to, so a cursor is refused on any other query.
    pub fn scope(&self) -> String {
        match self {
            Self::Status { status, created } => format!("status={status}{}", created.scope()),
            Self::Email { email, status } => {
                let status = status.map_or("*", Status::as_str);
                format!("email={}&status={status}", email.as_str())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<ItemView>,
    /// Where the next page starts, if DynamoDB says there may be more.
    pub next: Option<CursorKey>,
    /// How many stored items of this page cannot be shown (each logged with its id).
    pub left_out: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created(Item),
    /// An item with that id already exists (an idempotent create replayed), with the
    /// fingerprint of the request that created it.
    Existing {
        item: Item,
        fingerprint: Option<String>,
    },
}

pub trait ItemStore: Send + Sync {
    /// A strongly consistent read of the projected fields.
    fn get(
        &self,
        id: ItemId,
        projection: &Projection,
    ) -> impl Future<Output = Result<Option<ItemView>, ApiError>> + Send;

    /// Stores `item` unless its id is taken; `fingerprint` is kept for idempotent replays.
    fn create(
        &self,
        item: &Item,
        fingerprint: Option<&str>,
    ) -> impl Future<Output = Result<CreateOutcome, ApiError>> + Send;

    /// Applies `patch`, bumps `version` and sets `updated_at`, all or nothing.
    /// `NotFound` when missing, `VersionConflict` when the version differs.
    fn update(
        &self,
        id: ItemId,
        patch: &ItemPatch,
        precondition: Precondition,
        now: Timestamp,
    ) -> impl Future<Output = Result<Item, ApiError>> + Send;

    /// `NotFound` when missing, `VersionConflict` when the version differs.
    fn delete(
        &self,
        id: ItemId,
        precondition: Precondition,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Applies every operation or none (see [`crate::batch`]); a canceled transaction is
    /// `TransactionCanceled`, a retry of a marked batch `Replayed`.
    fn transact(
        &self,
        operations: &[Operation],
        mark: Option<&BatchMark>,
        now: Timestamp,
    ) -> impl Future<Output = Result<BatchOutcome, ApiError>> + Send;

    fn list(
        &self,
        filter: &ListFilter,
        limit: u16,
        start: Option<CursorKey>,
        projection: &Projection,
    ) -> impl Future<Output = Result<Page, ApiError>> + Send;

    /// One page of the item's history, newest first, without images. `NotFound` when the
    /// item has none.
    fn versions(
        &self,
        id: ItemId,
        limit: u16,
        start: Option<CursorKey>,
    ) -> impl Future<Output = Result<VersionPage, ApiError>> + Send;

    /// The newest entry of `version` (its deletion, if it was deleted), with its image.
    fn version(
        &self,
        id: ItemId,
        version: u64,
    ) -> impl Future<Output = Result<Option<HistoryEntry>, ApiError>> + Send;

    /// Writes a version from the history back as the item's next version (see `restore`).
    fn restore(
        &self,
        id: ItemId,
        request: &RestoreRequest,
        now: Timestamp,
    ) -> impl Future<Output = Result<RestoreOutcome, ApiError>> + Send;
}
