use base64::Engine;
use serde_json::json;

use crate::support::{TestApp, TestRequest};

#[tokio::test]
async fn create_get_update_delete_round_trip() {
    let app = TestApp::spawn().await;

    let created = app
        .send(TestRequest::post(
            "/items",
            json!({"name": "  Widget ", "email": "Owner@Example.COM", "description": "blue", "attributes": {"size": 3, "tags": ["a", "b"], "ratio": 0.5}}),
        ))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item = created.json();
    let id = item["id"].as_str().unwrap().to_string();
    assert_eq!(item["name"], "Widget");
    assert_eq!(item["email"], "Owner@example.com");
    assert_eq!(item["status"], "active");
    assert_eq!(item["version"], 1);
    assert_eq!(
        item["attributes"],
        json!({"size": 3, "tags": ["a", "b"], "ratio": 0.5})
    );
    assert_eq!(item["created_at"], item["updated_at"]);
    assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        created.header("location"),
        Some(format!("/prod/items/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);

    let fetched = app.send(TestRequest::get(format!("/items/{id}"))).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), item);
    assert_eq!(fetched.header("etag"), Some("\"1\""));

    let not_modified = app
        .send(TestRequest::get(format!("/items/{id}")).header("if-none-match", "\"1\""))
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some("\"1\""));

    // `name` and `status` are DynamoDB reserved words: the seed's update failed on them.
    let updated = app
        .send(TestRequest::put(
            format!("/items/{id}"),
            json!({"name": "Gadget", "status": "archived"}),
        ))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated_item = updated.json();
    assert_eq!(updated_item["name"], "Gadget");
    assert_eq!(updated_item["status"], "archived");
    assert_eq!(updated_item["version"], 2);
    assert_eq!(
        updated_item["description"], "blue",
        "fields not sent are kept"
    );
    assert_eq!(updated_item["created_at"], item["created_at"]);
    assert!(updated_item["updated_at"].as_str() >= item["updated_at"].as_str());
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let stale = app
        .send(TestRequest::get(format!("/items/{id}")).header("if-none-match", "\"1\""))
        .await;
    assert_eq!(stale.status, 200, "an old ETag gets the new version");
    assert_eq!(stale.json(), updated_item);

    let deleted = app.send(TestRequest::delete(format!("/items/{id}"))).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(deleted.header("access-control-allow-origin"), Some("*"));

    app.send(TestRequest::get(format!("/items/{id}")))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
    app.send(TestRequest::delete(format!("/items/{id}")))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");
}

#[tokio::test]
async fn curl_dash_d_without_json_content_type_works() {
    let app = TestApp::spawn().await;
    // `curl -d '{...}'` sends application/x-www-form-urlencoded.
    let request = TestRequest::new("POST", "/items")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw_body(r#"{"name":"Form","email":"form@example.com"}"#);
    let response = app.send(request).await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["name"], "Form");
}

#[tokio::test]
async fn base64_encoded_bodies_are_decoded() {
    let app = TestApp::spawn().await;
    let body = base64::engine::general_purpose::STANDARD
        .encode(r#"{"name":"B64","email":"b64@example.com"}"#);
    let mut request = TestRequest::new("POST", "/items").raw_body(body);
    request.base64 = true;
    let response = app.send(request).await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["name"], "B64");
}

#[tokio::test]
async fn update_replaces_attributes_and_description() {
    let app = TestApp::spawn().await;
    let item = app.create("A", "a@example.com").await;
    let id = item["id"].as_str().unwrap();
    let response = app
        .send(TestRequest::put(
            format!("/items/{id}"),
            json!({"attributes": {"nested": {"deep": [1, {"x": null}]}}, "description": "", "email": "new@example.org"}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let stored = app
        .send(TestRequest::get(format!("/items/{id}")))
        .await
        .json();
    assert_eq!(
        stored["attributes"],
        json!({"nested": {"deep": [1, {"x": null}]}})
    );
    assert_eq!(stored["email"], "new@example.org");
    assert_eq!(stored["description"], "");
    assert_eq!(stored["name"], "A");
}

#[tokio::test]
async fn preflight_answers_with_cors() {
    let app = TestApp::spawn().await;
    let response = app.send(TestRequest::new("OPTIONS", "/items")).await;
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("GET,POST,PUT,DELETE,OPTIONS")
    );
}
