//! The Runtime API's HTTP side: each request becomes a message to the host task, whose
//! answer becomes the HTTP response the runtime client expects.

use std::time::{Instant, UNIX_EPOCH};

use axum::{
    Router,
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use serde_json::{Value, json};
use tokio::{
    net::TcpListener,
    sync::{mpsc, oneshot, watch},
};

use super::{
    FunctionConfig, InvokeError, Output,
    host::{Handout, Message},
    until,
};
use crate::aws::function_arn;

#[derive(Clone)]
struct Api {
    name: String,
    output: Output,
    messages: mpsc::UnboundedSender<Message>,
}

/// Serves the Runtime API on `listener` until `stopped` turns true.
pub(super) fn serve(
    listener: TcpListener,
    config: &FunctionConfig,
    messages: mpsc::UnboundedSender<Message>,
    mut stopped: watch::Receiver<bool>,
) {
    let api = Api {
        name: config.name.clone(),
        output: config.output.clone(),
        messages,
    };
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move { until(&mut stopped, |stop| *stop).await })
            .await;
    });
}

async fn next(State(api): State<Api>) -> (StatusCode, HeaderMap, String) {
    let (reply, handout) = oneshot::channel();
    let asked = Message::Next {
        at: Instant::now(),
        reply,
    };
    if api.messages.send(asked).is_err() {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    }
    let Ok(Handout {
        request_id,
        deadline,
        payload,
    }) = handout.await
    else {
        // The host stopped, or this request's process ended.
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = deadline.duration_since(UNIX_EPOCH).unwrap_or_default();
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
        function_arn(&api.name),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    (StatusCode::OK, headers, payload.to_string())
}

async fn finish(api: &Api, request_id: String, result: Result<Value, InvokeError>) -> StatusCode {
    let (reply, accepted) = oneshot::channel();
    let finished = Message::Finish {
        request_id,
        result,
        at: Instant::now(),
        reply,
    };
    let _ = api.messages.send(finished);
    match accepted.await {
        Ok(true) => StatusCode::ACCEPTED,
        // Already timed out, or never issued (or the host stopped).
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(api): State<Api>,
    UrlPath(request_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let payload = serde_json::from_str(&body).unwrap_or(Value::String(body));
    finish(&api, request_id, Ok(payload)).await
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
    State(api): State<Api>,
    UrlPath(request_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    finish(&api, request_id, Err(function_error(&body))).await
}

async fn init_error(State(api): State<Api>, body: String) -> StatusCode {
    if matches!(api.output, Output::Prefixed) {
        eprintln!("{} | init error: {body}", api.name);
    }
    StatusCode::ACCEPTED
}
