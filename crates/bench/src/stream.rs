//! Stream-processor throughput: a burst of changes written straight to the table, timed
//! until every one is archived and notified (the processor publishes a change's notification
//! only after its archive object is written).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use devstack::Moto;
use serde_json::{Value, json};
use tokio::task::JoinSet;

pub struct Throughput {
    pub changes: usize,
    pub elapsed: Duration,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.changes as f64 / self.elapsed.as_secs_f64()
    }

    pub fn json(&self) -> Value {
        json!({ "changes": self.changes, "seconds": self.elapsed.as_secs_f64(), "records_per_second": self.per_second() })
    }
}

/// Writes `changes` copies of `template_item` (a real item the API created) under new ids,
/// and waits until moto has seen a notification for each.
pub async fn measure(
    dynamodb: &Client,
    table: &str,
    template_item: std::collections::HashMap<String, AttributeValue>,
    moto: &Moto,
    changes: usize,
) -> Result<Throughput, String> {
    let already = notifications(moto).await?;
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
            return Ok(Throughput {
                changes,
                elapsed: started.elapsed(),
            });
        }
        if started.elapsed() > deadline {
            return Err(format!(
                "only {done} of {changes} changes notified after {deadline:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn notifications(moto: &Moto) -> Result<usize, String> {
    Ok(moto
        .sent_notifications()
        .await
        .map_err(|e| format!("moto: {e}"))?
        .len())
}
