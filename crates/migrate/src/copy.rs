//! The copy itself: one task per scan segment (parallel Scan, `Segment`/`TotalSegments`),
//! each reading its pages in order and putting a page's items with many writes in flight
//! while it reads the next page. A put never overwrites: `attribute_not_exists(id)`, and on
//! a condition failure the item found is compared with the one that would have been
//! written. A page is recorded in the checkpoint once all its writes completed; a page with
//! a failed write is not, and its segment stops (a rerun tries the page again).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::put_item::PutItemError,
    types::ReturnValuesOnConditionCheckFailure,
};
use futures::{StreamExt, stream};
use indicatif::ProgressBar;
use items_api::store::attributes::AttributeMap;

use crate::{
    checkpoint::{Checkpoint, CheckpointError, ScanKey, from_saved, to_saved},
    dry_run,
    normalise::{Normalised, normalise},
    tally::{Failure, Tally},
};

/// Items per Scan page: the unit of a checkpoint (pages are also capped at 1 MB).
pub const PAGE_SIZE: i32 = 500;

pub struct Migration {
    pub client: Client,
    pub from_table: String,
    pub to_table: String,
    pub segments: u32,
    /// Writes (or, with `--dry-run`, reads) in flight per segment.
    pub in_flight: usize,
    /// `None` with `--dry-run`: nothing is written, not even the checkpoint.
    pub checkpoint: Option<(Mutex<Checkpoint>, PathBuf)>,
    pub progress: ProgressBar,
    /// This run's counts so far, for the progress bar's message.
    pub live: Mutex<Tally>,
}

/// What one segment did in this run.
#[derive(Debug, Default)]
pub struct SegmentRun {
    pub tally: Tally,
    /// Why the segment stopped before its end (a scan or checkpoint error, failed writes).
    pub error: Option<String>,
}

/// One item's outcome.
pub(crate) enum Outcome {
    Copied,
    Identical,
    Different(String),
    Failed(Failure),
}

impl Migration {
    pub(crate) fn dry_run(&self) -> bool {
        self.checkpoint.is_none()
    }

    /// Runs every segment not done yet; returns what each did in this run.
    pub async fn run(self: Arc<Self>) -> Vec<SegmentRun> {
        let starts: Vec<Option<Result<Option<ScanKey>, CheckpointError>>> = (0..self.segments)
            .map(|segment| self.start_of(segment))
            .collect();
        let runs = starts
            .into_iter()
            .enumerate()
            .map(|(segment, start)| {
                let copy = self.clone();
                tokio::spawn(async move {
                    match start {
                        None => SegmentRun::default(),
                        Some(Err(error)) => SegmentRun {
                            tally: Tally::default(),
                            error: Some(error.to_string()),
                        },
                        Some(Ok(key)) => copy.segment(segment as u32, key).await,
                    }
                })
            })
            .collect::<Vec<_>>();
        let mut done = Vec::new();
        for run in runs {
            done.push(run.await.unwrap_or_else(|panic| SegmentRun {
                tally: Tally::default(),
                error: Some(format!("segment task failed: {panic}")),
            }));
        }
        done
    }

    /// Where `segment` starts: `None` when the checkpoint says it is done.
    fn start_of(&self, segment: u32) -> Option<Result<Option<ScanKey>, CheckpointError>> {
        let Some((checkpoint, _)) = &self.checkpoint else {
            return Some(Ok(None));
        };
        let checkpoint = checkpoint.lock().unwrap();
        let progress = &checkpoint.segments[segment as usize];
        if progress.done {
            return None;
        }
        Some(progress.next_key.as_ref().map(from_saved).transpose())
    }

    async fn segment(&self, segment: u32, start: Option<ScanKey>) -> SegmentRun {
        let mut run = SegmentRun::default();
        let mut page = self.scan(segment, start).await;
        loop {
            let (items, last_key) = match page {
                Ok(page) => page,
                Err(error) => {
                    run.error = Some(format!("segment {segment}: {error}"));
                    return run;
                }
            };
            // The next page is read while this page's writes are in flight.
            let next = async {
                match &last_key {
                    Some(key) => Some(self.scan(segment, Some(key.clone())).await),
                    None => None,
                }
            };
            let (tally, next) = tokio::join!(self.page(items), next);
            run.tally.add(&tally);
            if !tally.failed.is_empty() {
                let failed = tally.failed.len();
                run.error = Some(format!(
                    "segment {segment}: {failed} write(s) failed; the page is not recorded"
                ));
                return run;
            }
            if let Err(error) = self.record(segment, last_key.as_ref(), &tally) {
                run.error = Some(format!("segment {segment}: {error}"));
                return run;
            }
            match next {
                Some(next) => page = next,
                None => return run,
            }
        }
    }

