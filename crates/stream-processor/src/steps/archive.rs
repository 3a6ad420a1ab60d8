//! The S3 archive. Every change has exactly one object, at a key derived from the change
//! alone, written with `If-None-Match: *`: a replayed record finds its object already
//! there and changes nothing, even in a versioned bucket.
//!
//! Layout (date = when DynamoDB made the change, UTC):
//! - create: `backups/YYYY/MM/DD/{id}.json` (the original layout)
//! - update: `backups/YYYY/MM/DD/{id}/v{version}.json` (the new version)
//! - delete: `backups/YYYY/MM/DD/{id}/deleted-v{version}.json` (a tombstone holding the last
//!   version, so a deleted item can be restored)

use aws_sdk_s3::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::put_object::PutObjectError,
    primitives::ByteStream,
};
use domain::{Item, ItemChange};
use futures::{StreamExt, stream};
use serde::Serialize;

use super::{CONCURRENCY, Step};
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
        Self(match &record.change {
            ItemChange::Created(item) => format!("backups/{date}/{}.json", item.id),
            ItemChange::Updated { new, .. } => {
                format!("backups/{date}/{}/v{}.json", new.id, new.version)
            }
            ItemChange::Deleted(old) => {
                format!("backups/{date}/{}/deleted-v{}.json", old.id, old.version)
            }
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("S3 PutObject: {}", DisplayErrorContext(.0))]
    Put(Box<SdkError<PutObjectError>>),
}

/// The object's content: the item image plus where it came from.
#[derive(Serialize)]
struct ArchiveDocument<'a> {
    event_type: &'static str,
    event_id: &'a str,
    sequence_number: &'a str,
    changed_at: String,
    /// The new image for creates and updates, the last image for deletes.
    item: &'a Item,
}

fn document_of(record: &ChangeRecord) -> Vec<u8> {
    let document = ArchiveDocument {
        event_type: record.change.kind().event_type(),
        event_id: &record.event_id,
        sequence_number: &record.sequence_number,
        changed_at: domain::Timestamp::from_datetime(record.changed_at).to_string(),
        item: record.change.image(),
    };
    serde_json::to_vec_pretty(&document).expect("archive documents serialize")
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
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(ArchiveKey::of(record).as_str())
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(document_of(record)))
            .send()
            .await;
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

    /// One PutObject per change, [`CONCURRENCY`] at once.
    async fn run(&self, changes: &[&ChangeRecord]) -> Vec<Result<(), ArchiveError>> {
        // Built before they are streamed: a closure inside the stream would make this
        // future's Send-ness unprovable (rust-lang/rust#64552).
        let puts: Vec<_> = changes
            .iter()
            .enumerate()
            .map(|(n, record)| async move { (n, self.store(record).await) })
            .collect();
        let mut results: Vec<(usize, Result<(), ArchiveError>)> = stream::iter(puts)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.sort_by_key(|(n, _)| *n);
        results.into_iter().map(|(_, result)| result).collect()
    }
}
