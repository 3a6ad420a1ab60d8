//! Orders the work of one batch and reports what failed.
//!
//! The rule: records of the same item are handled in stream order, and a record's side
//! effects (archive first, then notification) are attempted only if every earlier record
//! of that item in the batch succeeded. Different items proceed independently and
//! concurrently. The response names the lowest SequenceNumber of any record that failed
//! (or was skipped behind a failure); Lambda then re-delivers the batch from that record on,
//! so nothing after a failure is lost, and records of other items that had already
//! succeeded are delivered again: archive writes are conditional on the object's absence and
//! notifications carry the change's `event_id`, which makes those repeats harmless.
//!
//! Work happens in waves: wave n takes the n-th pending record of every item still
//! healthy, archives them concurrently (bounded), then publishes notifications for the ones
//! archived, ten per PublishBatch. A notification therefore always points at an archive
//! object that exists.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    time::Instant,
};

use aws_lambda_events::{
    dynamodb::{Event, EventRecord},
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use domain::ItemId;
use futures::{StreamExt, stream};
use lambda_runtime::{Error, LambdaEvent};

use crate::{
    Archive, Notifier,
    notify::BATCH_LIMIT,
    record::{self, ChangeRecord},
};

/// S3 puts (and PublishBatch calls) in flight at once.
pub const CONCURRENCY: usize = 16;

pub struct Processor {
    archive: Archive,
    notifier: Notifier,
}

/// One record waiting its turn: decoded, or the reason it could not be.
type Pending = (usize, Result<ChangeRecord, String>);

#[derive(Debug, Default)]
struct Outcome {
    /// Record index → why it failed.
    failed: BTreeMap<usize, String>,
    skipped: usize,
    archived: usize,
    notified: usize,
}

impl Processor {
    pub fn new(archive: Archive, notifier: Notifier) -> Self {
        Self { archive, notifier }
    }

    /// The Lambda entry point: a batch in, the partial batch response out.
    pub async fn handle(&self, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event.payload.records).await)
    }

    pub async fn process(&self, records: &[EventRecord]) -> DynamoDbEventResponse {
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let mut queues = queue_by_item(records);
        loop {
            let wave = next_wave(&mut queues, &mut outcome);
            if wave.is_empty() {
                break;
            }
            self.run_wave(wave, &mut queues, &mut outcome).await;
        }
        let first_failed = outcome.failed.keys().next().copied();
        for (index, reason) in &outcome.failed {
            let record = &records[*index];
            tracing::warn!(
                index,
                sequence_number = record.change.sequence_number.as_deref().unwrap_or_default(),
                event_name = %record.event_name,
                item_id = record::item_id(record).map(|id| id.to_string()).unwrap_or_default(),
                %reason,
                "record failed"
            );
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(index) = first_failed {
            // Without a SequenceNumber the identifier is empty, which Lambda treats as a
            // failure of the whole batch: the safe reading.
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(
                records[index]
                    .change
                    .sequence_number
                    .clone()
                    .unwrap_or_default(),
            );
            response.batch_item_failures.push(failure);
        }
        tracing::info!(
            records = records.len(),
            archived = outcome.archived,
            notified = outcome.notified,
            failed = outcome.failed.len(),
            skipped = outcome.skipped,
            first_failed_sequence_number = first_failed
                .and_then(|i| records[i].change.sequence_number.as_deref())
                .unwrap_or_default(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "batch"
        );
        response
    }

    async fn run_wave(
        &self,
        wave: Vec<(usize, ChangeRecord)>,
        queues: &mut Queues,
        outcome: &mut Outcome,
    ) {
        let archived: Vec<(usize, ChangeRecord, Result<String, String>)> = stream::iter(wave)
            .map(|(index, change)| async move {
                let result = self.archive.store(&change).await;
                (index, change, result)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut to_notify = Vec::new();
        for (index, change, result) in archived {
            match result {
                Ok(key) => {
                    outcome.archived += 1;
                    to_notify.push((index, change, key));
                }
                Err(reason) => queues.fail(index, change.change.item_id(), reason, outcome),
            }
        }
        to_notify.sort_by_key(|(index, _, _)| *index);
        let published: Vec<Vec<Result<(), String>>> = stream::iter(to_notify.chunks(BATCH_LIMIT))
            .map(|chunk| async move {
                let entries: Vec<(&ChangeRecord, &str)> = chunk
                    .iter()
                    .map(|(_, change, key)| (change, key.as_str()))
                    .collect();
                self.notifier.publish_batch(&entries).await
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        for ((index, change, _), result) in to_notify.iter().zip(published.into_iter().flatten()) {
            match result {
                Ok(()) => outcome.notified += 1,
                Err(reason) => queues.fail(*index, change.change.item_id(), reason, outcome),
            }
        }
    }
}

/// Each item's pending records, in stream order; records whose keys do not decode form
/// queues of their own (they cannot be tied to an item).
#[derive(Default)]
struct Queues {
    queues: Vec<VecDeque<Pending>>,
    by_item: HashMap<ItemId, usize>,
}

impl Queues {
    /// Marks a record failed and drops the rest of its item's queue (skipped, not lost:
    /// Lambda re-delivers from the first failure).
    fn fail(&mut self, index: usize, item: ItemId, reason: String, outcome: &mut Outcome) {
        outcome.failed.insert(index, reason);
        if let Some(queue) = self.by_item.get(&item).map(|&q| &mut self.queues[q]) {
            outcome.skipped += queue.len();
            queue.clear();
        }
    }
}

fn queue_by_item(records: &[EventRecord]) -> Queues {
    let mut queues = Queues::default();
    for (index, event_record) in records.iter().enumerate() {
        let decoded = record::decode(event_record);
        let item = match &decoded {
            Ok(change) => Some(change.change.item_id()),
            Err(error) => error.item_id,
        };
        let pending = (index, decoded.map_err(|e| e.reason));
        match item {
            Some(item) => {
                let next = queues.queues.len();
                let q = *queues.by_item.entry(item).or_insert(next);
                if q == next {
                    queues.queues.push(VecDeque::new());
                }
                queues.queues[q].push_back(pending);
            }
            None => queues.queues.push(VecDeque::from([pending])),
        }
    }
    queues
}

/// The next record of every item; an undecodable one fails on the spot and stops its item.
fn next_wave(queues: &mut Queues, outcome: &mut Outcome) -> Vec<(usize, ChangeRecord)> {
    let mut wave = Vec::new();
    for queue in &mut queues.queues {
        match queue.pop_front() {
            Some((index, Ok(change))) => wave.push((index, change)),
            Some((index, Err(reason))) => {
                outcome.failed.insert(index, reason);
                outcome.skipped += queue.len();
                queue.clear();
            }
            None => {}
        }
    }
    wave
}