    /// One Scan page of `segment`: its items and the key to continue after (none at the end).
    async fn scan(
        &self,
        segment: u32,
        start: Option<ScanKey>,
    ) -> Result<(Vec<AttributeMap>, Option<ScanKey>), String> {
        let output = self
            .client
            .scan()
            .table_name(&self.from_table)
            .segment(segment as i32)
            .total_segments(self.segments as i32)
            .limit(PAGE_SIZE)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|error| format!("Scan of {}: {}", self.from_table, describe(&error)))?;
        Ok((
            output.items.unwrap_or_default(),
            output.last_evaluated_key.filter(|key| !key.is_empty()),
        ))
    }

    /// Normalises and writes (or with `--dry-run`, looks up) one page's items.
    async fn page(&self, items: Vec<AttributeMap>) -> Tally {
        let mut tally = Tally {
            scanned: items.len() as u64,
            ..Tally::default()
        };
        let mut ready = Vec::new();
        for stored in items {
            let id = stored.get("id").and_then(|id| id.as_s().ok()).cloned();
            match normalise(stored) {
                Ok(Normalised::Ready { id, attributes }) => ready.push((id, attributes)),
                Ok(Normalised::Skipped(skipped)) => tally.skipped.push(skipped),
                Err(error) => tally.failed.push(Failure { id, error }),
            }
        }
        self.progress
            .inc((tally.skipped.len() + tally.failed.len()) as u64);
        let outcomes: Vec<Outcome> = if self.dry_run() {
            dry_run::look_up(self, ready).await
        } else {
            stream::iter(ready)
                .map(|(id, attributes)| self.put(id, attributes))
                .buffer_unordered(self.in_flight)
                .collect()
                .await
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Copied => tally.copied += 1,
                Outcome::Identical => tally.already_identical += 1,
                Outcome::Different(id) => tally.already_different.push(id),
                Outcome::Failed(failure) => tally.failed.push(failure),
            }
        }
        self.show(&tally);
        tally
    }

    async fn put(&self, id: String, attributes: AttributeMap) -> Outcome {
        let result = self
            .client
            .put_item()
            .table_name(&self.to_table)
            .set_item(Some(attributes.clone()))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", "id")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        self.progress.inc(1);
        match result {
            Ok(_) => Outcome::Copied,
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    Outcome::found(id, failed.item.as_ref(), &attributes)
                }
                _ => Outcome::Failed(Failure {
                    id: Some(id),
                    error: format!("PutItem: {}", describe(&error)),
                }),
            },
        }
    }

    /// Records a page whose writes all completed: the segment continues after `last_key`.
    fn record(
        &self,
        segment: u32,
        last_key: Option<&ScanKey>,
        tally: &Tally,
    ) -> Result<(), CheckpointError> {
        let Some((checkpoint, path)) = &self.checkpoint else {
            return Ok(());
        };
        let next_key = last_key.map(to_saved).transpose()?;
        let mut checkpoint = checkpoint.lock().unwrap();
        let progress = &mut checkpoint.segments[segment as usize];
        progress.tally.add(tally);
        progress.done = next_key.is_none();
        progress.next_key = next_key;
        checkpoint.save(path)
    }

    fn show(&self, page: &Tally) {
        let mut live = self.live.lock().unwrap();
        live.add(page);
        self.progress.set_message(format!(
            "{} {}, {} already there, {} skipped, {} failed",
            live.copied,
            if self.dry_run() { "to copy" } else { "copied" },
            live.already_present(),
            live.skipped.len(),
            live.failed.len()
        ));
    }
}

impl Outcome {
    /// The target holds `id` already (`found`, when DynamoDB returned it).
    pub(crate) fn found(id: String, found: Option<&AttributeMap>, ours: &AttributeMap) -> Self {
        if found == Some(ours) {
            Outcome::Identical
        } else {
            Outcome::Different(id)
        }
    }
}

/// An SDK error as one line: the service's code and message, or what went wrong on the way.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}
