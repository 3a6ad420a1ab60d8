//! Cold starts: a fresh process per run, timed the way Lambda's REPORT line times them.

use std::time::Duration;

use devstack::FunctionHost;
use serde_json::{Value, json};

use crate::{stats::Summary, subject::Subject};

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
pub async fn measure(subject: &Subject, event: &Value, runs: usize) -> Result<ColdStarts, String> {
    let mut init = Vec::with_capacity(runs);
    let mut first_response = Vec::with_capacity(runs);
    let mut statuses = Vec::with_capacity(runs);
    for _ in 0..runs {
        let host = FunctionHost::start(subject.config())
            .await
            .map_err(|e| format!("{}: {e}", subject.name))?;
        let answer = host.invoke(event.clone()).await;
        let timings = host.process_timings();
        host.stop();
        let answer = answer.map_err(|e| format!("{}: cold invocation: {e}", subject.name))?;
        statuses.push(answer["statusCode"].as_u64().unwrap_or(0));
        init.push(timings.init.ok_or("no init time")?);
        first_response.push(timings.first_response.ok_or("no first response time")?);
        // Let the killed process go before the next spawn, so runs do not overlap.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(ColdStarts {
        init: Summary::of(&init),
        first_response: Summary::of(&first_response),
        statuses,
    })
}
