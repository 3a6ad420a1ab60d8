//! The S3 archive. Every change has exactly one object, at a key derived from the change
//! alone, written with `If-None-Match: *`: a replayed record finds its object already
//! there and changes nothing, even in a versioned bucket.
//!
//! Layout (date = when DynamoDB made the change, UTC):
//! - create: `backups/YYYY/MM/DD/{id}.json` (the original layout)
//! - update or restore: `backups/YYYY/MM/DD/{id}/v{version}.json` (the new version; a restore
//!   that re-creates a deleted item too, so it never meets the create's object)
//! - a change by another tool that leaves `version` as it was (the original service's items
//!   have none: 0): `backups/YYYY/MM/DD/{id}/v{version}-{SequenceNumber}.json`
//! - `{id}` is the id, or for an id over [`KEY_ID_BYTES`] its start and its hash
//! - delete: `backups/YYYY/MM/DD/{id}/deleted-v{version}.json` (a tombstone holding the last
//!   version, so a deleted item can be restored)
//!
//! The object is the item itself, as the original service's backups were: its attributes
//! as stored at the top level (whatever wrote them, an item that cannot be shown through the
//! API included). What happened is in the object's metadata (`x-amz-meta-*`), where it
//! cannot collide with an item's field: `event-type` (`created`, `updated`, `deleted`,
//! `restored`), `event-id`, `sequence-number`,
//! `changed-at`, and `unrepresentable` (the attribute names at fault) when the item cannot be
//! read as one.

use aws_sdk_s3::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::put_object::PutObjectError,
    primitives::ByteStream,
};
use domain::{ChangeKind, HistoryEvent};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Step, at_once};
use crate::record::ChangeRecord;

pub struct Archive {
    client: Client,
    bucket: String,
}

/// Where a change's object is. Derived from the change alone, so the notification of a
/// change names the object the archive step wrote without asking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ArchiveKey(String);

