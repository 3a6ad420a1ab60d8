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

/// What the items domain itself can refuse: bad input, a missing item, a version that
/// moved on, an idempotency key reused for other input. Transport concerns (routes,
/// headers, cursors, dependencies) and the HTTP statuses belong to items-api's `ApiError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("Validation failed")]
    Validation(Vec<FieldError>),
    /// Input that is not JSON at all.
    #[error("Invalid JSON in request body")]
    InvalidJson,
    #[error("Item not found")]
    NotFound,
    /// The item is not at the version the caller expected; `current_version` when known.
    #[error("Precondition failed: the item has changed")]
    VersionConflict { current_version: Option<u64> },
    #[error("Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
}
