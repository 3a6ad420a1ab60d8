//! `POST /items/batch`: all or nothing in one TransactWriteItems on the real local
//! DynamoDB; every refusal leaves the table exactly as it was.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::support::{API_KEY, TABLE, TestApp, TestRequest, TestResponse};

mod retries;

async fn batch(app: &TestApp, operations: Value) -> TestResponse {
    app.send(TestRequest::post(
        "/items/batch",
        json!({"operations": operations}),
    ))
    .await
}

async fn keyed(app: &TestApp, key: &str, operations: Value) -> TestResponse {
    app.send(
        TestRequest::post("/items/batch", json!({"operations": operations}))
            .header("idempotency-key", key),
    )
    .await
}

fn create(name: &str) -> Value {
    json!({"op": "create", "item": {"name": name, "email": "batch@example.com"}})
}

async fn get(app: &TestApp, id: &str) -> TestResponse {
    app.send(TestRequest::get(format!("/items/{id}"))).await
}

#[tokio::test]
async fn creates_updates_and_deletes_together_with_results_in_request_order() {
    let app = TestApp::spawn().await;
    let kept = app.create("kept", "a@example.com").await;
    let gone = app.create("gone", "a@example.com").await;
    let (kept_id, gone_id) = (kept["id"].as_str().unwrap(), gone["id"].as_str().unwrap());

    let response = batch(
        &app,
        json!([
            {"op": "create", "item": {"name": "new", "email": "New@EXAMPLE.com", "attributes": {"n": 1}}},
            {"op": "update", "id": kept_id, "if_match": 1, "changes": {"status": "inactive"}},
            {"op": "delete", "id": gone_id, "if_match": 1},
        ]),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("idempotent-replayed"), None);
    let results = response.json()["results"].clone();
    let summary: Vec<(&str, u64)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["op"].as_str().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(summary, [("create", 201), ("update", 200), ("delete", 204)]);

    let created = &results[0]["item"];
    assert_eq!(created["version"], 1);
    assert_eq!(created["email"], "New@example.com");
    assert_eq!(created["created_at"], created["updated_at"]);
    assert_eq!(
        get(&app, created["id"].as_str().unwrap()).await.json(),
        *created
    );

    let updated = &results[1]["item"];
    assert_eq!(
        (updated["version"].as_u64(), updated["status"].as_str()),
        (Some(2), Some("inactive"))
    );
    assert_eq!(get(&app, kept_id).await.json(), *updated);
    assert!(results[2].get("item").is_none());
    assert_eq!(get(&app, gone_id).await.status, 404);
}

#[tokio::test]
async fn a_batch_of_one_and_a_batch_of_a_hundred() {
    let app = TestApp::spawn().await;
    let one = batch(&app, json!([create("only")])).await;
    assert_eq!(one.status, 200, "{}", one.text());
    assert_eq!(one.json()["results"].as_array().unwrap().len(), 1);

    let hundred: Vec<Value> = (0..100).map(|n| create(&format!("item {n}"))).collect();
    let response = batch(&app, json!(hundred)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let results = response.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 100);
    for (n, result) in results.iter().enumerate() {
        assert_eq!(result["item"]["name"], format!("item {n}"), "request order");
    }
    assert_eq!(app.snapshot().await.len(), 101);

    let mut too_many = hundred.clone();
    too_many.push(create("one too many"));
    let body = batch(&app, json!(too_many))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(body["fields"][0]["field"], "operations");
    assert_eq!(app.snapshot().await.len(), 101, "nothing written");
}