impl ArchiveKey {
    pub fn of(record: &ChangeRecord) -> Self {
        let date = record.changed_at.format("%Y/%m/%d");
        let (id, version) = (key_part(record.item_id.as_str()), record.version());
        let restored = record.event() == HistoryEvent::Restored;
        Self(match (record.kind, version) {
            (ChangeKind::Remove, _) => format!("backups/{date}/{id}/deleted-v{version}.json"),
            // A first version: ours (1) or the original service's (0, it kept none); a
            // restore of an item deleted at version 0 is an insert at 1, not a create.
            (ChangeKind::Insert, 0 | 1) if !restored => format!("backups/{date}/{id}.json"),
            // A change that left `version` as it was (another tool's: the API bumps it on
            // every write; an item without versions included) would meet the object of the
            // change that made that version: each such change gets its own object.
            (ChangeKind::Modify, _) if record.version_unchanged => {
                format!(
                    "backups/{date}/{id}/v{version}-{}.json",
                    record.sequence_number
                )
            }
            // An update, or a restore (which may re-create a deleted item: an insert at a
            // later version, never at the create's key).
            _ => format!("backups/{date}/{id}/v{version}.json"),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// S3 keys hold at most 1024 bytes. An id longer than this (another tool's: up to 255
/// characters of up to 4 bytes) is shortened in the key to its first characters and a hash
/// of the whole id, so the key still follows from the change alone and still names the item.
/// Before, such a key was refused on every retry and the change went to the dead-letter
/// queue with its archive object, history entry and notification.
const KEY_ID_BYTES: usize = 512;

fn key_part(id: &str) -> std::borrow::Cow<'_, str> {
    if id.len() <= KEY_ID_BYTES {
        return id.into();
    }
    let mut end = 128;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    let hash = Sha256::digest(id.as_bytes());
    format!("{}~{:x}", &id[..end], hash).into()
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("S3 PutObject: {}", DisplayErrorContext(.0))]
    Put(Box<SdkError<PutObjectError>>),
}

/// The object's metadata: the change, beside the item rather than in it. Values are
/// [`header_safe`].
fn metadata_of(record: &ChangeRecord) -> Vec<(&'static str, String)> {
    let mut metadata: Vec<_> = [
        ("event-type", record.event().as_str().to_owned()),
        ("event-id", record.event_id.clone()),
        ("sequence-number", record.sequence_number.clone()),
        (
            "changed-at",
            domain::Timestamp::from_datetime(record.changed_at).to_string(),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name, header_safe(&value)))
    .collect();
    if let Err(unrepresentable) = &record.item {
        metadata.push(("unrepresentable", names_within(&unrepresentable.attributes)));
    }
    metadata
}

/// S3 refuses an object whose user metadata is over 2 KB, on every retry. The other values
/// take under 200 bytes; the attribute names at fault are listed while they fit in this many
/// bytes (percent-encoded), then counted (`,+12 more`).
const NAMES_BYTES: usize = 1024;

fn names_within(names: &[String]) -> String {
    let mut listed = String::new();
    for (n, name) in names.iter().enumerate() {
        let name = header_safe(name);
        let separator = usize::from(n > 0);
        if listed.len() + separator + name.len() > NAMES_BYTES {
            return format!("{listed},+{} more", names.len() - n);
        }
        if n > 0 {
            listed.push(',');
        }
        listed.push_str(&name);
    }
    listed
}

/// Metadata travels as HTTP headers, which hold printable ASCII only; any other byte (an
/// attribute name in Korean, a control character) is percent-encoded, as in a URL.
pub(crate) fn header_safe(value: &str) -> String {
    let mut safe = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (byte.is_ascii_graphic() && byte != b'%') || byte == b' ' {
            safe.push(char::from(byte));
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    safe
}

impl Archive {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Writes the record's object unless it exists.
    async fn store(&self, record: &ChangeRecord) -> Result<(), ArchiveError> {
        let body = serde_json::to_vec_pretty(&record.document).expect("JSON values serialize");
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(ArchiveKey::of(record).as_str())
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(body));
        let put = metadata_of(record)
            .into_iter()
            .fold(put, |put, (name, value)| put.metadata(name, value));
        let result = put.send().await;
        match result {
            Ok(_) => Ok(()),
            // Already archived by an earlier delivery of this record.
            Err(error) if error.code() == Some("PreconditionFailed") => Ok(()),
            Err(error) => Err(ArchiveError::Put(Box::new(error))),
        }
    }
}

impl Step for Archive {
    const NAME: &'static str = "archive";
    type Error = ArchiveError;

    /// One PutObject per change, [`CONCURRENCY`](super::CONCURRENCY) at once.
    async fn run(&self, changes: &[&ChangeRecord]) -> Vec<Result<(), ArchiveError>> {
        at_once(changes.iter().map(|record| self.store(record)).collect()).await
    }
}

#[cfg(test)]
mod tests {
    use super::{KEY_ID_BYTES, NAMES_BYTES, header_safe, key_part, names_within};

    #[test]
    fn the_names_at_fault_fit_in_s3s_metadata() {
        let few = vec!["name".to_string(), "created_at".to_string()];
        assert_eq!(names_within(&few), "name,created_at");
        // 25 names of 10 Hangul syllables: 90 bytes each once percent-encoded.
        let many: Vec<String> = (0..25).map(|_| "색".repeat(10)).collect();
        let listed = names_within(&many);
        assert!(listed.len() <= NAMES_BYTES + 12, "{}", listed.len());
        assert!(listed.ends_with(",+14 more"), "{listed}");
    }

    #[test]
    fn a_long_id_is_its_start_and_its_hash_in_keys() {
        assert_eq!(key_part("item1"), "item1");
        let long = "\u{1F600}".repeat(255);
        let other = format!("{}x", "\u{1F600}".repeat(254));
        let part = key_part(&long);
        assert!(part.len() <= KEY_ID_BYTES, "{}", part.len());
        assert!(part.starts_with(&"\u{1F600}".repeat(32)));
        assert_eq!(part, key_part(&long), "the same id, the same key");
        assert_ne!(part, key_part(&other));
    }

    #[test]
    fn metadata_values_are_printable_ascii() {
        assert_eq!(header_safe("name,색상"), "name,%EC%83%89%EC%83%81");
        assert_eq!(header_safe("100%\n"), "100%25%0A");
        assert_eq!(header_safe("a b-1"), "a b-1");
    }
}
