//! The API's errors: the domain's refusals plus what only an HTTP API can get wrong
//! (routes, headers, query strings, cursors, body size) or suffer (DynamoDB failing).
//! Each has a stable machine-readable [`code`](ApiError::code) and one HTTP
//! [`status`](ApiError::status), both chosen here and nowhere else.

use domain::{DomainError, FieldError, UnrepresentableItem};

use crate::batch::OperationFailure;
use lambda_http::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("Invalid query parameter")]
    InvalidQuery(Vec<FieldError>),
    #[error("Invalid or expired pagination cursor")]
    InvalidCursor,
    #[error("Invalid header {header}: {reason}")]
    InvalidHeader {
        header: &'static str,
        reason: String,
    },
    #[error("Invalid item id")]
    InvalidId,
    /// The stored item cannot be shown (an item of the original service with, say, a
    /// `name` that is a number). `fields` names the attributes at fault, never their values.
    #[error("The stored item cannot be represented")]
    Unrepresentable(Vec<FieldError>),
    #[error("Request body too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("Route not found")]
    RouteNotFound,
    /// The item has history, but not this version.
    #[error("Version not found")]
    VersionNotFound,
    /// A restore of a deleted item whose deletion the history has not recorded yet (it
    /// follows the table's stream, a second or two behind).
    #[error("The item's history is catching up, retry in a moment")]
    HistoryPending,
    /// `allow` is the `Allow` header: the methods the resource has, from the route table.
    #[error("Method not allowed")]
    MethodNotAllowed { allow: String },
    /// A batch's transaction was canceled by its conditions: why, per operation.
    #[error("Transaction canceled: nothing was written")]
    TransactionCanceled(Vec<OperationFailure>),
    #[error("Service busy, retry later")]
    Throttled,
    /// A dependency (DynamoDB) failed. The detail is for logs only, never for clients.
    #[error("Upstream service error")]
    Dependency(String),
    /// A bug or an impossible state. The detail is for logs only, never for clients.
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(DomainError::Validation(_)) => "VALIDATION_FAILED",
            Self::Domain(DomainError::InvalidJson) => "INVALID_JSON",
            Self::Domain(DomainError::NotFound) => "ITEM_NOT_FOUND",
            Self::Domain(DomainError::VersionConflict { .. }) => "PRECONDITION_FAILED",
            Self::Domain(DomainError::IdempotencyKeyReused) => "IDEMPOTENCY_KEY_REUSED",
            Self::InvalidQuery(_) => "INVALID_QUERY_PARAMETER",
            Self::InvalidCursor => "INVALID_CURSOR",
            Self::InvalidHeader { .. } => "INVALID_HEADER",
            Self::InvalidId => "INVALID_ID",
            Self::Unrepresentable(_) => "UNREPRESENTABLE_ITEM",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::RouteNotFound => "ROUTE_NOT_FOUND",
            Self::VersionNotFound => "VERSION_NOT_FOUND",
            Self::HistoryPending => "HISTORY_PENDING",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::TransactionCanceled(_) => "TRANSACTION_CANCELED",
            Self::Throttled => "THROTTLED",
            Self::Dependency(_) => "DEPENDENCY_FAILURE",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Domain(DomainError::Validation(_) | DomainError::InvalidJson)
            | Self::InvalidQuery(_)
            | Self::InvalidCursor
            | Self::InvalidHeader { .. }
            | Self::InvalidId => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Domain(DomainError::NotFound) | Self::RouteNotFound | Self::VersionNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Domain(DomainError::VersionConflict { .. }) => StatusCode::PRECONDITION_FAILED,
            Self::Domain(DomainError::IdempotencyKeyReused) | Self::Unrepresentable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::TransactionCanceled(_) | Self::HistoryPending => StatusCode::CONFLICT,
            Self::Throttled => StatusCode::SERVICE_UNAVAILABLE,
            Self::Dependency(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Field-level reasons, for the errors that have them.
    pub fn fields(&self) -> Option<&[FieldError]> {
        match self {
            Self::Domain(DomainError::Validation(fields))
            | Self::InvalidQuery(fields)
            | Self::Unrepresentable(fields) => Some(fields),
            _ => None,
        }
    }

    /// Each failed operation of a canceled batch.
    pub fn failures(&self) -> Option<&[OperationFailure]> {
        match self {
            Self::TransactionCanceled(failures) => Some(failures),
            _ => None,
        }
    }

    /// The item's version when a precondition failed, so the client can re-read or retry.
    pub fn current_version(&self) -> Option<u64> {
        match self {
            Self::Domain(DomainError::VersionConflict { current_version }) => *current_version,
            _ => None,
        }
    }
}

impl From<UnrepresentableItem> for ApiError {
    fn from(item: UnrepresentableItem) -> Self {
        let reason = "the stored value cannot be represented";
        let fields = item.attributes.into_iter();
        Self::Unrepresentable(fields.map(|name| FieldError::new(name, reason)).collect())
    }
}
