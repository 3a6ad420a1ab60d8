//! The real `stream-processor` binary under a Lambda Runtime API stand-in, pointed at moto
//! only through the SDK's global `AWS_ENDPOINT_URL` (so S3 must switch to path-style by itself).

use std::{path::Path, time::Duration};

use devstack::RuntimeApiStub;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::support::{BUCKET, Stack};

const BINARY: &str = env!("CARGO_BIN_EXE_stream-processor");

#[tokio::test]
async fn binary_processes_a_batch_through_the_standard_endpoint_variable() {
    let stack = Stack::start().await;
    let a = stack.create("Ann").await;
    stack.update(a.id, json!({"status": "archived"})).await;
    stack.delete(a.id).await;
    let event = serde_json::to_value(stack.stream_event().await).unwrap();

    let mut runtime = RuntimeApiStub::start(vec![event]).await.unwrap();
    let mut child = runtime
        .command(Path::new(BINARY), "stream-processor")
        .env("S3_BUCKET", BUCKET)
        .env("SNS_TOPIC_ARN", &stack.topic_arn)
        .env("AWS_ENDPOINT_URL", stack.moto.endpoint())
        .spawn()
        .unwrap();
    let reply = runtime
        .reply(Duration::from_secs(30))
        .await
        .expect("the function answers");
    assert_eq!(reply.kind, "response", "{reply:?}");
    assert_eq!(reply.body, json!({"batchItemFailures": []}));
    assert_eq!(stack.archive_keys().await.len(), 3);
    assert_eq!(stack.notifications().await.len(), 3);

    child.start_kill().unwrap();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    let batch_line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["message"] == "batch")
        .unwrap_or_else(|| panic!("no batch log line in:\n{logs}"));
    assert_eq!(batch_line["fields"]["records"], 3);
    assert_eq!(batch_line["fields"]["archived"], 3);
    assert!(
        !logs.contains("example.com"),
        "no e-mail address in logs:\n{logs}"
    );
}

#[tokio::test]
async fn binary_without_its_bucket_fails_init_clearly() {
    let runtime = RuntimeApiStub::start(Vec::new()).await.unwrap();
    let run = runtime
        .command(Path::new(BINARY), "stream-processor")
        .env("SNS_TOPIC_ARN", "arn")
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("missing required environment variable S3_BUCKET")
    );
}
