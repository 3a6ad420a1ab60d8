use std::{collections::HashSet, sync::Arc};

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{TestApp, TestRequest};

fn create_with_key(key: &str, body: serde_json::Value) -> TestRequest {
    TestRequest::post("/items", body).header("idempotency-key", key)
}

#[tokio::test]
async fn retried_create_returns_the_same_item() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "Once", "email": "once@example.com"});
    let first = app.send(create_with_key("order-17", body.clone())).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let item = first.json();
    assert_eq!(
        uuid::Uuid::parse_str(item["id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        5
    );

    let retry = app.send(create_with_key("order-17", body)).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), item);
    assert_eq!(retry.header("location"), first.header("location"));

    let listed = app.send(TestRequest::get("/items")).await.json();
    assert_eq!(listed["count"], 1, "no duplicate");
    assert!(
        listed["items"][0].get("request_fingerprint").is_none(),
        "internal attribute stays internal"
    );
}

#[tokio::test]
async fn same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let first = app
        .send(create_with_key(
            "k1",
            json!({"name": "A", "email": "a@example.com"}),
        ))
        .await;
    assert_eq!(first.status, 201);
    app.send(create_with_key(
        "k1",
        json!({"name": "B", "email": "a@example.com"}),
    ))
    .await
    .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    let id = first.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.send(TestRequest::get(format!("/items/{id}")))
            .await
            .json()["name"],
        "A"
    );
}

#[tokio::test]
async fn keys_are_scoped_to_the_api_key() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "A", "email": "a@example.com"});
    let mine = app
        .send(create_with_key("shared", body.clone()))
        .await
        .json();
    let mut theirs = create_with_key("shared", body);
    theirs.headers.retain(|(name, _)| name != "x-api-key");
    let theirs = app
        .send(theirs.header("x-api-key", "another-client-key"))
        .await;
    assert_eq!(theirs.status, 201);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(theirs.json()["id"], mine["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_key_make_one_item() {
    const CLIENTS: usize = 50;
    let app = Arc::new(TestApp::spawn().await);
    let mut clients = JoinSet::new();
    for _ in 0..CLIENTS {
        let app = app.clone();
        clients.spawn(async move {
            app.send(create_with_key(
                "burst",
                json!({"name": "Burst", "email": "b@example.com"}),
            ))
            .await
        });
    }
    let responses = clients.join_all().await;
    assert!(
        responses.iter().all(|r| r.status == 201),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: HashSet<String> = responses
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    let replays = responses
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replays, CLIENTS - 1, "exactly one request created it");
    assert_eq!(
        app.send(TestRequest::get("/items")).await.json()["count"],
        1
    );
}
