//! An item's history: one entry per change, in the history table, written by the stream
//! processor and read by the API. What both sides must agree on lives here: the events, the
//! sort key that orders them, the entry's attribute names, and the mark a restore leaves.

use std::{fmt, str::FromStr};

use crate::ChangeKind;

/// Set by a restore on the item it writes: the version the restore made. The stream
/// processor calls a change `restored` when its new image's `restored_version` is its
/// `version`; the next update bumps `version`, so the mark needs no removal. Internal: never
/// shown, kept by every write.
pub const RESTORED_VERSION: &str = "restored_version";

/// Stored beside an item a restore with an `Idempotency-Key` wrote: who restored under which
/// key, and what was asked with what answer, so a retry is answered again, not applied again.
pub const RESTORE_TOKEN: &str = "restore_token";
pub const RESTORE_FINGERPRINT: &str = "restore_fingerprint";

/// The attribute names of a history entry (the table's key is `id` + `seq`).
pub mod entry {
    pub const ID: &str = "id";
    /// [`seq`](super::seq): the sort key.
    pub const SEQ: &str = "seq";
    pub const VERSION: &str = "version";
    /// [`HistoryEvent`](super::HistoryEvent) as text.
    pub const EVENT: &str = "event";
    /// When DynamoDB made the change (the stream record's time), in the API's format.
    pub const AT: &str = "at";
    /// Names of the fields an update changed (a list, empty for the other events).
    pub const CHANGED_FIELDS: &str = "changed_fields";
    /// The item image exactly as stored (every attribute with its type, internal ones
    /// included): the new one, the last one for a deletion.
    pub const ITEM: &str = "item";
    /// In place of [`ITEM`], when the entry would be over DynamoDB's 400 KB item limit with
    /// it (an item another tool stored close to that limit): the image as DynamoDB's typed JSON,
    /// gzipped
    /// ([`compressed_image`](super::compressed_image)).
    pub const ITEM_GZIP: &str = "item_gzip";
    /// The change's archive object in the bucket.
    pub const ARCHIVE_KEY: &str = "archive_key";
    /// The stream record's `eventID`: tells a replay (same id) from a collision.
    pub const EVENT_ID: &str = "event_id";
}

/// What a change did, as the history names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryEvent {
    Created,
    Updated,
    Deleted,
    Restored,
}

impl HistoryEvent {
    /// A change of `kind` whose new image is at `version` and carries `restored_version`.
    pub fn of(kind: ChangeKind, version: u64, restored_version: Option<u64>) -> Self {
        match kind {
            ChangeKind::Remove => Self::Deleted,
            _ if restored_version == Some(version) => Self::Restored,
            ChangeKind::Insert => Self::Created,
            ChangeKind::Modify => Self::Updated,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
        }
    }
}

impl fmt::Display for HistoryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HistoryEvent {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "created" => Ok(Self::Created),
            "updated" => Ok(Self::Updated),
            "deleted" => Ok(Self::Deleted),
            "restored" => Ok(Self::Restored),
            other => Err(format!("unknown history event {other:?}")),
        }
    }
}

/// The sort key of an entry: `version × 2`, + 1 for a deletion. A deletion's image carries
/// the version it deleted, so it sorts right after that version and before any later one
/// (a restore makes a higher version). Newest first is a Query in descending order. `None`
/// for a version above `u64::MAX / 2`, which has no key: no item counts up to one, but a
/// client can ask for it and another tool can store it.
pub fn seq(version: u64, event: HistoryEvent) -> Option<u64> {
    version
        .checked_mul(2)?
        .checked_add(u64::from(event == HistoryEvent::Deleted))
}

/// The version an entry's sort key belongs to.
pub fn version_of_seq(seq: u64) -> u64 {
    seq / 2
}

/// An item image kept in [`entry::ITEM_GZIP`]: the map the entry's `item` would hold, as
/// JSON, gzipped. Text compresses several times over, so an item close to DynamoDB's
/// limit still gets its entry, and `GET …/versions/{version}` and restore still read it.
pub mod compressed_image {
    use std::io::Read;

    use flate2::{Compression, read::GzDecoder, write::GzEncoder};
    use serde_json::Value;

