//! A local Lambda Runtime API (`/2018-06-01/runtime/...`) hosting one function binary: the
//! process is started as Lambda starts `bootstrap` (a clean environment with Lambda's
//! variables), kept warm, and restarted when it dies. Invocations queue in order, one at a
//! time (a single Lambda execution environment). An invocation that runs past the function's
//! timeout is answered with a timeout error and its process is killed and restarted; one
//! whose process dies (a panic under `panic = "abort"`) is answered with an error too.
//!
//! One task owns a host's state ([`host`]); the Runtime API's handlers ([`api`]) and the
//! [`FunctionHost`] handle talk to it with messages. Processes are spawned in one place
//! ([`process`]).

mod api;
mod host;
mod process;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::{
    net::TcpListener,
    sync::{mpsc, oneshot, watch},
};

use crate::{
    aws::LOCAL_AWS_ENVIRONMENT,
    cpu_cap::{CpuCap, Throttling},
};
use host::{Invocation, Message};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub name: String,
    pub binary: PathBuf,
    /// The function's own variables (the template's, resolved) plus endpoints and credentials.
    pub environment: Vec<(String, String)>,
    pub timeout: Duration,
    /// Also the CPU share, when capped.
    pub memory_mb: u64,
    pub cpu_cap: CpuCap,
    pub output: Output,
}

impl FunctionConfig {
    /// `binary` with `environment` plus the local region and credentials, 256 MB at full
    /// speed, output captured (the shape the functions' own binary tests use).
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
            cpu_cap: CpuCap::Off,
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

/// Watches a host from outside, for measurements (the bench's cold starts and in-function
/// times): told what happens, when. The host itself keeps none of it.
pub trait HostObserver: Send + Sync {
    /// A process of `function` was started; `at` is taken just before the spawn.
    fn process_started(&self, function: &str, pid: Option<u32>, at: Instant);
    /// The current process asked for an event (its first ask ends its init).
    fn asked_for_event(&self, function: &str, at: Instant);
    /// An invocation handed to the function at `handed_out` got its result at `finished`.
    fn invocation_finished(&self, function: &str, handed_out: Instant, finished: Instant);
}

/// The lines a process wrote, with [`Output::Captured`]; shared with the tasks reading them.
type CapturedLines = Arc<Mutex<Vec<String>>>;

/// A running function: its Runtime API server and its supervised process.
#[derive(Clone)]
pub struct FunctionHost {
    name: Arc<str>,
    messages: mpsc::UnboundedSender<Message>,
    captured: CapturedLines,
    stop: watch::Sender<bool>,
}

impl FunctionHost {
    /// Serves the Runtime API on a free loopback port and starts the process.
    pub async fn start(config: FunctionConfig) -> std::io::Result<Self> {
        Self::start_observed(config, None).await
    }

    /// [`FunctionHost::start`], telling `observer` what happens.
    pub async fn start_observed(
        config: FunctionConfig,
        observer: Option<Arc<dyn HostObserver>>,
    ) -> std::io::Result<Self> {
        if !config.binary.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{}: no such binary (build it first)",
                    config.binary.display()
                ),
            ));
        }
        let (messages, inbox) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let runtime_api = listener.local_addr()?.to_string();
        api::serve(listener, &config, messages.clone(), stopped.clone());
        let captured = CapturedLines::default();
        let host = Self {
            name: config.name.as_str().into(),
            messages,
            captured: captured.clone(),
            stop,
        };
        let process = process::Launcher {
            config,
            runtime_api,
            captured,
        };
        tokio::spawn(host::run(process, observer, inbox, stopped));
        Ok(host)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs one invocation and returns the function's response payload.
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        let (reply, answer) = oneshot::channel();
        self.messages
            .send(Message::Invoke(Invocation { payload, reply }))
            .map_err(|_| InvokeError::Stopped)?;
        answer.await.unwrap_or(Err(InvokeError::Stopped))
    }

    /// What the current process's CPU cap counted; `None` when it runs uncapped (no cap, no
    /// cgroup on this machine, or its init not over yet with [`CpuCap::AfterInit`]).
    pub async fn cpu_throttling(&self) -> Option<Throttling> {
        let (reply, answer) = oneshot::channel();
        self.messages.send(Message::Throttling(reply)).ok()?;
        answer.await.ok().flatten()
    }

    /// The lines the process wrote so far (with [`Output::Captured`]).
    pub fn output(&self) -> Vec<String> {
        self.captured.lock().unwrap().clone()
    }

    /// Kills the process and stops serving; pending invocations fail with `Stopped`.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Waits until the watched value satisfies `done` (or its sender is gone).
async fn until<T>(receiver: &mut watch::Receiver<T>, done: impl FnMut(&T) -> bool) {
    let _ = receiver.wait_for(done).await;
}
