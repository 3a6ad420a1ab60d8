//! The real `stream-processor` binary under devstack's local Runtime API, pointed at moto
//! only through the SDK's global `AWS_ENDPOINT_URL` (so S3 must switch to path-style by itself).

use std::time::Duration;

use devstack::{FunctionConfig, FunctionHost, InvokeError};
use serde_json::{Value, json};

use crate::support::{BUCKET, HISTORY, Stack};

fn config(environment: &[(&str, &str)]) -> FunctionConfig {
    FunctionConfig::captured(
        "stream-processor",
        env!("CARGO_BIN_EXE_stream-processor"),
        environment,
        Duration::from_secs(60),
    )
}

#[tokio::test]
async fn binary_processes_a_batch_through_the_standard_endpoint_variable() {
    let stack = Stack::start().await;
    let a = stack.create("Ann").await;
    stack
        .update(a.id.clone(), json!({"status": "archived"}))
        .await;
    let a_id = a.id.clone();
    stack.delete(a.id).await;
    let event = serde_json::to_value(stack.stream_event().await).unwrap();

    let host = FunctionHost::start(config(&[
        ("S3_BUCKET", BUCKET),
        ("SNS_TOPIC_ARN", &stack.topic_arn),
        ("HISTORY_TABLE", HISTORY),
        ("AWS_ENDPOINT_URL", stack.moto.endpoint()),
        // DynamoDB is dynoxide, not moto: the service's own variable wins over the global one.
        ("AWS_ENDPOINT_URL_DYNAMODB", stack.dynamo.endpoint()),
    ]))
    .await
    .unwrap();
    let response = host.invoke(event).await.expect("the function answers");
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(stack.archive_keys().await.len(), 3);
    assert_eq!(stack.notifications().await.len(), 3);

    let mut batch_line = None;
    for _ in 0..50 {
        batch_line = host
            .output()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line["fields"]["message"] == "batch");
        if batch_line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = host.output().join("\n");
    host.stop();
    let batch_line = batch_line.unwrap_or_else(|| panic!("no batch log line in:\n{logs}"));
    assert_eq!(batch_line["fields"]["records"], 3);
    assert_eq!(batch_line["fields"]["archived"], 3);
    assert_eq!(batch_line["fields"]["recorded"], 3);
    assert_eq!(stack.history(&a_id).await.len(), 3);
    let opened: Vec<Value> = host_lines(&logs)
        .filter(|line| line["fields"]["message"] == "connection opened during init")
        .map(|line| line["fields"]["service"].clone())
        .collect();
    assert_eq!(
        opened.len(),
        3,
        "S3, DynamoDB and SNS connections opened in init:\n{logs}"
    );
    for service in ["s3", "dynamodb", "sns"] {
        assert!(opened.contains(&json!(service)), "{service}:\n{logs}");
    }
    assert!(
        !logs.contains("example.com"),
        "no e-mail address in logs:\n{logs}"
    );
}

fn host_lines(logs: &str) -> impl Iterator<Item = Value> + '_ {
    logs.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
}

#[tokio::test]
async fn binary_without_its_bucket_fails_init_clearly() {
    let host = FunctionHost::start(config(&[("SNS_TOPIC_ARN", "arn")]))
        .await
        .unwrap();
    assert_eq!(
        host.invoke(json!({"Records": []})).await,
        Err(InvokeError::InitFailed)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = host.output().join("\n");
    host.stop();
    assert!(
        logs.contains("missing required environment variable S3_BUCKET"),
        "{logs}"
    );
}
