//! `fields=` on `GET /items/{id}` and `GET /items`: only `id`, `version` and the fields
//! named, read with a ProjectionExpression; the `ETag` and 304 as without it.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::support::{TABLE, TestApp, TestRequest};

fn keys(item: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn get_shows_only_the_fields_named_with_the_same_etag_and_304() {
    let app = TestApp::spawn().await;
    let item = app.create("Widget", "owner@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());

    let full = app.send(TestRequest::get(&path)).await;
    let projected = app
        .send(TestRequest::get(&path).query("fields", "status, name"))
        .await;
    assert_eq!(projected.status, 200, "{}", projected.text());
    assert_eq!(
        projected.json(),
        json!({"id": item["id"], "version": 1, "name": "Widget", "status": "active"})
    );
    assert_eq!(projected.header("etag"), Some("\"1\""));
    assert_eq!(projected.header("etag"), full.header("etag"));

    let every = "name,email,description,status,created_at,updated_at,attributes";
    let all = app
        .send(TestRequest::get(&path).query("fields", every))
        .await;
    assert_eq!(
        all.json(),
        full.json(),
        "every field named is the full item"
    );

    let current = TestRequest::get(&path)
        .query("fields", "name")
        .header("if-none-match", "\"1\"");
    let not_modified = app.send(current.clone()).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some("\"1\""));

    let updated = app
        .send(TestRequest::put(&path, json!({"name": "Gadget"})))
        .await;
    assert_eq!(updated.status, 200);
    let changed = app.send(current).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    assert_eq!(
        changed.json(),
        json!({"id": item["id"], "version": 2, "name": "Gadget"})
    );
}

#[tokio::test]
async fn a_field_stored_without_a_value_reads_as_in_a_full_read() {
    let app = TestApp::spawn().await;
    let item = app.create("Old", "old@example.com").await;
    let id = item["id"].as_str().unwrap();
    app.dynamo
        .client()
        .update_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S(id.into()))
        .update_expression("REMOVE description, attributes")
        .send()
        .await
        .unwrap();
    let path = format!("/items/{id}");
    let full = app.send(TestRequest::get(&path)).await.json();
    let projected = app
        .send(TestRequest::get(&path).query("fields", "attributes,description"))
        .await
        .json();
    // Absent `description` is left out, absent `attributes` is `{}`, as a full read has them.
    assert!(full.get("description").is_none(), "{full}");
    assert_eq!(full["attributes"], json!({}));
    assert_eq!(projected["attributes"], json!({}));
    assert_eq!(keys(&projected), ["attributes", "id", "version"]);
}

#[tokio::test]
async fn listing_projects_every_item_and_pages_as_without_it() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        app.create(&format!("item {n}"), "list@example.com").await;
    }
    let full = app
        .send(TestRequest::get("/items").query("limit", "5"))
        .await
        .json();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = TestRequest::get("/items")
            .query("fields", "created_at")
            .query("limit", "2");
        if let Some(cursor) = &cursor {
            request = request.query("last_key", cursor);
        }
        let page = app.send(request).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        for item in page["items"].as_array().unwrap() {
            assert_eq!(keys(item), ["created_at", "id", "version"], "{item}");
            ids.push(item["id"].clone());
        }
        match page.get("last_key") {
            Some(next) => cursor = Some(next.as_str().unwrap().to_string()),
            None => break,
        }
    }
    let full_ids: Vec<Value> = full["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].clone())
        .collect();
    assert_eq!(ids, full_ids, "the same items in the same order");

    let by_email = app
        .send(
            TestRequest::get("/items")
                .query("email", "list@example.com")
                .query("status", "active")
                .query("fields", "status"),
        )
        .await
        .json();
    assert_eq!(by_email["count"], 5);
    assert_eq!(by_email["items"][0]["status"], "active");
    assert_eq!(keys(&by_email["items"][0]), ["id", "status", "version"]);
}

#[tokio::test]
async fn unknown_repeated_and_always_returned_fields_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let item_path = format!("/items/{}", item["id"].as_str().unwrap());
    for path in ["/items", item_path.as_str()] {
        for (fields, named) in [
            (vec!["name,colour"], "`colour`"),
            (vec!["name,status,name"], "`name` is named twice"),
            (vec!["id,name"], "`id` is always returned"),
            (vec!["version"], "`version` is always returned"),
            (vec![""], "``"),
            (vec!["name", "status"], "at most once"),
        ] {
            let mut request = TestRequest::get(path);
            for value in &fields {
                request = request.query("fields", value);
            }
            let body = app
                .send(request)
                .await
                .assert_error(400, "INVALID_QUERY_PARAMETER");
            assert_eq!(body["fields"][0]["field"], "fields", "{body}");
            let reason = body["fields"][0]["reason"].as_str().unwrap();
            assert!(reason.contains(named), "{path} {fields:?}: {reason}");
        }
    }
}

/// Items the original service stored project by the rules of a full read: times without a
/// zone as UTC, no `version` as 0, no `updated_at` as `created_at`, no `email` left out.
#[tokio::test]
async fn items_of_the_original_service_project_as_they_read() {
    let app = TestApp::spawn().await;
    crate::original::store_every_shape(&app).await;
    let fields = "email,updated_at,status";
    let full = app.send(TestRequest::get("/items/item1")).await.json();
    let projected = app
        .send(TestRequest::get("/items/item1").query("fields", fields))
        .await;
    assert_eq!(projected.status, 200, "{}", projected.text());
    assert_eq!(projected.header("etag"), Some("\"0\""));
    assert_eq!(
        projected.json(),
        json!({"id": "item1", "version": 0, "status": "active", "updated_at": full["updated_at"]})
    );
    assert_eq!(full["updated_at"], "2024-03-25T10:00:00.000Z");

    // The unrepresentable attribute only matters when it is asked for.
    let status = app
        .send(TestRequest::get("/items/unrepresentable").query("fields", "status"))
        .await;
    assert_eq!(status.status, 200, "{}", status.text());
    let name = app
        .send(TestRequest::get("/items/unrepresentable").query("fields", "name"))
        .await
        .assert_error(422, "UNREPRESENTABLE_ITEM");
    assert_eq!(name["fields"][0]["field"], "name");
}
