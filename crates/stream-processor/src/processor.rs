//! Runs a batch through the steps and reports what failed.
//!
//! The rule: records of the same item go in stream order, and a record goes through the
//! steps (in list order: archive, then notify) only if every earlier record of its item in
//! the batch went through all of them. Different items proceed independently and
//! concurrently. The response names the lowest SequenceNumber of any record that failed
//! (or was skipped behind a failure); Lambda then re-delivers the batch from that record on,
//! so nothing after a failure is lost, and records of other items that had already
//! succeeded run through the steps again, which is why steps are idempotent (see
//! [`crate::steps`]).
//!
//! Work happens in waves (`item_queues`): wave n takes the n-th pending record of every
//! item still going and runs them through the first step, the ones that passed through the
//! second, and so on. A notification therefore always points at an archive object that
//! exists. A poison record in a wave goes to the [`Quarantine`] instead, and counts as
//! done once it is there: the later records of its item carry on.
//!
//! The batch is answered by a second before the invocation's deadline ([`answer_by`]): no
//! wave starts after that, and a step still running then is abandoned, its changes reported
//! like failures; Lambda delivers again from the first record not done, and what was done
//! stays done (every step is replay-safe). Cut off at its timeout instead, the function would
//! report nothing: the whole batch would be retried (and notified again), each time counting
//! against the mapping's retry attempts.

use std::{
    collections::BTreeMap,
    time::{Instant, SystemTime},
};

