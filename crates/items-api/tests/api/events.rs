//! The sample events in events/ (the ones `sam local invoke -e` takes) run through the
//! handler in a realistic order against a table that holds their item.

use std::path::Path;

use serde_json::Value;

use crate::support::TestApp;

fn event(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

const EVENT_ITEM_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

#[tokio::test]
async fn sample_events_drive_every_route() {
    let app = TestApp::spawn().await;

    let created = app.send_event(event("create-item.json")).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item = created.json();
    assert_eq!(
        created.header("location"),
        Some(format!("/prod/items/{}", item["id"].as_str().unwrap()).as_str())
    );
    let replay = app.send_event(event("create-item.json")).await;
    assert_eq!(replay.json(), item, "the event carries an Idempotency-Key");

    let invalid = app.send_event(event("create-item-invalid.json")).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["code"], "VALIDATION_FAILED");

    // The get/update/delete events name a fixed id: give the table that item.
    let mut seeded: domain::Item = serde_json::from_value(item.clone()).unwrap();
    seeded.id = domain::ItemId::parse(EVENT_ITEM_ID).unwrap();
    // Within the range of list-items-by-date.json, which the other item is not.
    seeded.created_at = domain::Timestamp::parse("2024-03-25T05:00:00Z").unwrap();
    let attributes: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::to_item(&seeded).unwrap();
    app.dynamo
        .client()
        .put_item()
        .table_name(crate::support::TABLE)
        .set_item(Some(attributes))
        .send()
        .await
        .unwrap();

    let listed = app.send_event(event("list-items.json")).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["count"], 2);
    let by_email = app.send_event(event("list-items-by-email.json")).await;
    assert_eq!(by_email.json()["count"], 2);
    let by_date = app.send_event(event("list-items-by-date.json")).await;
    assert_eq!(by_date.status, 200, "{}", by_date.text());
    assert_eq!(by_date.json()["items"][0]["id"], EVENT_ITEM_ID);
    assert_eq!(by_date.json()["count"], 1);

    let fetched = app.send_event(event("get-item.json")).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["id"], EVENT_ITEM_ID);
    let projected = app.send_event(event("get-item-fields.json")).await;
    assert_eq!(projected.status, 200, "{}", projected.text());
    assert_eq!(
        projected.json(),
        serde_json::json!({"id": EVENT_ITEM_ID, "version": 1, "name": item["name"], "status": item["status"]})
    );

    let updated = app.send_event(event("update-item.json")).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["status"], "inactive");
    let again = app.send_event(event("update-item.json")).await;
    assert_eq!(again.status, 412, "its If-Match: \"1\" is now stale");

    let batch = app.send_event(event("batch-items.json")).await;
    assert_eq!(batch.status, 200, "{}", batch.text());
    let results = batch.json()["results"].clone();
    assert_eq!(results[0]["status"], 201);
    assert_eq!(results[1]["item"]["id"], EVENT_ITEM_ID);
    assert_eq!(results[1]["item"]["version"], 3);
    let replayed = app.send_event(event("batch-items.json")).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        replayed.json()["results"],
        results,
        "the event carries an Idempotency-Key"
    );

    assert_eq!(app.send_event(event("delete-item.json")).await.status, 204);
    assert_eq!(app.send_event(event("get-item.json")).await.status, 404);
}

/// Every API Gateway event in events/ (the stream ones belong to stream-processor) is a
/// REST proxy request lambda_http accepts, with the request context API Gateway sends.
#[test]
fn every_api_event_file_parses_as_a_rest_request() {
    use lambda_http::{RequestExt, request::RequestContext};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut parsed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.starts_with("stream-") {
            continue;
        }
        let request = lambda_http::request::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(RequestContext::ApiGatewayV1(context)) = request.request_context_ref() else {
            panic!("{name}: not a REST (v1) proxy event");
        };
        assert_eq!(context.stage.as_deref(), Some("prod"), "{name}");
        assert!(
            context.identity.api_key.is_some(),
            "{name}: carries the API key identity"
        );
        assert!(request.raw_http_path().starts_with("/items"), "{name}");
        parsed += 1;
    }
    assert_eq!(parsed, 13);
}
