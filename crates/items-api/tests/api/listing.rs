use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{TestApp, TestRequest};

async fn list(app: &TestApp, params: &[(&str, &str)]) -> Value {
    let mut request = TestRequest::get("/items");
    for (name, value) in params {
        request = request.query(name, value);
    }
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Follows `last_key` to the end; returns the ids in the order served.
async fn list_all(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut page_params = params.to_vec();
        if let Some(cursor) = &cursor {
            page_params.push(("last_key", cursor));
        }
        let page = list(app, &page_params).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(page["count"], items.len());
        ids.extend(
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_string()),
        );
        match page.get("last_key") {
            Some(Value::String(next)) => cursor = Some(next.clone()),
            None => return ids,
            Some(other) => panic!("last_key must be a string or absent: {other}"),
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn pages_newest_first_with_nothing_lost_or_repeated() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for n in 0..45 {
        let item = app
            .create(&format!("item {n}"), &format!("user{}@example.com", n % 3))
            .await;
        created.push((
            item["created_at"].as_str().unwrap().to_string(),
            item["id"].as_str().unwrap().to_string(),
        ));
    }
    let first = list(&app, &[("limit", "10")]).await;
    assert_eq!(first["count"], 10);
    assert!(first["last_key"].is_string());

    let served = list_all(&app, &[("limit", "10")]).await;
    assert_eq!(served.len(), 45, "every item exactly once");
    assert_eq!(
        served.iter().collect::<HashSet<_>>().len(),
        45,
        "no item repeated"
    );
    let expected: HashSet<&String> = created.iter().map(|(_, id)| id).collect();
    assert_eq!(served.iter().collect::<HashSet<_>>(), expected);

    // Newest first: created_at never increases along the listing.
    let created_at: std::collections::HashMap<&str, &str> = created
        .iter()
        .map(|(at, id)| (id.as_str(), at.as_str()))
        .collect();
    let times: Vec<&str> = served.iter().map(|id| created_at[id.as_str()]).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // Default page size is 20.
    assert_eq!(list(&app, &[]).await["count"], 20);
}

#[tokio::test]
async fn status_selects_the_partition() {
    let app = TestApp::spawn().await;
    let a = app.create("a", "a@example.com").await;
    let b = app.create("b", "b@example.com").await;
    let id_b = b["id"].as_str().unwrap();
    let archived = app
        .send(TestRequest::put(
            format!("/items/{id_b}"),
            json!({"status": "archived"}),
        ))
        .await;
    assert_eq!(archived.status, 200);

    assert_eq!(list_all(&app, &[]).await, [a["id"].as_str().unwrap()]);
    assert_eq!(list_all(&app, &[("status", "archived")]).await, [id_b]);
    assert!(list_all(&app, &[("status", "inactive")]).await.is_empty());
    let empty = list(&app, &[("status", "inactive")]).await;
    assert_eq!(empty, json!({"items": [], "count": 0}));
}

#[tokio::test]
async fn email_uses_the_email_index() {
    let app = TestApp::spawn().await;
    let mut mine = HashSet::new();
    for n in 0..7 {
        let item = app.create(&format!("mine {n}"), "me@example.com").await;
        mine.insert(item["id"].as_str().unwrap().to_string());
        app.create(&format!("other {n}"), "other@example.com").await;
    }
    let served = list_all(&app, &[("email", "me@EXAMPLE.com"), ("limit", "3")]).await;
    assert_eq!(served.len(), 7);
    assert_eq!(served.into_iter().collect::<HashSet<_>>(), mine);

    let one = mine.iter().next().unwrap();
    let archived = app
        .send(TestRequest::put(
            format!("/items/{one}"),
            json!({"status": "archived"}),
        ))
        .await;
    assert_eq!(archived.status, 200);
    assert_eq!(
        list_all(&app, &[("email", "me@example.com"), ("status", "archived")]).await,
        std::slice::from_ref(one)
    );
}

#[tokio::test]
async fn bad_parameters_and_cursors_are_400() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.create("x", "x@example.com").await;
    }
    for limit in ["0", "101", "abc", "-5", "2.5"] {
        let body = app
            .send(TestRequest::get("/items").query("limit", limit))
            .await
            .assert_error(400, "INVALID_QUERY_PARAMETER");
        assert_eq!(body["fields"][0]["field"], "limit");
    }
    app.send(TestRequest::get("/items").query("status", "ACTIVE"))
        .await
        .assert_error(400, "INVALID_QUERY_PARAMETER");
    app.send(TestRequest::get("/items").query("email", "bad"))
        .await
        .assert_error(400, "INVALID_QUERY_PARAMETER");

    let page = list(&app, &[("limit", "1")]).await;
    let cursor = page["last_key"].as_str().unwrap().to_string();
    // The seed's cursor was a bare id; ours is signed, so forging one fails cleanly.
    for forged in [
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "eyJ2IjoxfQ.AAAA",
        "%%%",
        &cursor[1..],
    ] {
        app.send(TestRequest::get("/items").query("last_key", forged))
            .await
            .assert_error(400, "INVALID_CURSOR");
    }
    // A cursor from another query (another status) is foreign.
    app.send(
        TestRequest::get("/items")
            .query("status", "archived")
            .query("last_key", &cursor),
    )
    .await
    .assert_error(400, "INVALID_CURSOR");
    // The genuine cursor works.
    assert_eq!(
        list(&app, &[("limit", "1"), ("last_key", &cursor)]).await["count"],
        1
    );
}
