//! A local Lambda Runtime API (`/2018-06-01/runtime/...`) hosting one function binary: the
//! process is started as Lambda starts `bootstrap` (a clean environment with Lambda's
//! variables), kept warm, and restarted when it dies. Invocations queue in order, one at a
//! time (a single Lambda execution environment). An invocation that runs past the function's
//! timeout is answered with a timeout error and its process is killed and restarted; one
//! whose process dies (a panic under `panic = "abort"`) is answered with an error too.

use std::{
    collections::HashMap,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex as StdMutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::Command,
    sync::{Mutex, Notify, mpsc, oneshot, watch},
};

use crate::aws::{LOCAL_AWS_ENVIRONMENT, function_arn};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub name: String,
    pub binary: PathBuf,
    /// The function's own variables (the template's, resolved) plus endpoints and credentials.
    pub environment: Vec<(String, String)>,
    pub timeout: Duration,
    pub memory_mb: u64,
    pub output: Output,
}

impl FunctionConfig {
    /// `binary` with `environment` plus the local region and credentials, 256 MB, output
    /// captured (the shape the functions' own binary tests use).
    pub fn captured(
        name: &str,
        binary: impl Into<PathBuf>,
        environment: &[(&str, &str)],
        timeout: Duration,
    ) -> Self {
        let environment = environment
            .iter()
            .chain(LOCAL_AWS_ENVIRONMENT.iter())
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Self {
            name: name.into(),
            binary: binary.into(),
            environment,
            timeout,
            memory_mb: 256,
            output: Output::Captured,
        }
    }
}

/// Where the function's stdout/stderr go.
#[derive(Debug, Clone)]
pub enum Output {
    /// Printed to stderr line by line as `<name> | <line>` (the dev stack).
    Prefixed,
    /// Kept for inspection ([`FunctionHost::output`]; tests).
    Captured,
    Discarded,
}

/// Why an invocation has no response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvokeError {
    /// The function reported an error (`/invocation/{id}/error`).
    #[error("function error {error_type}: {message}")]
    Function { error_type: String, message: String },
    #[error("task timed out after {0:?}")]
    Timeout(Duration),
    #[error("the function process exited during the invocation")]
    ProcessExited,
    /// The process exited before asking for its first event (Lambda's Runtime.ExitError at init).
    #[error("the function failed to initialise (the process exited before taking an event)")]
    InitFailed,
    #[error("the function host stopped")]
    Stopped,
}

struct Invocation {
    payload: Value,
    reply: oneshot::Sender<Result<Value, InvokeError>>,
}

/// Invocation times kept until [`FunctionHost::take_function_times`] drains them.
const MAX_KEPT_FUNCTION_TIMES: usize = 100_000;

/// An invocation the function has taken: when, and who waits for its result.
struct InFlight {
    handed_out: Instant,
    reply: oneshot::Sender<Result<Value, InvokeError>>,
}

/// What a Lambda user measures about the current process, counted from its spawn: init ends
/// at its first `next` request, the first response is its first posted result.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessTimings {
    pub pid: Option<u32>,
    pub init: Option<Duration>,
    pub first_response: Option<Duration>,
}

#[derive(Default)]
struct ProcessRecord {
    spawned: Option<Instant>,
    timings: ProcessTimings,
}

struct Shared {
    config: FunctionConfig,
    queue: Mutex<mpsc::UnboundedReceiver<Invocation>>,
    in_flight: StdMutex<HashMap<String, InFlight>>,
    kill: Notify,
    output: StdMutex<Vec<String>>,
    next_id: StdMutex<u64>,
    /// Bumped when a process ends, so a `next` request the dead process left waiting gives
    /// way instead of taking an invocation nobody will run.
    generation: watch::Sender<u64>,
    /// Whether the current process has asked for an event (its init is over).
    ready: std::sync::atomic::AtomicBool,
    process: StdMutex<ProcessRecord>,
    /// Time inside the function per finished invocation (event handed out → result posted).
    function_times: StdMutex<Vec<Duration>>,
}

/// A running function: its Runtime API server and its supervised process.
#[derive(Clone)]
pub struct FunctionHost {
    shared: Arc<Shared>,
    invocations: mpsc::UnboundedSender<Invocation>,
    stop: watch::Sender<bool>,
}