    /// Far above any item DynamoDB can hold (400 KB): a larger document is not one of ours.
    const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

    /// `image`: the stream processor writes the item's attribute map in DynamoDB's typed JSON
    /// (`{"name": {"S": "…"}}`, serde_dynamo's form), which keeps every value's type; entries
    /// written before that hold the plain document (`{"name": "…"}`).
    pub fn compress(image: &impl serde::Serialize) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        serde_json::to_writer(&mut encoder, image).expect("JSON writes into memory");
        encoder.finish().expect("gzip writes into memory")
    }

    pub fn decompress(bytes: &[u8]) -> Result<Value, String> {
        let mut json = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| format!("not gzip: {e}"))?;
        if json.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(format!("over {MAX_DOCUMENT_BYTES} bytes uncompressed"));
        }
        serde_json::from_slice(&json).map_err(|e| format!("not JSON: {e}"))
    }

    #[cfg(test)]
    mod tests {
        use std::io::Write;

        use super::*;

        #[test]
        fn an_image_comes_back_as_it_went_in_and_text_shrinks() {
            let image = serde_json::json!({
                "id": "item1",
                "notes": "lorem ipsum ".repeat(30_000),
                "count": 3,
                "tags": ["a", "b"],
            });
            let compressed = compress(&image);
            assert!(compressed.len() * 20 < image.to_string().len());
            assert_eq!(decompress(&compressed).unwrap(), image);
        }

        #[test]
        fn what_is_not_a_compressed_image_is_refused() {
            assert!(decompress(b"not gzip").unwrap_err().starts_with("not gzip"));
            let mut not_json = GzEncoder::new(Vec::new(), Compression::default());
            not_json.write_all(b"{oops").unwrap();
            let not_json = not_json.finish().unwrap();
            assert!(decompress(&not_json).unwrap_err().starts_with("not JSON"));
            let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
            for _ in 0..5 {
                bomb.write_all(&[b' '; 1024 * 1024]).unwrap();
            }
            let bomb = bomb.finish().unwrap();
            assert!(decompress(&bomb).unwrap_err().starts_with("over"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restored_only_when_the_mark_is_the_new_version() {
        use ChangeKind::*;
        assert_eq!(HistoryEvent::of(Insert, 1, None), HistoryEvent::Created);
        assert_eq!(HistoryEvent::of(Modify, 3, Some(2)), HistoryEvent::Updated);
        assert_eq!(HistoryEvent::of(Modify, 3, Some(3)), HistoryEvent::Restored);
        assert_eq!(HistoryEvent::of(Insert, 4, Some(4)), HistoryEvent::Restored);
        assert_eq!(HistoryEvent::of(Remove, 4, Some(4)), HistoryEvent::Deleted);
    }

    #[test]
    fn events_round_trip_as_text() {
        for event in [
            HistoryEvent::Created,
            HistoryEvent::Updated,
            HistoryEvent::Deleted,
            HistoryEvent::Restored,
        ] {
            assert_eq!(event.as_str().parse::<HistoryEvent>(), Ok(event));
        }
        assert!("removed".parse::<HistoryEvent>().is_err());
    }

    #[test]
    fn a_deletion_sorts_between_its_version_and_the_next() {
        let updated = seq(3, HistoryEvent::Updated).unwrap();
        let deleted = seq(3, HistoryEvent::Deleted).unwrap();
        let restored = seq(4, HistoryEvent::Restored).unwrap();
        assert!(updated < deleted && deleted < restored);
        assert_eq!(version_of_seq(deleted), 3);
        assert_eq!(version_of_seq(restored), 4);
    }

    #[test]
    fn a_version_too_large_for_a_key_has_none() {
        let largest = u64::MAX / 2;
        assert_eq!(seq(largest, HistoryEvent::Updated), Some(u64::MAX - 1));
        assert_eq!(seq(largest, HistoryEvent::Deleted), Some(u64::MAX));
        assert_eq!(seq(largest + 1, HistoryEvent::Updated), None);
        assert_eq!(seq(u64::MAX, HistoryEvent::Deleted), None);
    }
}
