//! Cold starts: a fresh process per run, timed the way Lambda's REPORT line times them.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};

use crate::{
    stats::Summary,
    subject::{Emulation, Subject},
    timings::Timings,
};

pub struct ColdStarts {
    /// Spawn → the process's first `GET …/invocation/next`.
    pub init: Summary,
    /// The CPU the process used in its init: how much of `init` is its own work, the rest
    /// being waits (the connection opened in init, the Runtime API).
    pub init_cpu: Summary,
    /// Spawn → the process's first posted response.
    pub first_response: Summary,
    /// The first `next` → the first posted response: the first request after init.
    pub first_request: Summary,
    /// The status codes of the first responses (a cold start that fails is no cold start).
    pub statuses: Vec<u64>,
    /// Runs whose process was under its CPU cap when it answered, and the periods its cap
    /// held it back, summed.
    pub capped_runs: usize,
    pub throttled_periods: u64,
}

impl ColdStarts {
    pub fn json(&self) -> Value {
        json!({
            "init": self.init.json(),
            "init_cpu": self.init_cpu.json(),
            "first_response": self.first_response.json(),
            "first_request_after_init": self.first_request.json(),
            "statuses": self.statuses,
            "capped_runs": self.capped_runs,
            "throttled_periods": self.throttled_periods,
        })
    }
}

/// Starts `subject` `runs` times, each time sending `event` as the first invocation.
pub async fn measure(
    subject: &Subject,
    emulation: Emulation,
    event: &Value,
    runs: usize,
    timings: &Arc<Timings>,
) -> Result<ColdStarts, String> {
    let mut init = Vec::with_capacity(runs);
    let mut init_cpu = Vec::with_capacity(runs);
    let mut first_response = Vec::with_capacity(runs);
    let mut first_request = Vec::with_capacity(runs);
    let mut statuses = Vec::with_capacity(runs);
    let (mut capped_runs, mut throttled_periods) = (0, 0);
    for _ in 0..runs {
        let host = subject.start(timings, emulation).await?;
        let answer = host.invoke(event.clone()).await;
        let throttling = host.cpu_throttling().await;
        let process = timings.process(&subject.name);
        host.stop();
        let answer = answer.map_err(|e| format!("{}: cold invocation: {e}", subject.name))?;
        statuses.push(answer["statusCode"].as_u64().unwrap_or(0));
        let (ready, answered) = process
            .init
            .zip(process.first_response)
            .ok_or("no init or first response time")?;
        init.push(ready);
        init_cpu.extend(process.init_cpu);
        first_response.push(answered);
        first_request.push(answered.saturating_sub(ready));
        if let Some(throttling) = throttling {
            capped_runs += 1;
            throttled_periods += throttling.throttled_periods;
        }
        // Let the killed process go before the next spawn, so runs do not overlap.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(ColdStarts {
        init: Summary::of(&init),
        init_cpu: Summary::of(&init_cpu),
        first_response: Summary::of(&first_response),
        first_request: Summary::of(&first_request),
        statuses,
        capped_runs,
        throttled_periods,
    })
}