impl FunctionHost {
    /// Serves the Runtime API on a free loopback port and starts the process.
    pub async fn start(config: FunctionConfig) -> std::io::Result<Self> {
        if !config.binary.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{}: no such binary (build it first)",
                    config.binary.display()
                ),
            ));
        }
        let (invocations, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            config,
            queue: Mutex::new(queue),
            in_flight: StdMutex::new(HashMap::new()),
            kill: Notify::new(),
            output: StdMutex::new(Vec::new()),
            next_id: StdMutex::new(0),
            generation: watch::channel(0).0,
            ready: std::sync::atomic::AtomicBool::new(false),
            process: StdMutex::new(ProcessRecord::default()),
            function_times: StdMutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?.to_string();
        let (stop, stopped) = watch::channel(false);
        let mut server_stopped = stopped.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(
                    async move { until(&mut server_stopped, |stop| *stop).await },
                )
                .await;
        });
        tokio::spawn(supervise(shared.clone(), address, stopped));
        Ok(Self {
            shared,
            invocations,
            stop,
        })
    }

    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    /// Runs one invocation and returns the function's response payload.
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        let (reply, answer) = oneshot::channel();
        self.invocations
            .send(Invocation { payload, reply })
            .map_err(|_| InvokeError::Stopped)?;
        answer.await.unwrap_or(Err(InvokeError::Stopped))
    }

    /// The lines the process wrote so far (with [`Output::Captured`]).
    pub fn output(&self) -> Vec<String> {
        self.shared.output.lock().unwrap().clone()
    }

    /// The current process's id, init and first-response times (for benchmarks).
    pub fn process_timings(&self) -> ProcessTimings {
        self.shared.process.lock().unwrap().timings
    }

    /// The time each invocation finished since the last call spent inside the function.
    pub fn take_function_times(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.shared.function_times.lock().unwrap())
    }

    /// Kills the process and stops serving; pending invocations fail with `Stopped`.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        for (_, in_flight) in self.in_flight.lock().unwrap().drain() {
            let _ = in_flight.reply.send(Err(InvokeError::Stopped));
        }
    }
}

/// Waits until the watched value satisfies `done` (or its sender is gone).
async fn until<T>(receiver: &mut watch::Receiver<T>, done: impl FnMut(&T) -> bool) {
    let _ = receiver.wait_for(done).await;
}

fn fail_in_flight(shared: &Shared, error: InvokeError) {
    for (_, in_flight) in shared.in_flight.lock().unwrap().drain() {
        let _ = in_flight.reply.send(Err(error.clone()));
    }
}

