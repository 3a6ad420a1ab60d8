//! Stream-processor throughput: a burst of changes written straight to the table, timed
//! until every one is archived and notified (the processor publishes a change's notification
//! only after its archive object is written). Notifications are counted in the SQS queue
//! subscribed to the topic: a constant-time question to moto, where listing every
//! notification keeps moto busy for seconds and slows the processor it serves.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use devstack::FunctionHost;
use serde_json::{Value, json};
use tokio::task::JoinSet;

pub struct Throughput {
    pub changes: usize,
    /// Changes whose notification arrived (fewer when the processor gave some up).
    pub notified: usize,
    pub elapsed: Duration,
    pub invocations: usize,
    /// Summed over the invocations: how much of `elapsed` the processor was working (most
    /// of it waiting for S3 and SNS).
    pub in_function: Duration,
    /// user + sys of the processor's process over the burst.
    pub cpu: Duration,
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
        })
    }
}

/// The queue subscribed to the notifications topic.
pub struct Inbox<'a> {
    pub sqs: &'a aws_sdk_sqs::Client,
    pub url: &'a str,
}

/// No new notification for this long: the processor gave the rest up (retries exhausted).
const STALLED: Duration = Duration::from_secs(30);

/// Writes `changes` copies of `template_item` (a real item the API created) under new ids,
/// and waits until the inbox has a notification for each, or stops growing.
pub async fn measure(
    dynamodb: &Client,
    table: &str,
    template_item: std::collections::HashMap<String, AttributeValue>,
    inbox: Inbox<'_>,
    processor: &FunctionHost,
    changes: usize,
) -> Result<Throughput, String> {
    let already = notifications(&inbox).await?;
    processor.take_function_times();
    let pid = processor
        .process_timings()
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
        let done = notifications(&inbox).await?.saturating_sub(already);
        if done > last_count {
            (last_count, last_progress) = (done, Instant::now());
        }
        if done >= changes || last_progress.elapsed() > STALLED {
            let elapsed = last_progress - started;
            let times = processor.take_function_times();
            let cpu_after =
                crate::process::cpu_time(pid).ok_or("cannot read the processor's CPU time")?;
            return Ok(Throughput {
                changes,
                notified: done.min(changes),
                elapsed,
                invocations: times.len(),
                in_function: times.iter().sum(),
                cpu: cpu_after.saturating_sub(cpu_before),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn notifications(inbox: &Inbox<'_>) -> Result<usize, String> {
    let count = aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let attributes = inbox
        .sqs
        .get_queue_attributes()
        .queue_url(inbox.url)
        .attribute_names(count.clone())
        .send()
        .await
        .map_err(|e| format!("SQS: {e:?}"))?;
    attributes
        .attributes()
        .and_then(|attributes| attributes.get(&count))
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| "SQS: no message count".to_string())
}
