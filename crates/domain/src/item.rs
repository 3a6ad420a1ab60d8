use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Attributes, Description, Email, ItemId, Name, Status, Timestamp};

/// An item as clients see it. Every item we write has the strict shape (one attribute per
/// field; `attributes` a single map attribute; `email` unless an item of the original
/// service never had one). Items the original service stored are read into it by
/// [`StoredItem`](crate::StoredItem).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub name: Name,
    /// Required by create; absent only on items the original tools stored without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// Absent only on items the original tools stored without one; writes store `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub status: Status,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Starts at 1, bumped by every update; the item's ETag. 0 for an item the original
    /// service stored (it kept no version) until its first write here.
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub attributes: Attributes,
    /// Read-only: top-level attributes an item of the original service has beyond ours
    /// (e.g. a `color` its clients sent). Never stored under this name: the first write
    /// moves them into `attributes`, unless it sets `attributes`, which replaces them.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub stored_attributes: Map<String, Value>,
}

impl Item {
    /// The ETag header value for this version: `"<version>"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}
