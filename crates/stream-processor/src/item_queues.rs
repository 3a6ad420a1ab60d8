//! Per-item order: each item's records queue up in stream order, and the processor takes
//! them in waves, the next record of every item at a time. A failure stops its item for the
//! rest of the batch (its later records are skipped, not lost: Lambda re-delivers from the
//! first failure), so a later change of an item never goes through a step before an earlier
//! one went through all of them.

use std::collections::{BTreeMap, HashMap, VecDeque};

use aws_lambda_events::dynamodb::EventRecord;
use domain::ItemId;

use crate::{
    record::{self, ChangeRecord},
    steps::StepError,
};

/// A decoded record on its way through the steps.
pub struct Queued {
    /// Its position in the batch.
    pub index: usize,
    pub record: ChangeRecord,
}

/// The records of one batch, queued per item, and what failed so far.
#[derive(Default)]
pub struct ItemQueues {
    queues: Vec<VecDeque<(usize, Result<ChangeRecord, StepError>)>>,
    by_item: HashMap<ItemId, usize>,
    /// Record index → why it failed.
    failed: BTreeMap<usize, StepError>,
    skipped: usize,
}

/// What a batch left undone.
pub struct Failures {
    /// Record index → why it failed, lowest index first.
    pub failed: BTreeMap<usize, StepError>,
    /// Records not attempted because an earlier record of their item failed.
    pub skipped: usize,
}

impl ItemQueues {
    /// Decodes the batch; records whose keys do not decode form queues of their own (they
    /// cannot be tied to an item).
    pub fn new(records: &[EventRecord]) -> Self {
        let mut queues = Self::default();
        for (index, event_record) in records.iter().enumerate() {
            let decoded = record::decode(event_record);
            let item = match &decoded {
                Ok(record) => Some(record.change.item_id()),
                Err(_) => record::item_id(event_record),
            };
            let pending = (index, decoded.map_err(|e| StepError::new("decode", e)));
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

    /// The next record of every item still going, in batch order; a record that did not
    /// decode fails on the spot and stops its item. Empty once every queue is.
    pub fn next_wave(&mut self) -> Vec<Queued> {
        let mut wave = Vec::new();
        for q in 0..self.queues.len() {
            match self.queues[q].pop_front() {
                Some((index, Ok(record))) => wave.push(Queued { index, record }),
                Some((index, Err(error))) => self.stop(q, index, error),
                None => {}
            }
        }
        wave.sort_by_key(|queued| queued.index);
        wave
    }

    /// Marks a record failed and stops its item.
    pub fn fail(&mut self, failed: Queued, error: StepError) {
        let q = self.by_item[&failed.record.change.item_id()];
        self.stop(q, failed.index, error);
    }

    fn stop(&mut self, q: usize, index: usize, error: StepError) {
        self.failed.insert(index, error);
        self.skipped += self.queues[q].len();
        self.queues[q].clear();
    }

    pub fn into_failures(self) -> Failures {
        Failures {
            failed: self.failed,
            skipped: self.skipped,
        }
    }
}