#[tokio::test]
async fn invalid_operations_are_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let item = app.create("a", "a@example.com").await;
    let id = item["id"].as_str().unwrap();
    let before = app.snapshot().await;

    let body = batch(
        &app,
        json!([
            create("fine"),
            {"op": "create", "item": {"name": "x", "email": "not-an-address"}},
            {"op": "update", "id": id, "changes": {"version": 9}},
            {"op": "delete", "id": "a/b"},
        ]),
    )
    .await
    .assert_error(400, "VALIDATION_FAILED");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "operations[1].item.email",
            "operations[2].changes.version",
            "operations[3].id"
        ]
    );

    let twice = batch(
        &app,
        json!([
            {"op": "update", "id": id, "changes": {"name": "b"}},
            {"op": "delete", "id": id},
        ]),
    )
    .await
    .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(twice["fields"][0]["field"], "operations[1].id");

    batch(&app, json!([]))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    app.send(TestRequest::post("/items/batch", json!({})).raw_body("{"))
        .await
        .assert_error(400, "INVALID_JSON");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn each_failed_condition_cancels_everything_and_says_why() {
    let app = TestApp::spawn().await;
    let item = app.create("a", "a@example.com").await;
    let id = item["id"].as_str().unwrap();
    let moved = app
        .send(TestRequest::put(
            format!("/items/{id}"),
            json!({"name": "b"}),
        ))
        .await;
    assert_eq!(moved.status, 200);
    let missing = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let before = app.snapshot().await;

    let stale = batch(
        &app,
        json!([
            create("would be created"),
            {"op": "update", "id": id, "if_match": 1, "changes": {"status": "archived"}},
        ]),
    )
    .await
    .assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(
        stale["failures"],
        json!([{"index": 1, "code": "PRECONDITION_FAILED", "current_version": 2}])
    );

    let gone = batch(
        &app,
        json!([
            {"op": "update", "id": id, "if_match": 2, "changes": {"status": "archived"}},
            {"op": "update", "id": missing, "changes": {"name": "x"}},
            {"op": "delete", "id": "6f9619ff-8b86-4d11-b42d-00c04fc964ff", "if_match": 4},
        ]),
    )
    .await
    .assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(
        gone["failures"],
        json!([
            {"index": 1, "code": "ITEM_NOT_FOUND"},
            {"index": 2, "code": "ITEM_NOT_FOUND"},
        ])
    );

    // An id taken: the one a keyed create derives, already held by an item of another origin.
    let taken = domain::ItemId::from_idempotency_key(API_KEY, "taken\n1").to_string();
    let mut squatter = app.stored(id).await;
    squatter.insert("id".into(), AttributeValue::S(taken));
    app.dynamo
        .client()
        .put_item()
        .table_name(TABLE)
        .set_item(Some(squatter))
        .send()
        .await
        .unwrap();
    let before = {
        let mut after_squat = app.snapshot().await;
        assert_eq!(after_squat.len(), before.len() + 1);
        after_squat.sort_by_key(|item| format!("{:?}", item.get("id")));
        after_squat
    };
    let id_taken = keyed(&app, "taken", json!([create("first"), create("second")]))
        .await
        .assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(
        id_taken["failures"],
        json!([{"index": 1, "code": "IDEMPOTENCY_KEY_REUSED"}])
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing written by any of them"
    );
}

/// Each operation is its own stream record, so archive and notifications need nothing new.
#[tokio::test]
async fn each_change_is_its_own_stream_record() {
    let app = TestApp::spawn().await;
    let kept = app.create("kept", "a@example.com").await;
    let gone = app.create("gone", "a@example.com").await;
    let response = batch(
        &app,
        json!([
            create("new"),
            {"op": "update", "id": kept["id"], "changes": {"name": "renamed"}},
            {"op": "delete", "id": gone["id"]},
        ]),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let new_id = response.json()["results"][0]["item"]["id"].clone();

    let table = app
        .dynamo
        .client()
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    let stream_arn = table
        .table()
        .and_then(|t| t.latest_stream_arn())
        .unwrap()
        .to_string();
    let records = devstack::read_stream_records(&app.dynamo.streams_client(), &stream_arn)
        .await
        .unwrap();
    let changes: Vec<(String, Value)> = records
        .iter()
        .map(|record| {
            let id = record
                .dynamodb()
                .and_then(|d| d.keys())
                .and_then(|k| k.get("id"));
            (
                record
                    .event_name()
                    .map(|e| e.as_str().to_string())
                    .unwrap_or_default(),
                json!(id.and_then(|id| id.as_s().ok())),
            )
        })
        .collect();
    let mut batch_changes = changes[2..].to_vec();
    batch_changes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        batch_changes,
        [
            ("INSERT".to_string(), new_id),
            ("MODIFY".to_string(), kept["id"].clone()),
            ("REMOVE".to_string(), gone["id"].clone()),
        ],
        "{changes:?}"
    );
}

/// An item of the original service has no `version` to bump in place: a batch's update of
/// it is refused (version 0; a PUT writes it whole), its delete works.
#[tokio::test]
async fn items_of_the_original_service_in_a_batch() {
    let app = TestApp::spawn().await;
    crate::original::store_every_shape(&app).await;
    let before = app.snapshot().await;
    let refused = batch(
        &app,
        json!([{"op": "update", "id": "item1", "changes": {"name": "renamed"}}]),
    )
    .await
    .assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(
        refused["failures"],
        json!([{"index": 0, "code": "PRECONDITION_FAILED", "current_version": 0}])
    );
    assert_eq!(app.snapshot().await, before);

    let deleted = batch(
        &app,
        json!([{"op": "delete", "id": "item1", "if_match": 0}]),
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(get(&app, "item1").await.status, 404);
}
