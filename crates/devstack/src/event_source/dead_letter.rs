//! The on-failure destination of a stream mapping: a batch whose retries ran out is
//! described (Lambda's `DDBStreamBatchInfo` record) on an SQS queue.

use aws_sdk_dynamodbstreams::types::Record;
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use super::{StreamMapping, sequence_number};
use crate::aws::function_arn;

/// The queue batches go to when they give up.
pub struct DeadLetters {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl StreamMapping {
    /// Describes `records` of `shard` on the queue, as Lambda does: where they are in the
    /// stream (not the records), so they can be read back from it while it keeps them.
    pub(super) async fn dead_letter(
        &self,
        shard: &str,
        records: &[Record],
        invocations: u32,
        condition: &str,
        error: Option<String>,
    ) {
        let first = records.first().map(sequence_number).unwrap_or_default();
        let last = records.last().map(sequence_number).unwrap_or_default();
        let Some(DeadLetters { sqs, queue_url }) = &self.dead_letters else {
            eprintln!(
                "stream | batch {first}..{last} ({} records) gave up after {invocations} invocations; no dead-letter queue",
                records.len()
            );
            return;
        };
        eprintln!(
            "stream | batch {first}..{last} ({} records) gave up after {invocations} invocations: described on the dead-letter queue {queue_url}",
            records.len()
        );
        let arrival = |record: Option<&Record>| {
            record
                .and_then(|r| r.dynamodb.as_ref())
                .and_then(|d| d.approximate_creation_date_time)
                .map(|t| t.to_string())
        };
        let message = json!({
            "requestContext": {
                "requestId": uuid::Uuid::new_v4().to_string(),
                "functionArn": function_arn(self.function.name()),
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": error },
            "version": "1.0",
            "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": arrival(records.first()),
                "approximateArrivalOfLastRecord": arrival(records.last()),
                "batchSize": records.len(),
                "streamArn": self.stream_arn,
            },
        });
        if let Err(error) = sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(message.to_string())
            .send()
            .await
        {
            eprintln!(
                "stream | could not send to the dead-letter queue: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&error)
            );
        }
    }
}
