//! The real `items-api` binary, as Lambda runs it: a process speaking the Lambda Runtime
//! API (devstack's stand-in), configured only by the environment Lambda and the SDK
//! define (`AWS_ENDPOINT_URL_DYNAMODB` for the local DynamoDB), logging JSON to stdout.

use std::{path::Path, time::Duration};

use devstack::RuntimeApiStub;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::support::{TABLE, TestApp};

const BINARY: &str = env!("CARGO_BIN_EXE_items-api");

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[tokio::test]
async fn binary_serves_an_invocation_and_logs_no_personal_data() {
    let app = TestApp::spawn().await;
    let event: Value =
        serde_json::from_str(include_str!("../../../../events/create-item.json")).unwrap();
    let mut runtime = RuntimeApiStub::start(vec![event]).await.unwrap();
    let mut child = runtime
        .command(Path::new(BINARY), "items-api")
        .env("DYNAMODB_TABLE", TABLE)
        .env("AWS_ENDPOINT_URL_DYNAMODB", app.dynamo.endpoint())
        .spawn()
        .unwrap();

    let reply = runtime
        .reply(Duration::from_secs(30))
        .await
        .expect("the function answers");
    assert_eq!(
        (reply.request_id.as_str(), reply.kind.as_str()),
        ("request-0", "response"),
        "{reply:?}"
    );
    assert_eq!(reply.body["statusCode"], 201, "{reply:?}");
    let item: Value = serde_json::from_str(reply.body["body"].as_str().unwrap()).unwrap();
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
    let request_line = json_lines(&logs)
        .into_iter()
        .find(|line| line["fields"]["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON request log line in:\n{logs}"));
    let fields = &request_line["fields"];
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["route"], "/items");
    assert_eq!(fields["status"], 201);
    assert_eq!(fields["lambda_request_id"], "request-0");
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
    let runtime = RuntimeApiStub::start(Vec::new()).await.unwrap();
    let run = runtime.command(Path::new(BINARY), "items-api").output();
    let output = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logged = json_lines(&stdout).iter().any(|line| {
        line["level"] == "ERROR"
            && line["fields"]["error"] == "missing required environment variable DYNAMODB_TABLE"
    });
    assert!(logged, "a JSON error line names the variable:\n{stdout}");
}
