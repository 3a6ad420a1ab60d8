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
//! falls under the rate, and the hash picks the kind. Faults can be switched off while the
//! proxy runs (faults stop, then the system drains), and the proxy counts what it injected.

use std::{
    fmt,
    os::fd::AsRawFd,
    str::FromStr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use http_body_util::{BodyExt, Full};
use hyper::{
    Request, Response, StatusCode,
    body::{Bytes, Incoming},
    header::{CONTENT_TYPE, HeaderValue},
};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// The backend services a proxy can stand in front of (each has its own error shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    DynamoDb,
    S3,
    Sns,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::DynamoDb, Service::S3, Service::Sns];

    pub fn name(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::S3 => "s3",
            Service::Sns => "sns",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Service::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| format!("unknown service {text:?} (dynamodb, s3, sns)"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    Throttle,
    Error,
    Timeout,
    Reset,
}

impl FaultKind {
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Throttle,
        FaultKind::Error,
        FaultKind::Timeout,
        FaultKind::Reset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::Error => "error",
            FaultKind::Timeout => "timeout",
            FaultKind::Reset => "reset",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == text)
            .ok_or_else(|| format!("unknown fault {text:?} (throttle, error, timeout, reset)"))
    }
}

/// Which calls fail and how.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Fraction of calls that fail, 0.0 to 1.0.
    pub rate: f64,
    /// The kinds to choose from (uniformly); empty means all.
    pub kinds: Vec<FaultKind>,
    pub seed: u64,
    /// How long a `timeout` holds the answer: must exceed the SDK's attempt timeout (2 s).
    pub hold: Duration,
}

impl FaultPlan {
    pub const DEFAULT_HOLD: Duration = Duration::from_millis(2500);

    pub fn new(rate: f64, kinds: Vec<FaultKind>, seed: u64) -> Self {
        Self {
            rate: rate.clamp(0.0, 1.0),
            kinds,
            seed,
            hold: Self::DEFAULT_HOLD,
        }
    }

    /// The fault for call number `call`, if it gets one.
    pub fn fault_for(&self, call: u64) -> Option<FaultKind> {
        let hash = splitmix64(self.seed ^ splitmix64(call));
        // The top 53 bits as a uniform fraction in [0, 1).
        let draw = (hash >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= self.rate {
            return None;
        }
        let kinds: &[FaultKind] = if self.kinds.is_empty() {
            &FaultKind::ALL
        } else {
            &self.kinds
        };
        Some(kinds[(hash % kinds.len() as u64) as usize])
    }
}

/// A well-mixed 64-bit hash (SplitMix64's finaliser): deterministic, no dependency.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a proxy did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub calls: u64,
    pub throttle: u64,
    pub error: u64,
    pub timeout: u64,
    pub reset: u64,
}

impl FaultCounts {
    pub fn injected(&self) -> u64 {
        self.throttle + self.error + self.timeout + self.reset
    }

    /// Faults after which the call had reached the backend (its effect may have landed).
    pub fn forwarded(&self) -> u64 {
        self.error + self.timeout
    }

    fn add(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::Throttle => self.throttle += 1,
            FaultKind::Error => self.error += 1,
            FaultKind::Timeout => self.timeout += 1,
            FaultKind::Reset => self.reset += 1,
        }
    }
}

impl std::ops::AddAssign<&FaultCounts> for FaultCounts {
    fn add_assign(&mut self, other: &FaultCounts) {
        self.calls += other.calls;
        self.throttle += other.throttle;
        self.error += other.error;
        self.timeout += other.timeout;
        self.reset += other.reset;
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls, {} faults injected (throttle {}, error {}, timeout {}, reset {})",
            self.calls,
            self.injected(),
            self.throttle,
            self.error,
            self.timeout,
            self.reset
        )
    }
}

