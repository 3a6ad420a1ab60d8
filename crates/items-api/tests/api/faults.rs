//! Dependency failures. Two come from the real local DynamoDB (a missing table, a stored
//! item that does not decode). Exact per-call sequences (throttled then fine, a 500 after
//! the write landed) cannot be ordered from a real server, so those tests (named
//! `mocked_…`) use aws-smithy-mocks; the same faults at random, through the whole stack,
//! are devstack's tests/faults/.

use std::{
    collections::HashMap,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use aws_sdk_dynamodb::{
    Client,
    config::retry::RetryConfig,
    operation::{get_item::GetItemOutput, put_item::PutItemOutput, update_item::UpdateItemError},
    types::{AttributeValue, error::ConditionalCheckFailedException},
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use items_api::{App, CursorSigner, DynamoStore};
use serde_json::json;

use crate::support::{
    TABLE, TestApp, TestRequest, TestResponse, send_event_to, send_invocation_to,
};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn app_over(client: Client) -> App<DynamoStore> {
    App::new(
        DynamoStore::new(client, TABLE),
        CursorSigner::new(b"k"),
        crate::support::archive_links(),
    )
}

async fn send(app: &App<DynamoStore>, request: TestRequest) -> TestResponse {
    send_event_to(app, request.to_event()).await
}

#[tokio::test]
async fn mocked_throttling_is_503_with_retry_after() {
    let throttled = mock!(Client::get_item)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate exceeded"}"#.into()),
        )
        .repeatedly()
        .build();
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&throttled]
    ));
    let response = send(&app, TestRequest::get(format!("/items/{ID}"))).await;
    response.assert_error(503, "THROTTLED");
    assert_eq!(response.header("retry-after"), Some("1"));
}

/// A single write meeting a transaction in flight on its item (a batch's, a restore's) wrote
/// nothing: 503, to retry, not 502 ("may have been applied"). Mocked: dynoxide runs
/// transactions one at a time and never answers TransactionConflictException.
#[tokio::test]
async fn mocked_a_write_meeting_a_transaction_is_503() {
    let conflicted = mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}"#.into()),
        )
        .repeatedly()
        .build();
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&conflicted]
    ));
    let response = send(
        &app,
        TestRequest::post("/items", json!({"name": "A", "email": "a@example.com"})),
    )
    .await;
    response.assert_error(503, "THROTTLED");
}

#[tokio::test]
async fn mocked_dynamodb_500_is_502_without_sdk_text() {
    let broken = mock!(Client::put_item)
        .sequence()
        .http_status(500, Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"secret internals"}"#.into()))
        .repeatedly()
        .build();
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&broken]
    ));
    let response = send(
        &app,
        TestRequest::post("/items", json!({"name": "A", "email": "a@example.com"})),
    )
    .await;
    let body = response.assert_error(502, "DEPENDENCY_FAILURE");
    assert!(!body.to_string().contains("secret"), "{body}");
}

#[tokio::test]
async fn missing_table_is_a_502() {
    let app = TestApp::spawn().await;
    app.dynamo
        .client()
        .delete_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    let body = app
        .send(TestRequest::get("/items"))
        .await
        .assert_error(502, "DEPENDENCY_FAILURE");
    assert!(!body.to_string().contains("ResourceNotFound"), "{body}");
}

#[tokio::test]
async fn undecodable_stored_item_is_a_422_not_a_panic() {
    let app = TestApp::spawn().await;
    app.dynamo
        .client()
        .put_item()
        .table_name(TABLE)
        .item("id", AttributeValue::S(ID.into()))
        .item("name", AttributeValue::N("7".into()))
        .send()
        .await
        .unwrap();
    let body = app
        .send(TestRequest::get(format!("/items/{ID}")))
        .await
        .assert_error(422, "UNREPRESENTABLE_ITEM");
    assert_eq!(body["fields"].as_array().unwrap().len(), 3, "{body}");
}

/// The functions' retry settings (lambda_support::aws::sdk_config: standard, 3 attempts),
/// with no wait between attempts.
fn with_standard_retries(
    config: aws_sdk_dynamodb::config::Builder,
) -> aws_sdk_dynamodb::config::Builder {
    config.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1)),
    )
}

const INTERNAL_SERVER_ERROR: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#;