use aws_lambda_events::{
    dynamodb::{Event, EventRecord},
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use lambda_runtime::{Error, LambdaEvent};

use crate::{
    Config,
    deadline::{NotFinished, answer_by, by},
    item_queues::{Failures, ItemQueues, Poisoned, Queued},
    quarantine::{self, Quarantine},
    record,
    steps::{self, AnyStep, Archive, Clients, History, Notifier, Step, StepError, Steps},
};

pub struct Processor {
    steps: Steps,
    quarantine: Quarantine,
}

impl Processor {
    pub fn new(steps: Steps, quarantine: Quarantine) -> Self {
        Self { steps, quarantine }
    }

    /// Every step of [`steps::all`], and the quarantine in the archive bucket.
    pub fn with_clients(config: &Config, clients: Clients) -> Self {
        let quarantine = Quarantine::new(clients.s3.clone(), &config.bucket);
        Self::new(steps::all(config, clients), quarantine)
    }

    /// The Lambda entry point: a batch in, the partial batch response out.
    pub async fn handle(&self, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
        let answer_by = (event.context.deadline != 0)
            .then(|| answer_by(event.context.deadline(), SystemTime::now(), Instant::now()));
        Ok(self.process_until(&event.payload.records, answer_by).await)
    }

    /// The whole batch, however long it takes.
    pub async fn process(&self, records: &[EventRecord]) -> DynamoDbEventResponse {
        self.process_until(records, None).await
    }

    /// The batch, done or abandoned by `answer_by`.
    pub async fn process_until(
        &self,
        records: &[EventRecord],
        answer_by: Option<Instant>,
    ) -> DynamoDbEventResponse {
        let started = Instant::now();
        let mut queues = ItemQueues::new(records);
        // Step name → changes that went through it.
        let mut passed = BTreeMap::<&str, usize>::new();
        let mut quarantined = 0;
        loop {
            if answer_by.is_some_and(|by| Instant::now() >= by) {
                queues.leave_the_rest();
                break;
            }
            let wave = queues.next_wave();
            if wave.is_empty() {
                break;
            }
            quarantined += self
                .quarantine_all(records, wave.poisoned, &mut queues, answer_by)
                .await;
            let mut wave = wave.changes;
            for step in self.steps.iter() {
                wave = run_step(step, wave, &mut queues, answer_by).await;
                *passed.entry(step.name()).or_default() += wave.len();
            }
        }
        let Failures {
            failed,
            skipped,
            left,
        } = queues.into_failures();
        if let Some(left) = &left {
            tracing::warn!(
                left = left.count,
                first_left = left.first,
                "batch cut short: the invocation's deadline is near; Lambda delivers the rest again"
            );
        }
        for (&index, error) in &failed {
            let record = &records[index];
            tracing::warn!(
                index,
                sequence_number = record.change.sequence_number.as_deref().unwrap_or_default(),
                event_name = %record.event_name,
                item_id = record::item_id(record).map(|id| id.to_string()).unwrap_or_default(),
                step = error.step,
                reason = %error,
                "record failed"
            );
        }
        // Without a SequenceNumber the identifier is empty, which Lambda treats as a failure
        // of the whole batch: the safe reading.
        let first_not_done = failed.keys().next().copied();
        let first_not_done = first_not_done
            .into_iter()
            .chain(left.map(|l| l.first))
            .min();
        let first_failed = first_not_done.map(|index| {
            let sequence_number = records[index].change.sequence_number.clone();
            sequence_number.unwrap_or_default()
        });
        let passed = |name| passed.get(name).copied().unwrap_or_default();
        // Log field names are fixed when compiled: a step's count is named here.
        tracing::info!(
            records = records.len(),
            archived = passed(Archive::NAME),
            recorded = passed(History::NAME),
            notified = passed(Notifier::NAME),
            quarantined,
            failed = failed.len(),
            skipped,
            left = left.map_or(0, |left| left.count),
            first_failed_sequence_number = first_failed.as_deref().unwrap_or_default(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "batch"
        );
        let mut response = DynamoDbEventResponse::default();
        if let Some(sequence_number) = first_failed {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Quarantines a wave's poison records; how many are there now (the rest failed).
    async fn quarantine_all(
        &self,
        records: &[EventRecord],
        poisoned: Vec<Poisoned>,
        queues: &mut ItemQueues,
        answer_by: Option<Instant>,
    ) -> usize {
        let pairs: Vec<_> = poisoned
            .iter()
            .map(|p| (&records[p.at.index], &p.reason))
            .collect();
        let Some(results) = by(answer_by, self.quarantine.run(&pairs)).await else {
            for poisoned in &poisoned {
                queues.fail(poisoned.at, StepError::new("quarantine", NotFinished));
            }
            return 0;
        };
        let mut stored = 0;
        for (poisoned, result) in poisoned.iter().zip(results) {
            let record = &records[poisoned.at.index];
            match result {
                Ok(()) => {
                    stored += 1;
                    tracing::warn!(
                        index = poisoned.at.index,
                        sequence_number = record.change.sequence_number.as_deref().unwrap_or_default(),
                        event_name = %record.event_name,
                        reason = %poisoned.reason,
                        key = quarantine::key_of(record),
                        "record quarantined"
                    );
                }
                Err(error) => queues.fail(poisoned.at, StepError::new("quarantine", error)),
            }
        }
        stored
    }
}

/// Runs a wave through one step; the changes that passed, in the same order. A change that
/// failed stops its item.
async fn run_step(
    step: &dyn AnyStep,
    wave: Vec<Queued>,
    queues: &mut ItemQueues,
    answer_by: Option<Instant>,
) -> Vec<Queued> {
    let changes: Vec<&record::ChangeRecord> = wave.iter().map(|queued| &queued.record).collect();
    let Some(results) = by(answer_by, step.run(&changes)).await else {
        for queued in wave {
            queues.fail(queued.at, StepError::new(step.name(), NotFinished));
        }
        return Vec::new();
    };
    let mut passed = Vec::with_capacity(wave.len());
    for (queued, result) in wave.into_iter().zip(results) {
        match result {
            Ok(()) => passed.push(queued),
            Err(error) => queues.fail(queued.at, error),
        }
    }
    passed
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Arc, Mutex},
        time::Duration,
    };

    use super::*;
    use crate::record::ChangeRecord;

    /// A stand-in for any step (a test double, not a service): it notes each change it is
    /// given and fails the one `fails` names, so the contract every step relies on is pinned
    /// without S3 or SNS.
    struct Noting {
        label: &'static str,
        fails: Option<&'static str>,
        /// How long each call takes.
        pause: Duration,
        seen: Arc<Mutex<Vec<String>>>,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("refused")]
    struct Refused;

    impl Step for Noting {
        const NAME: &'static str = "noting";
        type Error = Refused;

        async fn run(&self, changes: &[&ChangeRecord]) -> Vec<Result<(), Refused>> {
            tokio::time::sleep(self.pause).await;
            let mut seen = self.seen.lock().unwrap();
            changes
                .iter()
                .map(|change| {
                    let kind = change.kind.event_type();
                    seen.push(format!("{} {kind}", self.label));
                    if self.fails == Some(kind) {
                        Err(Refused)
                    } else {
                        Ok(())
                    }
                })
                .collect()
        }
    }

    /// The sample batch: one item created, updated, deleted.
    fn sample_batch() -> Event {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/stream-batch.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Three noting steps, the second failing `fails` changes, each call taking `pause`.
    fn noting_processor(
        fails: Option<&'static str>,
        pause: Duration,
        seen: &Arc<Mutex<Vec<String>>>,
    ) -> Processor {
        let step = |label, fails| Noting {
            label,
            fails,
            pause,
            seen: seen.clone(),
        };
        // Never called: every record of the sample decodes.
        let unused_s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .build(),
        );
        Processor::new(
            Steps::default()
                .then(step("first", None))
                .then(step("second", fails))
                .then(step("third", None)),
            Quarantine::new(unused_s3, "unused"),
        )
    }

    fn reported(response: &DynamoDbEventResponse) -> Vec<Option<String>> {
        let failures = response.batch_item_failures.iter();
        failures.map(|f| f.item_identifier.clone()).collect()
    }

    #[tokio::test]
    async fn a_failing_step_stops_its_change_and_the_later_ones_of_its_item() {
        let event = sample_batch();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let processor = noting_processor(Some("updated"), Duration::ZERO, &seen);

        let response = processor.process(&event.records).await;

        let failed = reported(&response);
        assert_eq!(failed, [event.records[1].change.sequence_number.clone()]);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "first created",
                "second created",
                "third created",
                "first updated",
                "second updated",
            ],
            "steps in list order, the update only after the create went through all of them, \
             nothing after the failure"
        );
    }

    #[tokio::test]
    async fn a_step_still_running_at_the_answer_time_is_abandoned_and_reported() {
        let event = sample_batch();
        let seen = Arc::new(Mutex::new(Vec::new()));
        // Each call takes 1 s: the first step finishes, the second is running at 1.5 s.
        let processor = noting_processor(None, Duration::from_secs(1), &seen);

        let started = Instant::now();
        let answer_by = started + Duration::from_millis(1_500);
        let response = processor
            .process_until(&event.records, Some(answer_by))
            .await;

        assert!(
            started.elapsed() < Duration::from_millis(2_400),
            "answered by then"
        );
        assert_eq!(
            reported(&response),
            [event.records[0].change.sequence_number.clone()],
            "Lambda delivers again from the first change not done"
        );
        assert_eq!(*seen.lock().unwrap(), ["first created"]);
    }

    #[tokio::test]
    async fn no_wave_starts_after_the_answer_time_and_the_rest_is_reported() {
        let event = sample_batch();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let processor = noting_processor(None, Duration::ZERO, &seen);

        let too_late = processor
            .process_until(&event.records, Some(Instant::now()))
            .await;

        assert_eq!(
            reported(&too_late),
            [event.records[0].change.sequence_number.clone()]
        );
        assert!(seen.lock().unwrap().is_empty());
        let mut queues = ItemQueues::new(&event.records);
        queues.leave_the_rest();
        let left = queues.into_failures();
        assert_eq!(
            (left.left, left.failed.len(), left.skipped),
            (Some(crate::item_queues::Left { first: 0, count: 3 }), 0, 0),
            "left, not failed or skipped"
        );
    }
}
