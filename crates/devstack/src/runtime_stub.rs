//! A minimal Lambda Runtime API (`/2018-06-01/runtime/...`) for running a real function
//! binary in a test: it hands out the given events, one per `next`, and reports what the
//! function posts back. Once the events run out, `next` waits forever, as an idle Lambda.

use std::{
    io,
    path::Path,
    process::Stdio,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{Path as UrlPath, State},
    http::HeaderMap,
    routing::{get, post},
};
use serde_json::Value;
use tokio::{
    net::TcpListener,
    process::Command,
    sync::{Mutex, mpsc},
};

/// What the function posted: to `/invocation/{id}/response`, `/invocation/{id}/error`
/// or `/init/error` (`kind` is `response`, `error` or `init-error`).
#[derive(Debug, Clone)]
pub struct Reply {
    pub request_id: String,
    pub kind: String,
    pub body: Value,
}

type Shared = (
    Arc<Mutex<Vec<(String, Value)>>>,
    mpsc::UnboundedSender<Reply>,
);

pub struct RuntimeApiStub {
    address: String,
    replies: mpsc::UnboundedReceiver<Reply>,
}

async fn next(State((events, _)): State<Shared>) -> (HeaderMap, String) {
    let event = events.lock().await.pop();
    let Some((request_id, event)) = event else {
        std::future::pending().await
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + Duration::from_secs(30);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("header values are ASCII"));
    };
    set("lambda-runtime-aws-request-id", request_id);
    set(
        "lambda-runtime-deadline-ms",
        deadline.as_millis().to_string(),
    );
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:local".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0".into(),
    );
    (headers, event.to_string())
}

async fn reply(
    State((_, replies)): State<Shared>,
    UrlPath((request_id, kind)): UrlPath<(String, String)>,
    body: String,
) {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = replies.send(Reply {
        request_id,
        kind,
        body,
    });
}

async fn init_error(State((_, replies)): State<Shared>, body: String) {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = replies.send(Reply {
        request_id: String::new(),
        kind: "init-error".into(),
        body,
    });
}

impl RuntimeApiStub {
    /// Serves on a free loopback port; event n gets the request id `request-n`.
    pub async fn start(events: Vec<Value>) -> io::Result<Self> {
        let mut queued: Vec<(String, Value)> = events
            .into_iter()
            .enumerate()
            .map(|(n, event)| (format!("request-{n}"), event))
            .collect();
        queued.reverse();
        let (sender, replies) = mpsc::unbounded_channel();
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(reply))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state((Arc::new(Mutex::new(queued)), sender));
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?.to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self { address, replies })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The next reply, or `None` after `timeout`.
    pub async fn reply(&mut self, timeout: Duration) -> Option<Reply> {
        tokio::time::timeout(timeout, self.replies.recv())
            .await
            .ok()
            .flatten()
    }

    /// `binary` as Lambda starts it: a clean environment with the variables Lambda sets
    /// (add the function's own with `.env`), output piped, killed when dropped.
    pub fn command(&self, binary: &Path, function_name: &str) -> Command {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
}
