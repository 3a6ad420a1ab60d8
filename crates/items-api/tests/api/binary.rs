//! The real `items-api` binary, as Lambda runs it: a process speaking the Lambda Runtime
//! API (devstack's local host), configured only by the environment Lambda and the SDK
//! define (`AWS_ENDPOINT_URL_DYNAMODB` for the local DynamoDB), logging JSON to stdout.

use std::time::Duration;

use devstack::{FunctionConfig, FunctionHost, InvokeError};
use serde_json::Value;

use crate::support::{TABLE, TestApp};

/// The function with `environment` and the archive bucket every run needs.
fn host(environment: &[(&str, &str)]) -> FunctionConfig {
    let mut environment = environment.to_vec();
    environment.push(("S3_BUCKET", "items-archive-test"));
    FunctionConfig::captured(
        "items-api",
        env!("CARGO_BIN_EXE_items-api"),
        &environment,
        Duration::from_secs(10),
    )
}

/// The JSON lines the process wrote, once one satisfies `wanted` (or after 5 s).
async fn logs_until(host: &FunctionHost, wanted: impl Fn(&Value) -> bool) -> (Vec<Value>, String) {
    for _ in 0..50 {
        let lines = host.output();
        let parsed: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if parsed.iter().any(&wanted) {
            return (parsed, lines.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lines = host.output();
    (
        lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        lines.join("\n"),
    )
}

#[tokio::test]
async fn binary_serves_an_invocation_and_logs_no_personal_data() {
    let app = TestApp::spawn().await;
    let host = FunctionHost::start(host(&[
        ("DYNAMODB_TABLE", TABLE),
        ("AWS_ENDPOINT_URL_DYNAMODB", app.dynamo.endpoint()),
    ]))
    .await
    .unwrap();
    let event: Value =
        serde_json::from_str(include_str!("../../../../events/create-item.json")).unwrap();

    let response = host.invoke(event).await.expect("the function answers");
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

    let (lines, logs) = logs_until(&host, |line| line["fields"]["message"] == "request").await;
    host.stop();
    let position = |message: &str| {
        lines
            .iter()
            .position(|line| line["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} log line in:\n{logs}"))
    };
    let warm_up = &lines[position("connection opened during init")];
    assert_eq!(warm_up["fields"]["service"], "dynamodb");
    assert!(
        position("connection opened during init") < position("request"),
        "the connection is opened in init, before the first request:\n{logs}"
    );
    let request_line = &lines[position("request")];
    let fields = &request_line["fields"];
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["route"], "/items");
    assert_eq!(fields["status"], 201);
    assert!(
        fields["lambda_request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
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
    let host = FunctionHost::start(host(&[])).await.unwrap();
    let result = host.invoke(serde_json::json!({})).await;
    assert_eq!(result, Err(InvokeError::InitFailed));
    let (_, logs) = logs_until(&host, |line| {
        line["level"] == "ERROR"
            && line["fields"]["error"] == "missing required environment variable DYNAMODB_TABLE"
    })
    .await;
    host.stop();
    assert!(
        logs.contains("missing required environment variable DYNAMODB_TABLE"),
        "a JSON error line names the variable:\n{logs}"
    );
}

#[tokio::test]
async fn init_survives_a_connection_it_cannot_open_and_can_skip_it() {
    // Nothing listens on port 1: the warm-up fails fast, is logged, and init goes on.
    let unreachable = [
        ("DYNAMODB_TABLE", TABLE),
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1"),
    ];
    for (switch, expected) in [(None, true), (Some("off"), false)] {
        let mut environment = unreachable.to_vec();
        environment.extend(switch.map(|value| ("WARM_UP_CONNECTIONS", value)));
        let host = FunctionHost::start(host(&environment)).await.unwrap();
        let event: Value =
            serde_json::from_str(include_str!("../../../../events/get-item.json")).unwrap();
        let response = host.invoke(event).await.expect("init did not fail");
        assert_eq!(response["statusCode"], 502, "{response}");
        let (lines, logs) = logs_until(&host, |line| line["fields"]["message"] == "request").await;
        host.stop();
        let warned = lines.iter().any(|line| {
            line["level"] == "WARN"
                && line["fields"]["message"] == "could not open a connection during init"
        });
        assert_eq!(warned, expected, "WARM_UP_CONNECTIONS={switch:?}:\n{logs}");
    }
}

#[tokio::test]
async fn binary_logs_the_items_a_page_leaves_out_by_id_and_attribute_names() {
    let app = TestApp::spawn().await;
    let [_, _, _, unrepresentable] = crate::original::store_every_shape(&app).await;
    let host = FunctionHost::start(host(&[
        ("DYNAMODB_TABLE", TABLE),
        ("AWS_ENDPOINT_URL_DYNAMODB", app.dynamo.endpoint()),
    ]))
    .await
    .unwrap();
    let event: Value =
        serde_json::from_str(include_str!("../../../../events/list-items.json")).unwrap();

    let response = host.invoke(event).await.expect("the function answers");
    assert_eq!(response["statusCode"], 200, "{response}");
    let page: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        page["count"], 2,
        "the active items but the unrepresentable one: {page}"
    );

    let (lines, logs) = logs_until(&host, |line| line["fields"]["message"] == "request").await;
    host.stop();
    let warning = |message: &str| {
        lines
            .iter()
            .find(|line| line["level"] == "WARN" && line["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} warning in:\n{logs}"))
    };
    let item = &warning("stored item cannot be represented")["fields"];
    assert_eq!(item["item_id"], unrepresentable.as_str());
    assert_eq!(item["attributes"], "name");
    let page = &warning("list page served without stored items that cannot be represented");
    assert_eq!(page["fields"]["left_out"], 1);
    let logged: Vec<&String> = item.as_object().unwrap().keys().collect();
    assert_eq!(
        logged,
        ["message", "item_id", "attributes"],
        "never a stored value"
    );
}
