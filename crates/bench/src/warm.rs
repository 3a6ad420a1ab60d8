//! Warm latency through the local API Gateway, one client in a closed loop over a mix of all
//! five routes, with the time each request spent inside the function (what Lambda bills),
//! the function process's CPU time and peak memory, and what its CPU cap counted.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use devstack::{ApiDefinition, LocalGateway, Throttling, http};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::{
    cost, process,
    stats::Summary,
    subject::{Emulation, Subject},
    timings::Timings,
};

/// `GET /items/{id}` in [`ROUTES`], the request the cold starts make.
pub const GET_ROUTE: usize = 1;

/// The routes in the order of one create → read → list → update → delete cycle.
pub const ROUTES: [&str; 5] = [
    "POST /items",
    "GET /items/{id}",
    "GET /items",
    "PUT /items/{id}",
    "DELETE /items/{id}",
];

pub struct Warm {
    pub per_route: Vec<(&'static str, Summary)>,
    pub all: Summary,
    /// Of each request, the time inside the function (event handed out → result posted).
    pub in_function: Summary,
    /// The same per route.
    pub in_function_per_route: Vec<Summary>,
    /// Lambda's billed duration of the mean request (ms, each rounded up to 1 ms).
    pub billed_ms: f64,
    pub cpu_ms_per_1000: f64,
    pub peak_rss_mib: f64,
    pub statuses: BTreeMap<u16, usize>,
    /// What the process's CPU cap counted over the run (`None`: it ran uncapped).
    pub throttling: Option<Throttling>,
}

impl Warm {
    pub fn json(&self) -> Value {
        let routes: serde_json::Map<String, Value> = self
            .per_route
            .iter()
            .zip(&self.in_function_per_route)
            .map(|((route, summary), inside)| {
                let summary = json!({"gateway": summary.json(), "in_function": inside.json()});
                (route.to_string(), summary)
            })
            .collect();
        json!({
            "routes": routes,
            "all": self.all.json(),
            "in_function": self.in_function.json(),
            "billed_ms_mean": self.billed_ms,
            "cpu_throttling": self.throttling.map(|t| json!({
                "quota_us": t.quota_us,
                "period_us": t.period_us,
                "periods": t.periods,
                "throttled_periods": t.throttled_periods,
                "throttled_ms": t.throttled.as_secs_f64() * 1000.0,
            })),
            "cpu_ms_per_1000_requests": self.cpu_ms_per_1000,
            "peak_rss_mib": self.peak_rss_mib,
            "statuses": self.statuses,
        })
    }
}

pub struct Client {
    base: String,
    api_key: String,
    /// The function's name, to read each request's time inside it.
    function: String,
    timings: Arc<Timings>,
}

/// One request of a cycle: its route, latency through the gateway, time inside the
/// function, status.
struct Sample {
    route: usize,
    latency: Duration,
    in_function: Duration,
    status: u16,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<(http::HttpResponse, Duration), String> {
        let url = format!("{}{path}", self.base);
        let started = Instant::now();
        let response = http::request(
            method,
            &url,
            &[("x-api-key", &self.api_key)],
            body.as_bytes(),
        )
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
        Ok((response, started.elapsed()))
    }

    /// The time inside the function of the one request just answered (the client waits for
    /// each answer, so there is exactly one).
    fn inside(&self) -> Duration {
        self.timings.take_in_function(&self.function).iter().sum()
    }

