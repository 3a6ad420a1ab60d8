//! The `items` domain: what an item is, how client input becomes one, what the domain
//! refuses, and the change events the stream processor consumes.
//!
//! Pure Rust: no AWS SDK types in the public API, so both Lambda functions and the tests
//! share one definition of a valid item ("parse, don't validate": every field is a newtype
//! whose only constructor checks it).

mod change;
mod error;
mod fields;
pub mod history;
mod input;
mod item;
mod stored;
mod timestamp;

pub use change::{ChangeKind, changed_fields};
pub use error::{DomainError, FieldError};
pub use fields::{Attributes, Description, Email, ItemId, Name, Status};
pub use history::HistoryEvent;
pub use input::{ItemPatch, NewItem};
pub use item::Item;
pub use stored::{
    BATCH_FINGERPRINT, BATCH_TOKEN, INTERNAL_ATTRIBUTES, REQUEST_FINGERPRINT, StoredItem,
    UnrepresentableItem, number_is_exact,
};
pub use timestamp::Timestamp;
