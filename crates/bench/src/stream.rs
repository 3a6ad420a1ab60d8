//! Stream-processor throughput: a burst of changes written straight to the table, timed
//! until the stream's event source mapping has had every change processed: a record counts
//! once an invocation holding it answered without reporting it or an earlier record failed,
//! and the processor answers so only after the change's archive object is written and its
//! notification published. Checked at the end against moto's own record of the
//! notifications. The topic keeps the SQS inbox `scripts/dev` subscribes to it, so every
//! notification is also delivered to a queue, as to a subscriber on AWS (moto's own sends
//! slowed down with the queue's length until devstack's `moto/server.py` fixed them).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use devstack::{LocalStack, Throttling};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::timings::Timings;

pub struct Throughput {
    pub changes: usize,
    /// Changes the processor finished (fewer when it gave some up).
    pub notified: usize,
    pub elapsed: Duration,
    pub invocations: usize,
    /// Summed over the invocations: how much of `elapsed` the processor was working (most
    /// of it waiting for S3 and SNS).
    pub in_function: Duration,
    /// user + sys of the processor's process over the burst.
    pub cpu: Duration,
    /// What the processor's CPU cap counted by the end of the burst (`None`: uncapped).
    pub throttling: Option<Throttling>,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.notified as f64 / self.elapsed.as_secs_f64()
    }

    pub fn json(&self) -> Value {
        json!({
            "changes": self.changes,
            "notified": self.notified,
            "seconds": self.elapsed.as_secs_f64(),
            "records_per_second": self.per_second(),
            "invocations": self.invocations,
            "in_function_seconds": self.in_function.as_secs_f64(),
            "cpu_seconds": self.cpu.as_secs_f64(),
            "cpu_throttled_periods": self.throttling.map(|t| t.throttled_periods),
            "cpu_periods": self.throttling.map(|t| t.periods),
        })
    }
}

/// No record finished for this long: the processor gave the rest up (retries exhausted).
const STALLED: Duration = Duration::from_secs(30);

/// Writes `changes` copies of `template_item` (a real item the API created) under new ids,
/// and waits until the function `processor` has finished each, or stops making progress.
pub async fn measure(
    stack: &LocalStack,
    table: &str,
    template_item: std::collections::HashMap<String, AttributeValue>,
    processor: &str,
    timings: &Timings,
    changes: usize,
) -> Result<Throughput, String> {
    let host = stack
        .functions
        .iter()
        .find(|f| f.name() == processor)
        .ok_or("no stream-processor on the stack")?;
    let clients = stack.clients();
    let dynamodb = &clients.dynamodb;
    let deliveries_before = stack.stream_deliveries().len();
    let notifications_before = notifications(stack).await?;
    timings.take_in_function(processor);
    let pid = timings
        .process(processor)
        .pid
        .ok_or("no stream-processor process")?;
    let cpu_before = crate::process::cpu_time(pid).ok_or("cannot read the processor's CPU time")?;
    let started = Instant::now();
    let mut writers = JoinSet::new();
    const WRITERS: usize = 16;
    for writer in 0..WRITERS {
        let (dynamodb, table, template_item) =
            (dynamodb.clone(), table.to_string(), template_item.clone());
        writers.spawn(async move {
            for _ in (writer..changes).step_by(WRITERS) {
                let mut item = template_item.clone();
                item.insert(
                    "id".into(),
                    AttributeValue::S(uuid::Uuid::new_v4().to_string()),
                );
                dynamodb
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(item))
                    .send()
                    .await
                    .map_err(|e| format!("put_item: {e:?}"))?;
            }
            Ok::<_, String>(())
        });
    }
    while let Some(written) = writers.join_next().await {
        written.map_err(|e| e.to_string())??;
    }
    let (mut last_count, mut last_progress) = (0, Instant::now());
    loop {
        let (done, finished_at) = finished(stack, deliveries_before);
        if done > last_count {
            (last_count, last_progress) = (done, finished_at.unwrap_or_else(Instant::now));
        }
        if done >= changes || last_progress.elapsed() > STALLED {
            let elapsed = last_progress - started;
            let times = timings.take_in_function(processor);
            let cpu_after =
                crate::process::cpu_time(pid).ok_or("cannot read the processor's CPU time")?;
            let published = notifications(stack).await? - notifications_before;
            if published < done {
                return Err(format!(
                    "the processor finished {done} changes but moto saw {published} notifications"
                ));
            }
            return Ok(Throughput {
                changes,
                notified: done.min(changes),
                elapsed,
                invocations: times.len(),
                in_function: times.iter().sum(),
                cpu: cpu_after.saturating_sub(cpu_before),
                throttling: host.cpu_throttling().await,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Distinct records the mapping's invocations (after the first `skip`) finished, and when
/// the last of them finished.
fn finished(stack: &LocalStack, skip: usize) -> (usize, Option<Instant>) {
    let mut records = HashSet::new();
    let mut last = None;
    for delivery in stack.stream_deliveries().into_iter().skip(skip) {
        if delivery.function_error.is_some() {
            continue;
        }
        let first_failed = delivery.reported_failures.first();
        for sequence_number in &delivery.sequence_numbers {
            if Some(sequence_number) == first_failed {
                break;
            }
            if records.insert(sequence_number.clone()) {
                last = Some(delivery.finished);
            }
        }
    }
    (records.len(), last)
}

/// Notifications moto has published so far (read once before and once after the burst).
async fn notifications(stack: &LocalStack) -> Result<usize, String> {
    stack
        .sent_notifications()
        .await
        .map(|sent| sent.len())
        .map_err(|e| format!("moto: {e}"))
}
