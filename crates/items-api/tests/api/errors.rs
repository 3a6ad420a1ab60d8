//! Every client error: a JSON body with a stable code and a 4xx, and nothing stored changes.

use serde_json::json;

use crate::support::{TestApp, TestRequest};

#[tokio::test]
async fn validation_reports_every_field() {
    let app = TestApp::spawn().await;
    let response = app
        .send(TestRequest::post(
            "/items",
            json!({"name": "", "email": "nope", "status": "deleted", "id": "mine", "colour": "red", "description": "d".repeat(2001)}),
        ))
        .await;
    let body = response.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(body["error"], "Validation failed");
    let mut fields: Vec<(String, String)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    fields.sort();
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        ["colour", "description", "email", "id", "name", "status"]
    );
    assert!(fields.contains(&("colour".into(), "unknown field".into())));
    assert!(fields.contains(&("id".into(), "is read-only".into())));
}

#[tokio::test]
async fn missing_required_fields_and_wrong_types() {
    let app = TestApp::spawn().await;
    let body = app
        .send(TestRequest::post("/items", json!({"name": 5})))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(
        body["fields"],
        json!([
            {"field": "name", "reason": "must be a string"},
            {"field": "email", "reason": "is required"},
        ])
    );
    let body = app
        .send(TestRequest::post("/items", json!(["a"])))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(body["fields"][0]["field"], "body");
}