/// The item as stored at `version`.
fn stored_at(version: u64) -> HashMap<String, AttributeValue> {
    let text = |value: &str| AttributeValue::S(value.into());
    HashMap::from([
        ("id".to_string(), text(ID)),
        ("name".to_string(), text("A")),
        ("email".to_string(), text("a@example.com")),
        ("description".to_string(), text("")),
        ("status".to_string(), text("active")),
        ("created_at".to_string(), text("2026-01-01T00:00:00.000Z")),
        ("updated_at".to_string(), text("2026-01-01T00:00:00.000Z")),
        (
            "version".to_string(),
            AttributeValue::N(version.to_string()),
        ),
        ("attributes".to_string(), AttributeValue::M(HashMap::new())),
    ])
}

/// DynamoDB applied the update (version 3 → 4) but its answer was a 500. Retried, the update
/// would meet its own version 4 and answer 412: the client would be told its write failed.
/// A write that may have landed is not retried: 502, and the client reads to find out.
#[tokio::test]
async fn mocked_a_write_that_may_have_landed_is_502_not_retried_into_a_412() {
    let landed_then_500 = mock!(Client::update_item)
        .sequence()
        .http_status(500, Some(INTERNAL_SERVER_ERROR.into()))
        .error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .set_item(Some(stored_at(4)))
                    .build(),
            )
        })
        .build();
    // The update reads its item first (see store::update).
    let read = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .set_item(Some(stored_at(3)))
            .build()
    });
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&read, &landed_then_500],
        with_standard_retries
    ));
    let response = send(
        &app,
        TestRequest::put(format!("/items/{ID}"), json!({"name": "B"})).header("if-match", "\"3\""),
    )
    .await;
    response.assert_error(502, "DEPENDENCY_FAILURE");
    assert_eq!(landed_then_500.num_calls(), 1, "not retried");
}

/// Throttling means DynamoDB did nothing, so writes are still retried after it.
#[tokio::test]
async fn mocked_a_throttled_write_is_retried() {
    let throttled_once = mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#.into()),
        )
        .output(|| PutItemOutput::builder().build())
        .build();
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&throttled_once],
        with_standard_retries
    ));
    let response = send(
        &app,
        TestRequest::post("/items", json!({"name": "A", "email": "a@example.com"})),
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.json());
    assert_eq!(throttled_once.num_calls(), 2);
}

/// Reads change nothing: a 500 is retried as the SDK's standard mode does.
#[tokio::test]
async fn mocked_a_read_is_retried_after_a_500() {
    let failed_once = mock!(Client::get_item)
        .sequence()
        .http_status(500, Some(INTERNAL_SERVER_ERROR.into()))
        .output(|| {
            GetItemOutput::builder()
                .set_item(Some(stored_at(4)))
                .build()
        })
        .build();
    let app = app_over(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&failed_once],
        with_standard_retries
    ));
    let response = send(&app, TestRequest::get(format!("/items/{ID}"))).await;
    assert_eq!(response.status, 200, "{}", response.json());
    assert_eq!(failed_once.num_calls(), 2);
}

/// DynamoDB that takes the connection and never answers: a fault a real server cannot be made
/// to produce on demand, so a listener stands in for it. This client has no timeouts of its
/// own, so only the invocation's deadline ends the request: answered by the API (502, its
/// code and request id) before Lambda would stop the function and API Gateway answer a bare
/// 502 of its own.
#[tokio::test]
async fn stalled_dynamodb_is_answered_before_the_invocations_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            open.push(connection);
        }
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let app = app_over(Client::from_conf(config));
    let mut context = lambda_http::Context::default();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    context.deadline = u64::try_from(now_ms).unwrap() + 1_500;

    let started = Instant::now();
    let update = TestRequest::put(format!("/items/{ID}"), json!({"status": "inactive"}));
    let answer = send_invocation_to(&app, update.to_event(), Some(context));
    let response = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("answered, not left to Lambda's timeout");
    let elapsed = started.elapsed();

    let body = response.assert_error(502, "DEPENDENCY_FAILURE");
    assert!(body["request_id"].is_string(), "{body}");
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(1_500),
        "the deadline less its 500 ms margin, not earlier and not at the deadline: {elapsed:?}"
    );
}
