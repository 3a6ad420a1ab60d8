use serde::Serialize;

/// Why one field of a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Every way a request can fail, for the whole service. Each variant has a stable
/// machine-readable [`code`](ServiceError::code); the HTTP status is chosen in one place
/// (items-api's response module), not here.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("Validation failed")]
    Validation(Vec<FieldError>),
    #[error("Invalid JSON in request body")]
    InvalidJson,
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
    #[error("Request body too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("Item not found")]
    NotFound,
    #[error("Route not found")]
    RouteNotFound,
    #[error("Method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("Precondition failed: the item has changed")]
    PreconditionFailed { current_version: Option<u64> },
    #[error("Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
    #[error("Service busy, retry later")]
    Throttled,
    /// A dependency (DynamoDB) failed. The detail is for logs only, never for clients.
    #[error("Upstream service error")]
    Dependency(String),
    /// A bug or an impossible state. The detail is for logs only, never for clients.
    #[error("Internal server error")]
    Internal(String),
}

impl ServiceError {
    /// The stable code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "VALIDATION_FAILED",
            Self::InvalidJson => "INVALID_JSON",
            Self::InvalidQuery(_) => "INVALID_QUERY_PARAMETER",
            Self::InvalidCursor => "INVALID_CURSOR",
            Self::InvalidHeader { .. } => "INVALID_HEADER",
            Self::InvalidId => "INVALID_ID",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::NotFound => "ITEM_NOT_FOUND",
            Self::RouteNotFound => "ROUTE_NOT_FOUND",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::PreconditionFailed { .. } => "PRECONDITION_FAILED",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::Throttled => "THROTTLED",
            Self::Dependency(_) => "DEPENDENCY_FAILURE",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// Field-level reasons, for the errors that have them.
    pub fn fields(&self) -> Option<&[FieldError]> {
        match self {
            Self::Validation(fields) | Self::InvalidQuery(fields) => Some(fields),
            _ => None,
        }
    }
}
