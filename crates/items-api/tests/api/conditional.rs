use std::sync::Arc;

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{TestApp, TestRequest};

#[tokio::test]
async fn stale_if_match_loses_to_the_concurrent_update() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());

    let first = app
        .send(TestRequest::put(&path, json!({"name": "first"})).header("if-match", "\"1\""))
        .await;
    assert_eq!(first.status, 200);
    let stale = app
        .send(TestRequest::put(&path, json!({"name": "second"})).header("if-match", "\"1\""))
        .await;
    let body = stale.assert_error(412, "PRECONDITION_FAILED");
    assert_eq!(body["current_version"], 2);
    let stored = app.send(TestRequest::get(&path)).await.json();
    assert_eq!(stored["name"], "first", "the losing write left no trace");
    assert_eq!(stored["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_updates_with_one_version_have_one_winner() {
    let app = Arc::new(TestApp::spawn().await);
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());
    let mut racers = JoinSet::new();
    for n in 0..8 {
        let (app, path) = (app.clone(), path.clone());
        racers.spawn(async move {
            let request = TestRequest::put(&path, json!({"name": format!("racer {n}")}));
            app.send(request.header("if-match", "\"1\"")).await
        });
    }
    let responses = racers.join_all().await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 412),
        "{statuses:?}"
    );
    let stored = app.send(TestRequest::get(&path)).await.json();
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["name"], winners[0].json()["name"]);
}

#[tokio::test]
async fn delete_honours_if_match() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());
    app.send(TestRequest::put(&path, json!({"description": "v2"})))
        .await;

    let body = app
        .send(TestRequest::delete(&path).header("if-match", "\"1\""))
        .await
        .assert_error(412, "PRECONDITION_FAILED");
    assert_eq!(body["current_version"], 2);
    assert_eq!(
        app.send(TestRequest::get(&path)).await.status,
        200,
        "still there"
    );
    assert_eq!(
        app.send(TestRequest::delete(&path).header("if-match", "\"2\""))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn if_match_star_requires_existence() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());
    let response = app
        .send(TestRequest::put(&path, json!({"name": "B"})).header("if-match", "*"))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["version"], 2);
}
