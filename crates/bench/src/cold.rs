//! Cold starts: a fresh process per run, timed the way Lambda's REPORT line times them.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};

use crate::{stats::Summary, subject::Subject, timings::Timings};

pub struct ColdStarts {
    /// Spawn → the process's first `GET …/invocation/next`.
    pub init: Summary,
    /// Spawn → the process's first posted response.
    pub first_response: Summary,
    /// The status codes of the first responses (a cold start that fails is no cold start).
    pub statuses: Vec<u64>,
}

impl ColdStarts {
    pub fn json(&self) -> Value {
        json!({ "init": self.init.json(), "first_response": self.first_response.json(), "statuses": self.statuses })
    }
}

/// Starts `subject` `runs` times, each time sending `event` as the first invocation.
pub async fn measure(
    subject: &Subject,
    event: &Value,
    runs: usize,
    timings: &Arc<Timings>,
) -> Result<ColdStarts, String> {
    let mut init = Vec::with_capacity(runs);
    let mut first_response = Vec::with_capacity(runs);
    let mut statuses = Vec::with_capacity(runs);
    for _ in 0..runs {
        let host = subject.start(timings).await?;
        let answer = host.invoke(event.clone()).await;
        let process = timings.process(&subject.name);
        host.stop();
        let answer = answer.map_err(|e| format!("{}: cold invocation: {e}", subject.name))?;
        statuses.push(answer["statusCode"].as_u64().unwrap_or(0));
        init.push(process.init.ok_or("no init time")?);
        first_response.push(process.first_response.ok_or("no first response time")?);
        // Let the killed process go before the next spawn, so runs do not overlap.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(ColdStarts {
        init: Summary::of(&init),
        first_response: Summary::of(&first_response),
        statuses,
    })
}
