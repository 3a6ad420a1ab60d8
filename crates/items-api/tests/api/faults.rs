//! Dependency failures. Two come from the real local DynamoDB (a missing table, a stored
//! item that does not decode); throttling and a DynamoDB 500 cannot be produced by a
//! real local server on demand, so those tests (named `mocked_…`) use aws-smithy-mocks.

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use domain::CursorSigner;
use items_api::{App, DynamoStore};
use serde_json::json;

use crate::support::{TABLE, TestApp, TestRequest, TestResponse, send_event_to};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn app_over(client: Client) -> App<DynamoStore> {
    App::new(DynamoStore::new(client, TABLE), CursorSigner::new(b"k"))
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
async fn undecodable_stored_item_is_a_500_not_a_panic() {
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
    app.send(TestRequest::get(format!("/items/{ID}")))
        .await
        .assert_error(500, "INTERNAL_ERROR");
}