#[tokio::test]
async fn broken_json_and_empty_bodies() {
    let app = TestApp::spawn().await;
    for body in ["{\"name\": ", "", "null x", "\u{feff}{}"] {
        let body = app
            .send(TestRequest::new("POST", "/items").raw_body(body))
            .await
            .assert_error(400, "INVALID_JSON");
        assert_eq!(body["error"], "Invalid JSON in request body");
    }
    app.send(TestRequest::new("POST", "/items"))
        .await
        .assert_error(400, "INVALID_JSON");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let huge =
        json!({"name": "x", "email": "a@example.com", "description": "d".repeat(300 * 1024)});
    let body = app
        .send(TestRequest::post("/items", huge))
        .await
        .assert_error(413, "PAYLOAD_TOO_LARGE");
    assert!(body["error"].as_str().unwrap().contains("262144"));
    let item = app.create("Kept", "kept@example.com").await;
    let id = item["id"].as_str().unwrap();
    app.send(TestRequest::put(
        format!("/items/{id}"),
        json!({"description": "d".repeat(300 * 1024)}),
    ))
    .await
    .assert_error(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(
        app.send(TestRequest::get(format!("/items/{id}")))
            .await
            .json(),
        item
    );
}

#[tokio::test]
async fn item_size_and_attribute_limits_are_400_and_change_nothing() {
    let app = TestApp::spawn().await;
    // The largest valid item: every field at its limit, far below DynamoDB's 400 KB.
    let big_attributes = json!({"blob": "a".repeat(16 * 1024 - 12)});
    let largest = json!({"name": "n".repeat(200), "email": "a@example.com",
        "description": "d".repeat(2000), "attributes": big_attributes});
    let created = app.send(TestRequest::post("/items", largest)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item = created.json();
    let path = format!("/items/{}", item["id"].as_str().unwrap());

    let mut nested = json!("leaf");
    for _ in 0..17 {
        nested = json!({ "k": nested });
    }
    let over_the_limits = [
        json!({"attributes": {"blob": "a".repeat(16 * 1024)}}),
        json!({"attributes": nested}),
        json!({"attributes": {"n": 1e200}}),
        json!({"attributes": {"": 1}}),
        json!({"attributes": [1, 2]}),
        json!({"name": "n".repeat(201)}),
        json!({"email": format!("{}@example.com", "a".repeat(250))}),
    ];
    for patch in over_the_limits {
        let mut new_item = patch.clone();
        new_item["name"] = new_item.get("name").cloned().unwrap_or(json!("ok"));
        new_item["email"] = new_item
            .get("email")
            .cloned()
            .unwrap_or(json!("ok@example.com"));
        let field = patch.as_object().unwrap().keys().next().unwrap().clone();
        for request in [
            TestRequest::post("/items", new_item),
            TestRequest::put(&path, patch),
        ] {
            let body = app
                .send(request)
                .await
                .assert_error(400, "VALIDATION_FAILED");
            assert_eq!(body["fields"][0]["field"], field.as_str(), "{body}");
        }
    }
    assert_eq!(app.send(TestRequest::get(&path)).await.json(), item);
    assert_eq!(
        app.send(TestRequest::get("/items")).await.json()["count"],
        1
    );
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::spawn().await;
    app.send(TestRequest::get("/users"))
        .await
        .assert_error(404, "ROUTE_NOT_FOUND");
    app.send(TestRequest::get(
        "/items/0f8fad5b-d9cb-469f-a165-70867728950e/history",
    ))
    .await
    .assert_error(404, "ROUTE_NOT_FOUND");
    let response = app.send(TestRequest::delete("/items")).await;
    response.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(response.header("allow"), Some("GET, POST, OPTIONS"));
    let response = app
        .send(TestRequest::new(
            "PATCH",
            "/items/0f8fad5b-d9cb-469f-a165-70867728950e",
        ))
        .await;
    response.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(response.header("allow"), Some("GET, PUT, DELETE, OPTIONS"));
}

#[tokio::test]
async fn malformed_ids_are_400() {
    let app = TestApp::spawn().await;
    app.send(TestRequest::get("/items/a%2Fb"))
        .await
        .assert_error(400, "INVALID_ID");
    app.send(TestRequest::put("/items/bad%00id", json!({"name": "x"})))
        .await
        .assert_error(400, "INVALID_ID");
    app.send(TestRequest::delete(format!("/items/{}", "x".repeat(256))))
        .await
        .assert_error(400, "INVALID_ID");
    // Well-formed (the original service's ids are any string): unknown, never an expression.
    app.send(TestRequest::put("/items/' OR 1=1", json!({"name": "x"})))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
}

#[tokio::test]
async fn read_only_fields_cannot_be_updated() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let id = item["id"].as_str().unwrap();
    for body in [
        json!({"id": "x"}),
        json!({"created_at": "2020-01-01T00:00:00.000Z"}),
        json!({"version": 99}),
        json!({"name": "B", "updated_at": "x"}),
    ] {
        let response = app
            .send(TestRequest::put(format!("/items/{id}"), body))
            .await;
        let error = response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(error["fields"][0]["reason"], "is read-only");
    }
    let body = app
        .send(TestRequest::put(format!("/items/{id}"), json!({})))
        .await
        .assert_error(400, "VALIDATION_FAILED");
    assert_eq!(body["fields"][0]["field"], "body");
    assert_eq!(
        app.send(TestRequest::get(format!("/items/{id}")))
            .await
            .json(),
        item,
        "nothing changed"
    );
}

#[tokio::test]
async fn update_and_delete_of_missing_items_are_404() {
    let app = TestApp::spawn().await;
    let path = "/items/0f8fad5b-d9cb-469f-a165-70867728950e";
    app.send(TestRequest::put(path, json!({"name": "x"})))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    app.send(TestRequest::put(path, json!({"name": "x"})).header("if-match", "\"1\""))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    app.send(TestRequest::delete(path).header("if-match", "*"))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    // A PUT must not create the item as a side effect.
    app.send(TestRequest::get(path))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
}

#[tokio::test]
async fn malformed_conditional_headers_are_400() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let path = format!("/items/{}", item["id"].as_str().unwrap());
    app.send(TestRequest::put(&path, json!({"name": "x"})).header("if-match", "yesterday"))
        .await
        .assert_error(400, "INVALID_HEADER");
    app.send(TestRequest::delete(&path).header("if-match", "W/\"1\""))
        .await
        .assert_error(400, "INVALID_HEADER");
    app.send(TestRequest::get(&path).header("if-none-match", "soon"))
        .await
        .assert_error(400, "INVALID_HEADER");
    app.send(
        TestRequest::post("/items", json!({"name": "a", "email": "a@example.com"}))
            .header("idempotency-key", &"k".repeat(300)),
    )
    .await
    .assert_error(400, "INVALID_HEADER");
    assert_eq!(
        app.send(TestRequest::get(&path)).await.json(),
        item,
        "nothing changed"
    );
}
