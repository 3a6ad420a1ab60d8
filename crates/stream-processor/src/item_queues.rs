//! Per-item order: each item's records queue up in stream order, and the processor takes
//! them in waves, the next record of every item at a time. A failure stops its item for the
//! rest of the batch (its later records are skipped, not lost: Lambda re-delivers from the
//! first failure), so a later change of an item never goes through a step before an earlier
//! one went through all of them.

use std::collections::{BTreeMap, HashMap, VecDeque};

use aws_lambda_events::dynamodb::EventRecord;
use domain::ItemId;

use crate::{
    record::{self, ChangeRecord, Poison},
    steps::StepError,
};

/// Where a record is: its position in the batch and its item's queue.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    pub index: usize,
    queue: usize,
}

/// A decoded record on its way through the steps.
pub struct Queued {
    pub at: Position,
    pub record: ChangeRecord,
}

/// A record that can never be processed, on its way to the quarantine.
pub struct Poisoned {
    pub at: Position,
    pub reason: Poison,
}

/// The next record of every item still going, in batch order.
#[derive(Default)]
pub struct Wave {
    pub changes: Vec<Queued>,
    pub poisoned: Vec<Poisoned>,
}

impl Wave {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.poisoned.is_empty()
    }
}

/// The records of one batch, queued per item, and what failed so far.
#[derive(Default)]
pub struct ItemQueues {
    queues: Vec<VecDeque<(usize, Result<ChangeRecord, Poison>)>>,
    by_item: HashMap<ItemId, usize>,
    /// Record index → why it failed.
    failed: BTreeMap<usize, StepError>,
    skipped: usize,
    left: Option<Left>,
}

/// The records a batch left for the next delivery, not started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Left {
    /// The lowest index among them.
    pub first: usize,
    pub count: usize,
}

/// What a batch left undone.
pub struct Failures {
    /// Record index → why it failed, lowest index first.
    pub failed: BTreeMap<usize, StepError>,
    /// Records not attempted because an earlier record of their item failed.
    pub skipped: usize,
    /// Records not started because the invocation's deadline was near.
    pub left: Option<Left>,
}

impl ItemQueues {
    /// Decodes the batch; records whose keys hold no item id form queues of their own (they
    /// cannot be tied to an item).
    pub fn new(records: &[EventRecord]) -> Self {
        let mut queues = Self::default();
        for (index, event_record) in records.iter().enumerate() {
            let decoded = record::decode(event_record);
            let item = match &decoded {
                Ok(record) => Some(record.item_id.clone()),
                Err(_) => record::item_id(event_record),
            };
            let pending = (index, decoded);
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

    /// The next record of every item still going, in batch order. Empty once every queue is.
    pub fn next_wave(&mut self) -> Wave {
        let mut wave = Wave::default();
        for queue in 0..self.queues.len() {
            match self.queues[queue].pop_front() {
                Some((index, Ok(record))) => wave.changes.push(Queued {
                    at: Position { index, queue },
                    record,
                }),
                Some((index, Err(reason))) => wave.poisoned.push(Poisoned {
                    at: Position { index, queue },
                    reason,
                }),
                None => {}
            }
        }
        wave.changes.sort_by_key(|queued| queued.at.index);
        wave.poisoned.sort_by_key(|poisoned| poisoned.at.index);
        wave
    }

    /// Marks a record failed and stops its item.
    pub fn fail(&mut self, at: Position, error: StepError) {
        self.failed.insert(at.index, error);
        self.skipped += self.queues[at.queue].len();
        self.queues[at.queue].clear();
    }

    /// Leaves every record not yet started for Lambda to deliver again.
    pub fn leave_the_rest(&mut self) {
        for queue in &mut self.queues {
            let Some(&(index, _)) = queue.front() else {
                continue;
            };
            let left = self.left.get_or_insert(Left {
                first: index,
                count: 0,
            });
            left.first = left.first.min(index);
            left.count += queue.len();
            queue.clear();
        }
    }

    pub fn into_failures(self) -> Failures {
        Failures {
            failed: self.failed,
            skipped: self.skipped,
            left: self.left,
        }
    }
}
