//! Stream-processor throughput: a burst of changes written straight to the table, timed
//! until every one is archived and notified (the processor publishes a change's notification
//! only after its archive object is written).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use devstack::{FunctionHost, Moto};
use serde_json::{Value, json};
use tokio::task::JoinSet;

pub struct Throughput {
    pub changes: usize,
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
        self.changes as f64 / self.elapsed.as_secs_f64()
    }

    pub fn json(&self) -> Value {
        json!({
            "changes": self.changes,
            "seconds": self.elapsed.as_secs_f64(),
            "records_per_second": self.per_second(),
            "invocations": self.invocations,
            "in_function_seconds": self.in_function.as_secs_f64(),
            "cpu_seconds": self.cpu.as_secs_f64(),
        })
    }
}

/// Writes `changes` copies of `template_item` (a real item the API created) under new ids,
/// and waits until moto has seen a notification for each.
pub async fn measure(
    dynamodb: &Client,
    table: &str,
    template_item: std::collections::HashMap<String, AttributeValue>,
    moto: &Moto,
    processor: &FunctionHost,
    changes: usize,
) -> Result<Throughput, String> {
    let already = notifications(moto).await?;
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
    let deadline = Duration::from_secs(300);
    loop {
        let done = notifications(moto).await? - already;
        if done >= changes {
            let elapsed = started.elapsed();
            let times = processor.take_function_times();
            let cpu_after =
                crate::process::cpu_time(pid).ok_or("cannot read the processor's CPU time")?;
            return Ok(Throughput {
                changes,
                elapsed,
                invocations: times.len(),
                in_function: times.iter().sum(),
                cpu: cpu_after.saturating_sub(cpu_before),
            });
        }
        if started.elapsed() > deadline {
            return Err(format!(
                "only {done} of {changes} changes notified after {deadline:?}"
            ));
        }
        // Each poll has moto serialise every notification so far: poll gently, or the
        // polling itself slows the moto the processor is waiting on.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn notifications(moto: &Moto) -> Result<usize, String> {
    Ok(moto
        .sent_notifications()
        .await
        .map_err(|e| format!("moto: {e}"))?
        .len())
}
