//! The S3 archive. Every change has exactly one object, at a key derived from the change
//! alone, written with `If-None-Match: *`: a replayed record finds its object already
//! there and changes nothing, even in a versioned bucket.
//!
//! Layout (date = when DynamoDB made the change, UTC):
//! - create: `backups/YYYY/MM/DD/{id}.json` (the original layout)
//! - update: `backups/YYYY/MM/DD/{id}/v{version}.json` (the new version)
//! - delete: `backups/YYYY/MM/DD/{id}/deleted-v{version}.json` (a tombstone holding the last
//!   version, so a deleted item can be restored)

use aws_sdk_s3::{Client, error::ProvideErrorMetadata, primitives::ByteStream};
use domain::{Item, ItemChange};
use serde::Serialize;

use crate::record::ChangeRecord;

#[derive(Clone)]
pub struct Archive {
    client: Client,
    bucket: String,
}

/// The object's content: the item image plus where it came from.
#[derive(Serialize)]
pub struct ArchiveDocument<'a> {
    pub event_type: &'static str,
    pub event_id: &'a str,
    pub sequence_number: &'a str,
    pub changed_at: String,
    /// The new image for creates and updates, the last image for deletes.
    pub item: &'a Item,
}

pub fn event_type(change: &ItemChange) -> &'static str {
    match change {
        ItemChange::Created(_) => "created",
        ItemChange::Updated { .. } => "updated",
        ItemChange::Deleted(_) => "deleted",
    }
}

/// The image an archive object and a notification describe.
pub fn subject_item(change: &ItemChange) -> &Item {
    match change {
        ItemChange::Created(item)
        | ItemChange::Deleted(item)
        | ItemChange::Updated { new: item, .. } => item,
    }
}

pub fn key_of(record: &ChangeRecord) -> String {
    let date = record.changed_at.format("%Y/%m/%d");
    match &record.change {
        ItemChange::Created(item) => format!("backups/{date}/{}.json", item.id),
        ItemChange::Updated { new, .. } => {
            format!("backups/{date}/{}/v{}.json", new.id, new.version)
        }
        ItemChange::Deleted(old) => {
            format!("backups/{date}/{}/deleted-v{}.json", old.id, old.version)
        }
    }
}

pub fn document_of(record: &ChangeRecord) -> Vec<u8> {
    let document = ArchiveDocument {
        event_type: event_type(&record.change),
        event_id: &record.event_id,
        sequence_number: &record.sequence_number,
        changed_at: domain::Timestamp::from_datetime(record.changed_at).to_string(),
        item: subject_item(&record.change),
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

    /// Writes the record's object unless it exists. Returns the key.
    pub async fn store(&self, record: &ChangeRecord) -> Result<String, String> {
        let key = key_of(record);
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(document_of(record)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(key),
            // Already archived by an earlier delivery of this record.
            Err(error) if error.code() == Some("PreconditionFailed") => Ok(key),
            Err(error) => Err(format!(
                "S3 PutObject: {}",
                aws_sdk_s3::error::DisplayErrorContext(&error)
            )),
        }
    }
}
