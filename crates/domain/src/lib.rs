//! The `items` domain: what an item is, how client input becomes one, the service's errors,
//! the list cursor and the change events the stream processor consumes.
//!
//! Pure Rust: no AWS SDK types in the public API, so both Lambda functions and the tests
//! share one definition of a valid item ("parse, don't validate": every field is a newtype
//! whose only constructor checks it).

mod change;
mod cursor;
mod error;
mod fields;
mod input;
mod item;
mod timestamp;

pub use change::{ChangeKind, ItemChange};
pub use cursor::{CursorKey, CursorSigner};
pub use error::{FieldError, ServiceError};
pub use fields::{Attributes, Description, Email, ItemId, Name, Status};
pub use input::{ItemPatch, NewItem};
pub use item::Item;
pub use timestamp::Timestamp;
