//! The real `items-api` binary, as Lambda runs it: spawned as a process that speaks the
//! Lambda Runtime API (served here by a minimal stand-in), configured only by the
//! environment Lambda and the SDK define (`AWS_ENDPOINT_URL_DYNAMODB` for the local
//! DynamoDB), writing JSON logs to stdout.

use std::{process::Stdio, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Path, State},
    http::HeaderMap,
    routing::{get, post},
};
use serde_json::Value;
use tokio::{
    io::AsyncReadExt,
    net::TcpListener,
    process::Command,
    sync::{Mutex, mpsc},
};

use crate::support::{TABLE, TestApp};

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

/// Hands out `events` one per `next` call (then waits forever, like an idle Lambda) and
/// forwards whatever the function posts back as (request id, kind, body).
async fn runtime_api(
    events: Vec<Value>,
) -> (String, mpsc::UnboundedReceiver<(String, String, Value)>) {
    type Shared = (
        Arc<Mutex<Vec<Value>>>,
        mpsc::UnboundedSender<(String, String, Value)>,
    );
    async fn next(State((events, _)): State<Shared>) -> (HeaderMap, String) {
        let event = events.lock().await.pop();
        let Some(event) = event else {
            std::future::pending().await
        };
        let mut headers = HeaderMap::new();
        headers.insert("lambda-runtime-aws-request-id", REQUEST_ID.parse().unwrap());
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            + Duration::from_secs(10);
        headers.insert(
            "lambda-runtime-deadline-ms",
            deadline.as_millis().to_string().parse().unwrap(),
        );
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:items-api"
                .parse()
                .unwrap(),
        );
        headers.insert(
            "lambda-runtime-trace-id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700".parse().unwrap(),
        );
        (headers, event.to_string())
    }
    async fn reply(
        State((_, replies)): State<Shared>,
        Path((id, kind)): Path<(String, String)>,
        body: String,
    ) {
        let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
        let _ = replies.send((id, kind, body));
    }
    async fn init_error(State((_, replies)): State<Shared>, body: String) {
        let _ = replies.send((String::new(), "init-error".into(), Value::String(body)));
    }
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut events = events;
    events.reverse();
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(reply))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state((Arc::new(Mutex::new(events)), sender));
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, receiver)
}

fn lambda_command(runtime_api: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_items-api"));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "items-api")
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

#[tokio::test]
async fn binary_serves_an_invocation_and_logs_no_personal_data() {
    let app = TestApp::spawn().await;
    let event: Value =
        serde_json::from_str(include_str!("../../../../events/create-item.json")).unwrap();
    let (runtime, mut replies) = runtime_api(vec![event]).await;
    let mut child = lambda_command(&runtime)
        .env("DYNAMODB_TABLE", TABLE)
        .env("AWS_ENDPOINT_URL_DYNAMODB", app.dynamo.endpoint())
        .spawn()
        .unwrap();

    let (id, kind, response) = tokio::time::timeout(Duration::from_secs(30), replies.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (id.as_str(), kind.as_str()),
        (REQUEST_ID, "response"),
        "{response}"
    );
    assert_eq!(response["statusCode"], 201, "{response}");
    let item: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    let stored = app
        .dynamo
        .client()
        .get_item()
        .table_name(TABLE)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(item["id"].as_str().unwrap().into()),
        )
        .send()
        .await
        .unwrap();
    assert!(
        stored.item.is_some(),
        "the binary wrote to the endpoint named by AWS_ENDPOINT_URL_DYNAMODB"
    );

    child.start_kill().unwrap();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    let request_line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON request log line in:\n{logs}"));
    let fields = &request_line["fields"];
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["route"], "/items");
    assert_eq!(fields["status"], 201);
    assert_eq!(fields["lambda_request_id"], REQUEST_ID);
    assert!(fields["latency_ms"].as_f64().is_some());
    assert!(
        !logs.contains("owner@example.com"),
        "no e-mail address in logs:\n{logs}"
    );
    assert!(
        !logs.contains("A blue widget"),
        "no request body in logs:\n{logs}"
    );
}

#[tokio::test]
async fn binary_without_its_table_fails_init_clearly() {
    let (runtime, _replies) = runtime_api(Vec::new()).await;
    let output = tokio::time::timeout(Duration::from_secs(30), lambda_command(&runtime).output())
        .await
        .unwrap()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logged = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .any(|line| {
            line["level"] == "ERROR"
                && line["fields"]["error"] == "missing required environment variable DYNAMODB_TABLE"
        });
    assert!(logged, "a JSON error line names the variable:\n{stdout}");
}
