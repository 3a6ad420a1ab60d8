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

const RACERS: usize = 50;

/// One client's attempts: read the version, write with `If-Match` on it, until it wins once.
/// Returns (version it matched on, status, version it got back or was told is current).
async fn update_until_won(app: &TestApp, path: &str, n: usize) -> Vec<(u64, u16, u64)> {
    let mut attempts = Vec::new();
    loop {
        let version = app.send(TestRequest::get(path)).await.json()["version"]
            .as_u64()
            .unwrap();
        let request = TestRequest::put(path, json!({"name": format!("racer {n}")}))
            .header("if-match", &format!("\"{version}\""));
        let response = app.send(request).await;
        let body = response.json();
        let returned = match response.status {
            200 => body["version"].as_u64().unwrap(),
            412 => body["current_version"].as_u64().unwrap(),
            other => panic!("racer {n} got {other}: {body}"),
        };
        attempts.push((version, response.status, returned));
        if response.status == 200 || attempts.len() >= 500 {
            return attempts;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_racing_writers_one_winner_per_version() {
    let app = Arc::new(TestApp::spawn().await);
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());
    let mut racers = JoinSet::new();
    for n in 0..RACERS {
        let (app, path) = (app.clone(), path.clone());
        racers.spawn(async move { update_until_won(&app, &path, n).await });
    }
    let attempts: Vec<(u64, u16, u64)> = racers.join_all().await.into_iter().flatten().collect();
    let winners: Vec<u64> = attempts
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .map(|(matched, _, _)| *matched)
        .collect();
    let conflicts = attempts.len() - winners.len();
    assert_eq!(winners.len(), RACERS, "every racer wins once in the end");
    // Exactly one winner per version: the versions matched by winners are 1, 2, … N.
    let mut matched = winners.clone();
    matched.sort_unstable();
    assert_eq!(matched, (1..=RACERS as u64).collect::<Vec<_>>());
    for (version, status, returned) in &attempts {
        match status {
            200 => assert_eq!(*returned, version + 1, "a win bumps the version by one"),
            _ => assert!(returned > version, "a loser is told a newer version"),
        }
    }
    let stored = app.send(TestRequest::get(&path)).await.json();
    assert_eq!(
        stored["version"],
        1 + RACERS as u64,
        "final version = 1 + winners"
    );
    eprintln!(
        "concurrency: {RACERS} writers, {} conditional writes, {} won, {conflicts} lost with 412",
        attempts.len(),
        winners.len()
    );
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