    /// One create → read → list → update → delete cycle.
    async fn cycle(&self) -> Result<Vec<Sample>, String> {
        let (created, elapsed) = self
            .send(
                "POST",
                "/items",
                r#"{"name":"Bench item","email":"bench@example.com","attributes":{"color":"blue"}}"#,
            )
            .await?;
        let mut results = vec![Sample {
            route: 0,
            latency: elapsed,
            in_function: self.inside(),
            status: created.status,
        }];
        let id = serde_json::from_slice::<Value>(&created.body)
            .ok()
            .and_then(|item| item["id"].as_str().map(str::to_string))
            .ok_or_else(|| {
                format!(
                    "POST /items answered {}: {}",
                    created.status,
                    created.text()
                )
            })?;
        let item = format!("/items/{id}");
        for (route, method, path, body) in [
            (1, "GET", item.as_str(), ""),
            (2, "GET", "/items?limit=10", ""),
            (3, "PUT", item.as_str(), r#"{"status":"inactive"}"#),
            (4, "DELETE", item.as_str(), ""),
        ] {
            let (response, elapsed) = self.send(method, path, body).await?;
            results.push(Sample {
                route,
                latency: elapsed,
                in_function: self.inside(),
                status: response.status,
            });
        }
        Ok(results)
    }
}

/// Serves `subject` behind a gateway without throttling (the bench measures latency, not the
/// usage plan) and runs `requests` requests after a warm-up.
pub async fn measure(
    subject: &Subject,
    emulation: Emulation,
    api: &ApiDefinition,
    routes: &[(String, String)],
    api_key: &str,
    requests: usize,
    timings: &Arc<Timings>,
) -> Result<Warm, String> {
    let api = ApiDefinition {
        throttle_burst: u64::MAX,
        throttle_rate: f64::MAX,
        quota_limit: None,
        ..api.clone()
    };
    let host = subject.start(timings, emulation).await?;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| e.to_string())?;
    let gateway = LocalGateway::start(listener, api, routes, api_key.into(), host.clone())
        .await
        .map_err(|e| e.to_string())?;
    let client = Client {
        base: format!("http://{}", gateway.address),
        api_key: api_key.into(),
        function: subject.name.clone(),
        timings: timings.clone(),
    };
    for _ in 0..20 {
        client.cycle().await?;
    }
    let throttled_before = host.cpu_throttling().await;
    let pid = timings
        .process(&subject.name)
        .pid
        .ok_or("no function process")?;
    let cpu_before = process::cpu_time(pid).ok_or("cannot read the process's CPU time")?;
    let mut per_route: Vec<Vec<Duration>> = vec![Vec::new(); ROUTES.len()];
    let mut inside_per_route: Vec<Vec<Duration>> = vec![Vec::new(); ROUTES.len()];
    let mut statuses = BTreeMap::new();
    let mut sent = 0;
    while sent < requests {
        for sample in client.cycle().await? {
            per_route[sample.route].push(sample.latency);
            inside_per_route[sample.route].push(sample.in_function);
            *statuses.entry(sample.status).or_insert(0) += 1;
            sent += 1;
        }
    }
    if timings.process(&subject.name).pid != Some(pid) {
        return Err(format!(
            "{}: the process restarted during the run",
            subject.name
        ));
    }
    let cpu = process::cpu_time(pid).ok_or("cannot read the process's CPU time")? - cpu_before;
    let peak_rss_mib = process::peak_rss_mib(pid).ok_or("cannot read the process's memory")?;
    let throttling = host.cpu_throttling().await.map(|after| Throttling {
        periods: after
            .periods
            .saturating_sub(throttled_before.map_or(0, |t| t.periods)),
        throttled_periods: after
            .throttled_periods
            .saturating_sub(throttled_before.map_or(0, |t| t.throttled_periods)),
        throttled: after
            .throttled
            .saturating_sub(throttled_before.map_or(Duration::ZERO, |t| t.throttled)),
        ..after
    });
    host.stop();
    let all: Vec<Duration> = per_route.iter().flatten().copied().collect();
    let inside: Vec<Duration> = inside_per_route.iter().flatten().copied().collect();
    Ok(Warm {
        per_route: ROUTES
            .iter()
            .zip(&per_route)
            .map(|(route, samples)| (*route, Summary::of(samples)))
            .collect(),
        all: Summary::of(&all),
        in_function: Summary::of(&inside),
        in_function_per_route: inside_per_route.iter().map(|s| Summary::of(s)).collect(),
        billed_ms: cost::mean_billed_ms(&inside),
        cpu_ms_per_1000: cpu.as_secs_f64() * 1000.0 * 1000.0 / sent as f64,
        peak_rss_mib,
        statuses,
        throttling,
    })
}