struct State {
    service: Service,
    backend: String,
    plan: Mutex<FaultPlan>,
    enabled: AtomicBool,
    next_call: AtomicU64,
    /// Every injected fault with when it was decided, for tests that match faults to
    /// invocations by time.
    log: Mutex<Vec<(Instant, FaultKind)>>,
    calls: AtomicU64,
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
        let backend = backend
            .strip_prefix("http://")
            .ok_or_else(|| std::io::Error::other(format!("not an http:// backend: {backend}")))?
            .trim_end_matches('/')
            .to_string();
        let state = Arc::new(State {
            service,
            backend,
            plan: Mutex::new(plan),
            enabled: AtomicBool::new(true),
            next_call: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            calls: AtomicU64::new(0),
        });
        let (stop, mut stopped) = watch::channel(false);
        let accepting = state.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(serve_connection(stream, accepting.clone()));
            }
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

    /// Faults on (the start state) or off; calls in flight keep the fault they drew.
    pub fn set_enabled(&self, enabled: bool) {
        self.state.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Replaces the plan (rate, kinds, seed, hold) for the calls that follow.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.state.plan.lock().unwrap() = plan;
    }

    pub fn counts(&self) -> FaultCounts {
        let mut counts = FaultCounts {
            calls: self.state.calls.load(Ordering::SeqCst),
            ..FaultCounts::default()
        };
        for (_, kind) in self.state.log.lock().unwrap().iter() {
            counts.add(*kind);
        }
        counts
    }

    /// Faults injected between `from` and `to`.
    pub fn injected_between(&self, from: Instant, to: Instant) -> u64 {
        let log = self.state.log.lock().unwrap();
        log.iter()
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

type Answer = Response<Full<Bytes>>;

async fn handle(
    request: Request<Incoming>,
    state: &State,
    fd: std::os::fd::RawFd,
) -> Result<Answer, InjectedReset> {
    state.calls.fetch_add(1, Ordering::SeqCst);
    let call = state.next_call.fetch_add(1, Ordering::SeqCst);
    let (fault, hold) = {
        let plan = state.plan.lock().unwrap();
        let fault = if state.enabled.load(Ordering::SeqCst) {
            plan.fault_for(call)
        } else {
            None
        };
        (fault, plan.hold)
    };
    if let Some(kind) = fault {
        state.log.lock().unwrap().push((Instant::now(), kind));
    }
    match fault {
        Some(FaultKind::Throttle) => Ok(throttled(state.service, call)),
        Some(FaultKind::Reset) => {
            reset_on_close(fd);
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

/// Makes the next close of `fd` send RST instead of FIN.
fn reset_on_close(fd: std::os::fd::RawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` is the connection this call arrived on, open while the call is served;
    // the option value is a valid `linger` of the size passed.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Sends the call to the backend on a fresh connection and returns its answer; a backend
/// that cannot be reached is a 502, as a real proxy would answer.
async fn forward(request: Request<Incoming>, backend: &str) -> Answer {
    match try_forward(request, backend).await {
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

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn try_forward(request: Request<Incoming>, backend: &str) -> Result<Answer, BoxError> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let stream = TcpStream::connect(backend).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let outgoing = Request::from_parts(parts, Full::new(body));
    let response = sender.send_request(outgoing).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The service's throttling answer, as AWS sends it.
fn throttled(service: Service, call: u64) -> Answer {
    match service {
        Service::DynamoDb => {
            // Both codes DynamoDB uses: per-table capacity, and the account/control-plane one.
            let code = if call.is_multiple_of(2) {
                "ProvisionedThroughputExceededException"
            } else {
                "ThrottlingException"
            };
            dynamodb_error(
                StatusCode::BAD_REQUEST,
                code,
                "The level of configured provisioned throughput for the table was exceeded.",
            )
        }
        Service::S3 => s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Service::Sns => sns_error(
            StatusCode::BAD_REQUEST,
            "Sender",
            "Throttling",
            "Rate exceeded",
        ),
    }
}

/// The service's internal error answer.
fn internal_error(service: Service) -> Answer {
    match service {
        Service::DynamoDb => dynamodb_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal server error",
        ),
        Service::S3 => s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        Service::Sns => sns_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Receiver",
            "InternalError",
            "An internal error occurred.",
        ),
    }
}

/// DynamoDB's JSON 1.0 error: the code in `__type` and in `x-amzn-ErrorType`.
fn dynamodb_error(status: StatusCode, code: &str, message: &str) -> Answer {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": message,
    });
    let mut response = answer(status, "application/x-amz-json-1.0", body.to_string());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(code) {
        headers.insert("x-amzn-errortype", value);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// S3's REST-XML error.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Answer {
    answer(
        status,
        "application/xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{}</RequestId></Error>",
            request_id()
        ),
    )
}

/// SNS's query-protocol XML error.
fn sns_error(status: StatusCode, fault: &str, code: &str, message: &str) -> Answer {
    answer(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            request_id()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fault_rate_and_kinds_follow_the_plan() {
        let plan = FaultPlan::new(0.2, Vec::new(), 7);
        let faults: Vec<FaultKind> = (0..10_000).filter_map(|n| plan.fault_for(n)).collect();
        assert!(
            (1_800..2_200).contains(&faults.len()),
            "{} of 10000",
            faults.len()
        );
        for kind in FaultKind::ALL {
            let share = faults.iter().filter(|k| **k == kind).count();
            assert!(share > 350, "{kind}: {share}");
        }
        let same = FaultPlan::new(0.2, Vec::new(), 7);
        assert!((0..1_000).all(|n| plan.fault_for(n) == same.fault_for(n)));
        let only = FaultPlan::new(1.0, vec![FaultKind::Reset], 1);
        assert!((0..100).all(|n| only.fault_for(n) == Some(FaultKind::Reset)));
        assert!((0..100).all(|n| FaultPlan::new(0.0, Vec::new(), 1).fault_for(n).is_none()));
    }

    #[test]
    fn names_parse_back() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }
        for service in Service::ALL {
            assert_eq!(service.name().parse::<Service>(), Ok(service));
        }
        assert!("slow".parse::<FaultKind>().is_err());
    }
}
