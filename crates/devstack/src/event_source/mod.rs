//! A local event source mapping for a DynamoDB stream, with the template's settings: it
//! polls the stream's shards, gathers records into batches (up to `BatchSize`, or what
//! arrived within `MaximumBatchingWindowInSeconds`), invokes the function with the event
//! Lambda would build, and handles the outcome as Lambda does:
//!
//! - `batchItemFailures` naming a record: retry from that record (the earlier ones are done);
//! - a function error: retry the batch, split in halves first when `BisectBatchOnFunctionError`;
//! - after `MaximumRetryAttempts` retries: send the batch's description to the on-failure
//!   SQS queue (Lambda's `DDBStreamBatchInfo` record) and move on.

mod dead_letter;
mod shards;

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use aws_sdk_dynamodbstreams::types::Record;
use serde_json::Value;
use tokio::sync::watch;

use crate::{FunctionHost, StreamTrigger, stream_event};
pub use dead_letter::DeadLetters;
use shards::ShardReader;

const POLL_INTERVAL: Duration = Duration::from_millis(100);

pub struct StreamMapping {
    pub trigger: StreamTrigger,
    pub stream_arn: String,
    pub function: FunctionHost,
    pub streams: aws_sdk_dynamodbstreams::Client,
    /// The on-failure destination.
    pub dead_letters: Option<DeadLetters>,
    /// Every invocation, appended as it ends (what Lambda's metrics and logs would show).
    pub deliveries: Deliveries,
}

/// One invocation of the function with a batch, and what came of it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub started: Instant,
    pub finished: Instant,
    /// The batch's records, in order.
    pub sequence_numbers: Vec<String>,
    /// The `itemIdentifier`s of the response's `batchItemFailures`.
    pub reported_failures: Vec<String>,
    /// The function's error, when it failed instead of answering.
    pub function_error: Option<String>,
    /// Records sent to the on-failure destination after this invocation.
    pub dead_lettered: usize,
}

/// The invocation log of a stream mapping, shared with whoever watches it.
pub type Deliveries = Arc<Mutex<Vec<Delivery>>>;

/// A batch waiting for (another) invocation.
struct Attempt {
    records: Vec<Record>,
    retries: u32,
}

fn sequence_number(record: &Record) -> &str {
    record
        .dynamodb
        .as_ref()
        .and_then(|d| d.sequence_number.as_deref())
        .unwrap_or_default()
}

impl StreamMapping {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut shards = ShardReader::new(
            self.streams.clone(),
            self.stream_arn.clone(),
            &self.trigger.starting_position,
        );
        let mut buffer: Vec<(String, Record)> = Vec::new();
        let mut first_buffered: Option<Instant> = None;
        while !*stop.borrow() {
            let records = shards.read().await;
            if !records.is_empty() && first_buffered.is_none() {
                first_buffered = Some(Instant::now());
            }
            buffer.extend(records);
            let window_over =
                first_buffered.is_some_and(|at| at.elapsed() >= self.trigger.batching_window);
            if !buffer.is_empty() && (buffer.len() >= self.trigger.batch_size || window_over) {
                // A batch holds one shard's records, as Lambda's do: the oldest record's
                // shard, in stream order, wherever reads of other shards came between.
                let shard = buffer[0].0.clone();
                let mut room = self.trigger.batch_size;
                let batch: Vec<Record> = buffer
                    .extract_if(.., |(id, _)| {
                        let take = *id == shard && room > 0;
                        room -= usize::from(take);
                        take
                    })
                    .map(|(_, record)| record)
                    .collect();
                first_buffered = (!buffer.is_empty()).then(Instant::now);
                self.deliver(&shard, batch).await;
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Delivers one batch of `shard`'s records until it succeeds or its retries run out.
    async fn deliver(&self, shard: &str, records: Vec<Record>) {
        let mut attempts = VecDeque::from([Attempt {
            records,
            retries: 0,
        }]);
        while let Some(Attempt { records, retries }) = attempts.pop_front() {
            let event = stream_event(&self.stream_arn, &records);
            let started = Instant::now();
            let outcome = self.function.invoke(event).await;
            let mut delivery = Delivery {
                started,
                finished: Instant::now(),
                sequence_numbers: records
                    .iter()
                    .map(|r| sequence_number(r).to_string())
                    .collect(),
                reported_failures: Vec::new(),
                function_error: None,
                dead_lettered: 0,
            };
            let exhausted = self
                .trigger
                .maximum_retry_attempts
                .is_some_and(|max| retries >= max);
            match outcome {
                Ok(response) => {
                    delivery.reported_failures = response["batchItemFailures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| f["itemIdentifier"].as_str().unwrap_or_default().to_string())
                        .collect();
                    if let Some(start) = self.first_reported_failure(&response, &records) {
                        let rest = records[start..].to_vec();
                        if exhausted {
                            delivery.dead_lettered = rest.len();
                            self.dead_letter(
                                shard,
                                &rest,
                                retries + 1,
                                "RetryAttemptsExhausted",
                                None,
                            )
                            .await;
                        } else {
                            attempts.push_front(Attempt {
                                records: rest,
                                retries: retries + 1,
                            });
                        }
                    }
                }
                Err(error) => {
                    delivery.function_error = Some(error.to_string());
                    if exhausted {
                        delivery.dead_lettered = records.len();
                        self.dead_letter(
                            shard,
                            &records,
                            retries + 1,
                            "RetryAttemptsExhausted",
                            Some(error.to_string()),
                        )
                        .await;
                    } else if self.trigger.bisect_on_error && records.len() > 1 {
                        let (first, second) = records.split_at(records.len() / 2);
                        attempts.push_front(Attempt {
                            records: second.to_vec(),
                            retries: retries + 1,
                        });
                        attempts.push_front(Attempt {
                            records: first.to_vec(),
                            retries: retries + 1,
                        });
                    } else {
                        attempts.push_front(Attempt {
                            records,
                            retries: retries + 1,
                        });
                    }
                }
            }
            self.deliveries.lock().unwrap().push(delivery);
        }
    }

    /// Index of the record to retry from, when the response reports a failure. An identifier
    /// that names no record of the batch fails the whole batch, as on Lambda.
    fn first_reported_failure(&self, response: &Value, records: &[Record]) -> Option<usize> {
        if !self.trigger.report_batch_item_failures {
            return None;
        }
        let failures = response["batchItemFailures"].as_array()?;
        let positions = failures.iter().map(|failure| {
            let id = failure["itemIdentifier"].as_str().unwrap_or_default();
            records
                .iter()
                .position(|record| !id.is_empty() && sequence_number(record) == id)
                .unwrap_or(0)
        });
        positions.min()
    }
}
