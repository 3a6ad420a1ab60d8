//! Poison records: ones that can never be processed (no item id in their keys, an unknown
//! event, a missing image, no sequence number). Retrying them would only hold their shard
//! until the records expire or reach the dead-letter queue, taking every later record of
//! their item with them; instead each is written to the archive bucket under
//! `quarantine/YYYY/MM/DD/{eventID}.json` with the reason, and the batch moves on. Only a
//! failed quarantine write is retried (reported as a batch-item failure).
//!
//! The object is `{"reason": …, "record": …}`, the record exactly as the stream delivered it
//! (the event `sam local invoke` takes holds a list of these), with the reason also in the
//! object's metadata (`x-amz-meta-reason`). Written with `If-None-Match: *`, as the archive
//! objects are: a replay writes nothing twice.

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_s3::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::put_object::PutObjectError,
    primitives::ByteStream,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    record::Poison,
    steps::{archive::header_safe, at_once},
};

pub struct Quarantine {
    client: Client,
    bucket: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("S3 PutObject (quarantine): {}", DisplayErrorContext(.0))]
    Put(Box<SdkError<PutObjectError>>),
}

#[derive(Serialize)]
struct QuarantineDocument<'a> {
    reason: String,
    record: &'a EventRecord,
}

/// Where a poison record goes: named by its `eventID` (the same on every delivery) when that
/// is a plain name, else by the digest of the record.
pub fn key_of(record: &EventRecord) -> String {
    let date = record
        .change
        .approximate_creation_date_time
        .format("%Y/%m/%d");
    let id = &record.event_id;
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let name = if plain {
        id.clone()
    } else {
        let record = serde_json::to_vec(record).expect("stream records serialize");
        format!("{:x}", Sha256::digest(record))
    };
    format!("quarantine/{date}/{name}.json")
}

impl Quarantine {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    async fn store(&self, record: &EventRecord, reason: &Poison) -> Result<(), QuarantineError> {
        let document = QuarantineDocument {
            reason: reason.to_string(),
            record,
        };
        let body = serde_json::to_vec_pretty(&document).expect("stream records serialize");
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key_of(record))
            .content_type("application/json")
            .metadata("reason", header_safe(&document.reason))
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Quarantined by an earlier delivery of this record.
            Err(error) if error.code() == Some("PreconditionFailed") => Ok(()),
            Err(error) => Err(QuarantineError::Put(Box::new(error))),
        }
    }

    /// One PutObject per record, [`CONCURRENCY`](crate::steps::CONCURRENCY) at once; the
    /// results in the same order.
    pub async fn run(
        &self,
        poisoned: &[(&EventRecord, &Poison)],
    ) -> Vec<Result<(), QuarantineError>> {
        let puts = poisoned
            .iter()
            .map(|(record, reason)| self.store(record, reason))
            .collect();
        at_once(puts).await
    }
}