/// Keeps one process running until stopped; restarts it when it exits or is killed.
async fn supervise(shared: Arc<Shared>, runtime_api: String, mut stopped: watch::Receiver<bool>) {
    let config = &shared.config;
    let mut restarts = 0u32;
    while !*stopped.borrow() {
        let mut command = Command::new(&config.binary);
        crate::end_with_this_process(&mut command);
        command
            .env_clear()
            .envs(config.environment.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", config.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("_HANDLER", "bootstrap")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Recorded before the spawn: a fast process may ask for its first event before
        // `spawn` has even returned here.
        *shared.process.lock().unwrap() = ProcessRecord {
            spawned: Some(Instant::now()),
            timings: ProcessTimings::default(),
        };
        let mut child = match command.spawn() {
            Ok(child) => {
                shared.process.lock().unwrap().timings.pid = child.id();
                child
            }
            Err(error) => {
                eprintln!(
                    "{} | cannot start {}: {error}",
                    config.name,
                    config.binary.display()
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    match shared.config.output {
                        Output::Prefixed => eprintln!("{} | {line}", shared.config.name),
                        Output::Captured => shared.output.lock().unwrap().push(line),
                        Output::Discarded => {}
                    }
                }
            });
        }
        let started = tokio::time::Instant::now();
        shared
            .ready
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let exited = tokio::select! {
            status = child.wait() => Some(status),
            () = shared.kill.notified() => {
                let _ = child.kill().await;
                None
            }
            () = until(&mut stopped, |stop| *stop) => {
                let _ = child.kill().await;
                fail_in_flight(&shared, InvokeError::Stopped);
                return;
            }
        };
        if let Some(status) = exited {
            fail_in_flight(&shared, InvokeError::ProcessExited);
            // A process that dies in its init fails the invocation waiting for it, as on
            // Lambda, instead of leaving it queued behind an endless restart loop.
            if !shared.ready.load(std::sync::atomic::Ordering::SeqCst)
                && let Ok(mut queue) = shared.queue.try_lock()
                && let Ok(waiting) = queue.try_recv()
            {
                let _ = waiting.reply.send(Err(InvokeError::InitFailed));
            }
            if matches!(config.output, Output::Prefixed) {
                let status = status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string());
                eprintln!("{} | process exited ({status}); restarting", config.name);
            }
        }
        shared.generation.send_modify(|generation| *generation += 1);
        // Back off when a process dies right away (an init error), not after a long life.
        restarts = if started.elapsed() < Duration::from_secs(2) {
            restarts + 1
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(100 * u64::from(restarts.min(20)))).await;
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> (StatusCode, HeaderMap, String) {
    shared
        .ready
        .store(true, std::sync::atomic::Ordering::SeqCst);
    {
        let mut process = shared.process.lock().unwrap();
        if let (Some(spawned), None) = (process.spawned, process.timings.init) {
            process.timings.init = Some(spawned.elapsed());
        }
    }
    let mut generation = shared.generation.subscribe();
    let mine = *generation.borrow_and_update();
    let invocation = {
        let mut queue = shared.queue.lock().await;
        tokio::select! {
            invocation = queue.recv() => invocation,
            () = until(&mut generation, |current| *current != mine) => None,
        }
    };
    let Some(Invocation { payload, reply }) = invocation else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let request_id = {
        let mut next_id = shared.next_id.lock().unwrap();
        *next_id += 1;
        format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            *next_id
        )
    };
    let timeout = shared.config.timeout;
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + timeout;
    shared.in_flight.lock().unwrap().insert(
        request_id.clone(),
        InFlight {
            handed_out: Instant::now(),
            reply,
        },
    );
    // The timeout clock starts when the function receives the event, as on Lambda.
    let watchdog = shared.clone();
    let watched_id = request_id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        let expired = watchdog.in_flight.lock().unwrap().remove(&watched_id);
        if let Some(in_flight) = expired {
            let _ = in_flight.reply.send(Err(InvokeError::Timeout(timeout)));
            watchdog.kill.notify_one();
        }
    });
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("header values are ASCII"));
    };
    // As Lambda does: runtime interface clients (awslambdaric) decode only a JSON-typed event.
    set("content-type", "application/json".into());
    set("lambda-runtime-aws-request-id", request_id);
    set(
        "lambda-runtime-deadline-ms",
        deadline.as_millis().to_string(),
    );
    set(
        "lambda-runtime-invoked-function-arn",
        function_arn(&shared.config.name),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    (StatusCode::OK, headers, payload.to_string())
}

fn finish(shared: &Shared, request_id: &str, result: Result<Value, InvokeError>) -> StatusCode {
    let finished = Instant::now();
    match shared.in_flight.lock().unwrap().remove(request_id) {
        Some(in_flight) => {
            let mut times = shared.function_times.lock().unwrap();
            // Nobody drains them in a long `devstack up`: keep a bench's worth, not forever.
            if times.len() < MAX_KEPT_FUNCTION_TIMES {
                times.push(finished - in_flight.handed_out);
            }
            drop(times);
            let mut process = shared.process.lock().unwrap();
            if let (Some(spawned), None) = (process.spawned, process.timings.first_response) {
                process.timings.first_response = Some(finished - spawned);
            }
            drop(process);
            let _ = in_flight.reply.send(result);
            StatusCode::ACCEPTED
        }
        // Already timed out, or never issued.
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let payload = serde_json::from_str(&body).unwrap_or(Value::String(body));
    finish(&shared, &request_id, Ok(payload))
}

fn function_error(body: &str) -> InvokeError {
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| json!({"errorMessage": body}));
    InvokeError::Function {
        error_type: body["errorType"].as_str().unwrap_or("Unknown").to_string(),
        message: body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    finish(&shared, &request_id, Err(function_error(&body)))
}

async fn init_error(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    if matches!(shared.config.output, Output::Prefixed) {
        eprintln!("{} | init error: {body}", shared.config.name);
    }
    StatusCode::ACCEPTED
}
