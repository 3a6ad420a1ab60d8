use serde::{Deserialize, Serialize};

use crate::{Attributes, Description, Email, ItemId, Name, Status, Timestamp};

/// A stored item, as clients see it and as it is kept in DynamoDB (one attribute per field;
/// `attributes` is a single map attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub name: Name,
    pub email: Email,
    #[serde(default)]
    pub description: Description,
    pub status: Status,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Starts at 1, bumped by every update; the item's ETag.
    pub version: u64,
    #[serde(default)]
    pub attributes: Attributes,
}

impl Item {
    /// The ETag header value for this version: `"<version>"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}
