//! A fault-injecting HTTP proxy between the functions and one backend service (dynoxide for
//! DynamoDB, moto for S3 or SNS). It forwards every call, except that a chosen fraction of
//! them fail in one of the ways AWS calls fail:
//!
//! - `throttle`: the service's own throttling answer, in its wire shape (DynamoDB JSON 400
//!   `ProvisionedThroughputExceededException` / `ThrottlingException`, S3 XML 503 `SlowDown`,
//!   SNS query XML 400 `Throttling`). The call never reaches the backend, as on AWS.
//! - `error`: the call reaches the backend, but its answer is replaced by the service's 500
//!   (`InternalServerError` / `InternalError`): on AWS such a request "may or may not have
//!   succeeded", which is the case clients get wrong.
//! - `timeout`: the call reaches the backend, and its answer is held [`FaultPlan::hold`]
//!   (longer than the SDK's attempt timeout), so the caller gives up on a call that did land.
//! - `reset`: the connection is reset (RST) before the call is forwarded.
//!
//! Which calls fail is deterministic for a seed: call number n fails if a hash of (seed, n)
//! falls under the rate, and the hash picks the kind ([`plan`]). Faults can be switched off
//! while the proxy runs (faults stop, then the system drains), and the proxy counts what it
//! injected.

mod answers;
mod plan;

use std::{
    fmt,
    os::fd::AsRawFd,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use http_body_util::Full;
use hyper::{
    Request, Response, StatusCode,
    body::{Bytes, Incoming},
};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::http;
use answers::{Answer, internal_error, throttled};
pub use plan::{FaultCounts, FaultKind, FaultPlan, Service};

/// What a proxy decides with and what it did, behind its one lock.
struct Ledger {
    plan: FaultPlan,
    enabled: bool,
    /// Calls received so far (the next call's number).
    calls: u64,
    /// Every injected fault with when it was decided, for tests that match faults to
    /// invocations by time.
    log: Vec<(Instant, FaultKind)>,
}

impl Ledger {
    /// Numbers the call, and picks its fault (and how long a timeout holds it).
    fn decide(&mut self) -> (u64, Option<FaultKind>, Duration) {
        let call = self.calls;
        self.calls += 1;
        let fault = self.enabled.then(|| self.plan.fault_for(call)).flatten();
        if let Some(kind) = fault {
            self.log.push((Instant::now(), kind));
        }
        (call, fault, self.plan.hold)
    }
}

struct State {
    service: Service,
    /// `http://host:port` of the backend.
    backend: String,
    ledger: Mutex<Ledger>,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    endpoint: String,
    state: Arc<State>,
    _stop: watch::Sender<bool>,
}

impl FaultProxy {
    /// Serves on a free loopback port, forwarding to `backend` (`http://host:port`).
    pub async fn start(service: Service, backend: &str, plan: FaultPlan) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        if !backend.starts_with("http://") {
            return Err(std::io::Error::other(format!(
                "not an http:// backend: {backend}"
            )));
        }
        let state = Arc::new(State {
            service,
            backend: backend.trim_end_matches('/').to_string(),
            ledger: Mutex::new(Ledger {
                plan,
                enabled: true,
                calls: 0,
                log: Vec::new(),
            }),
        });
        let (stop, stopped) = watch::channel(false);
        let accepting = state.clone();
        http::accept_until_stopped(listener, stopped, move |stream| {
            serve_connection(stream, accepting.clone())
        });
        Ok(Self {
            endpoint,
            state,
            _stop: stop,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn service(&self) -> Service {
        self.state.service
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.state.ledger.lock().unwrap()
    }

    /// Faults on (the start state) or off; calls in flight keep the fault they drew.
    pub fn set_enabled(&self, enabled: bool) {
        self.ledger().enabled = enabled;
    }

    /// Replaces the plan (rate, kinds, seed, hold) for the calls that follow.
    pub fn set_plan(&self, plan: FaultPlan) {
        self.ledger().plan = plan;
    }

    pub fn counts(&self) -> FaultCounts {
        let ledger = self.ledger();
        let mut counts = FaultCounts {
            calls: ledger.calls,
            ..FaultCounts::default()
        };
        for (_, kind) in &ledger.log {
            counts.add(*kind);
        }
        counts
    }

    /// Faults injected between `from` and `to`.
    pub fn injected_between(&self, from: Instant, to: Instant) -> u64 {
        let ledger = self.ledger();
        ledger
            .log
            .iter()
            .filter(|(at, _)| (from..=to).contains(at))
            .count() as u64
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    let service = hyper::service::service_fn(move |request| {
        let state = state.clone();
        async move { handle(request, &state, fd).await }
    });
    // An error here is a reset we injected, or a client that went away: nothing to report.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Why a call ends without an answer: hyper then drops the connection, and with
/// `SO_LINGER` 0 the close is a reset.
#[derive(Debug)]
struct InjectedReset;

impl fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for InjectedReset {}

async fn handle(
    request: Request<Incoming>,
    state: &State,
    fd: std::os::fd::RawFd,
) -> Result<Answer, InjectedReset> {
    let (call, fault, hold) = state.ledger.lock().unwrap().decide();
    match fault {
        Some(FaultKind::Throttle) => Ok(throttled(state.service, call)),
        Some(FaultKind::Reset) => {
            http::reset_on_close(fd);
            Err(InjectedReset)
        }
        Some(FaultKind::Error) => {
            // The backend does the work; the caller is told it failed.
            let _ = forward(request, &state.backend).await;
            Ok(internal_error(state.service))
        }
        Some(FaultKind::Timeout) => {
            let answer = forward(request, &state.backend).await;
            tokio::time::sleep(hold).await;
            Ok(answer)
        }
        None => Ok(forward(request, &state.backend).await),
    }
}

/// Sends the call to the backend (on a connection of its own) and returns its answer; a
/// backend that cannot be reached is a 502, as a real proxy would answer.
async fn forward(request: Request<Incoming>, backend: &str) -> Answer {
    match http::forward(&http::client(), request, backend).await {
        Ok(answer) => answer,
        Err(error) => {
            let mut answer = Response::new(Full::new(Bytes::from(format!(
                "fault proxy: backend {backend} failed: {error}"
            ))));
            *answer.status_mut() = StatusCode::BAD_GATEWAY;
            answer
        }
    }
}
