//! `POST /items/{id}/restore` through the real handler, over histories written as the stream
//! processor writes them (see `history`).

use aws_sdk_dynamodb::types::AttributeValue;
use domain::history;
use serde_json::{Value, json};

use domain::HistoryEvent;

use crate::history::{delete_recorded, record, three_versions};
use crate::support::{TestApp, TestRequest};

#[tokio::test]
async fn a_deleted_item_is_restored_at_the_next_version_with_the_old_fields() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    let created_at = app.stored(&id).await["created_at"].clone();
    delete_recorded(&app, &id).await;

    let restored = app
        .send(TestRequest::post(
            format!("/items/{id}/restore"),
            json!({"version": 2}),
        ))
        .await;
    assert_eq!(restored.status, 201, "{}", restored.text());
    assert_eq!(restored.header("etag"), Some("\"4\""));
    assert_eq!(
        restored.header("location"),
        Some(format!("/prod/items/{id}").as_str())
    );
    let item = restored.json();
    assert_eq!(
        (item["name"].as_str(), item["status"].as_str()),
        (Some("Gadget"), Some("active"))
    );
    assert_eq!(item["version"], 4);
    assert_eq!(item["created_at"], created_at.as_s().unwrap().as_str());
    assert_ne!(item["updated_at"], item["created_at"]);

    let fetched = app.send(TestRequest::get(format!("/items/{id}"))).await;
    assert_eq!(fetched.json(), item, "the mark stays internal");
    let raw = app.stored(&id).await;
    assert_eq!(
        raw[history::RESTORED_VERSION],
        AttributeValue::N("4".into())
    );
}

#[tokio::test]
async fn without_a_version_the_last_one_before_the_deletion_comes_back() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    delete_recorded(&app, &id).await;
    let restored = app
        .send(TestRequest::new("POST", format!("/items/{id}/restore")))
        .await;
    assert_eq!(restored.status, 201, "{}", restored.text());
    let item = restored.json();
    assert_eq!(
        (item["status"].as_str(), item["version"].as_u64()),
        (Some("archived"), Some(4))
    );
}

#[tokio::test]
async fn an_existing_item_gets_the_versions_fields_as_its_next_version() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    let path = format!("/items/{id}/restore");
    let unversioned = app.send(TestRequest::new("POST", path.clone())).await;
    assert_eq!(
        unversioned.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        3,
        "a restore without a version presumes a deleted item"
    );
    let stale = app
        .send(TestRequest::post(path.clone(), json!({"version": 1})).header("if-match", "\"2\""))
        .await;
    assert_eq!(
        stale.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        3
    );
    for missing in [7, u64::MAX / 2 + 1, u64::MAX] {
        app.send(TestRequest::post(path.clone(), json!({"version": missing})))
            .await
            .assert_error(404, "VERSION_NOT_FOUND");
    }

    let restored = app
        .send(TestRequest::post(path.clone(), json!({"version": 1})).header("if-match", "\"3\""))
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(restored.header("etag"), Some("\"4\""));
    let item = restored.json();
    assert_eq!(
        (item["name"].as_str(), item["status"].as_str()),
        (Some("Widget"), Some("active"))
    );
    assert_eq!(item["version"], 4);
    let raw = app.stored(&id).await;
    assert_eq!(
        raw[history::RESTORED_VERSION],
        AttributeValue::N("4".into())
    );
    // The create's fingerprint (an internal attribute) survives the whole-item write.
    let snapshot = app.snapshot().await;
    assert_eq!(snapshot.len(), 1);
}

/// Another tool stored a version the item cannot go beyond (`u64::MAX`) or one that is no
/// version of ours: the restore is refused with the attribute named, and the item is left as
/// it was (before, the next version was `u64::MAX + 1`: a panic, or 0 in a release build).
#[tokio::test]
async fn an_item_whose_stored_version_cannot_be_followed_is_not_restored_over() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    let path = format!("/items/{id}/restore");
    for stored in [u64::MAX.to_string(), "1.5".into()] {
        app.set_stored(&id, "version", AttributeValue::N(stored.clone()))
            .await;
        let before = app.snapshot().await;
        let refused = app
            .send(TestRequest::post(path.clone(), json!({"version": 1})))
            .await
            .assert_error(422, "UNREPRESENTABLE_ITEM");
        assert_eq!(
            refused["fields"][0]["field"], "version",
            "{stored}: {refused}"
        );
        assert_eq!(app.snapshot().await, before, "{stored}: nothing written");
    }
}

#[tokio::test]
async fn a_keyed_restore_is_applied_once_and_a_reused_key_is_refused() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    delete_recorded(&app, &id).await;
    let path = format!("/items/{id}/restore");
    let keyed =
        |body: Value| TestRequest::post(path.clone(), body).header("idempotency-key", "restore-1");
    let first = app.send(keyed(json!({"version": 1}))).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = app.send(keyed(json!({"version": 1}))).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(
        app.stored(&id).await["version"],
        AttributeValue::N("4".into())
    );
    app.send(keyed(json!({"version": 2})))
        .await
        .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn restores_refuse_what_the_history_cannot_answer() {
    let app = TestApp::spawn().await;
    app.send(TestRequest::post("/items/no-such-item/restore", json!({})))
        .await
        .assert_error(404, "ITEM_NOT_FOUND");

    // Deleted, but the stream has not brought the deletion into the history yet.
    let id = three_versions(&app).await;
    let deleted = app.send(TestRequest::delete(format!("/items/{id}"))).await;
    assert_eq!(deleted.status, 204);
    let pending = app
        .send(TestRequest::post(format!("/items/{id}/restore"), json!({})))
        .await;
    pending.assert_error(409, "HISTORY_PENDING");
    assert_eq!(pending.header("retry-after"), Some("1"));

    for body in [
        r#"{"version": "2"}"#,
        r#"{"version": 2, "name": "x"}"#,
        "[]",
    ] {
        app.send(TestRequest::new("POST", format!("/items/{id}/restore")).raw_body(body))
            .await
            .assert_error(400, "VALIDATION_FAILED");
    }
    let before = app.snapshot().await;
    assert!(
        before.is_empty(),
        "nothing was written by a refused restore"
    );
}

/// An existing item's version that the history has not recorded yet (changed a moment ago):
/// 409 `HISTORY_PENDING`, to retry, not a 404 that reads as final; a version the item never
/// had, or one the history skipped, stays 404.
#[tokio::test]
async fn a_restore_of_a_version_the_history_has_not_caught_up_with_is_pending() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    let updated = app
        .send(TestRequest::put(
            format!("/items/{id}"),
            json!({"name": "Fresh"}),
        ))
        .await;
    assert_eq!(updated.status, 200, "version 4, not recorded yet");
    let restore = |version: u64| {
        let body = json!({ "version": version });
        app.send(TestRequest::post(format!("/items/{id}/restore"), body))
    };

    let pending = restore(4).await;
    pending.assert_error(409, "HISTORY_PENDING");
    assert_eq!(pending.header("retry-after"), Some("1"));
    restore(5).await.assert_error(404, "VERSION_NOT_FOUND");

    record(
        &app,
        app.stored(&id).await,
        HistoryEvent::Updated,
        &["name"],
    )
    .await;
    assert_eq!(restore(4).await.status, 200, "recorded now: restored");
    // Version 5 (the restore) is not recorded: newer than the history's newest, so pending;
    // a version below the newest that the history lacks is not coming.
    restore(5).await.assert_error(409, "HISTORY_PENDING");
    restore(0).await.assert_error(404, "VERSION_NOT_FOUND");

    // Changed more than a day ago (the stream's retention), the history will never have it.
    let long_ago = AttributeValue::S("2024-01-01T00:00:00Z".into());
    app.set_stored(&id, "updated_at", long_ago).await;
    restore(5).await.assert_error(404, "VERSION_NOT_FOUND");
}

/// Restored, changed and deleted again before the stream brought any of it into the history:
/// the newest entry is the first deletion. The restore then waits (409 `HISTORY_PENDING`)
/// instead of writing version 4 again with the first life's fields, and goes on past the
/// second life once the history has it. (Before, it answered 201 at version 4: the walk-through
/// found versions reused and going backwards, and the history keeping only the first of each.)
#[tokio::test]
async fn a_restore_waits_for_a_life_the_history_does_not_have_yet() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    delete_recorded(&app, &id).await;
    let path = format!("/items/{id}/restore");
    let first = app.send(TestRequest::new("POST", path.clone())).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["version"], 4);
    let restored = app.stored(&id).await;
    let updated = app
        .send(TestRequest::put(
            format!("/items/{id}"),
            json!({"name": "Second life"}),
        ))
        .await;
    assert_eq!(updated.json()["version"], 5);
    let last = app.stored(&id).await;
    let deleted = app.send(TestRequest::delete(format!("/items/{id}"))).await;
    assert_eq!(deleted.status, 204);

    let pending = app.send(TestRequest::new("POST", path.clone())).await;
    pending.assert_error(409, "HISTORY_PENDING");
    assert_eq!(pending.header("retry-after"), Some("1"));
    let named = app
        .send(TestRequest::post(path.clone(), json!({"version": 2})))
        .await;
    named.assert_error(409, "HISTORY_PENDING");
    assert!(
        app.snapshot().await.is_empty(),
        "nothing written while the history is behind"
    );

    record(&app, restored, HistoryEvent::Restored, &[]).await;
    record(&app, last.clone(), HistoryEvent::Updated, &["name"]).await;
    record(&app, last, HistoryEvent::Deleted, &[]).await;
    let again = app.send(TestRequest::new("POST", path)).await;
    assert_eq!(again.status, 201, "{}", again.text());
    let item = again.json();
    assert_eq!(
        (item["version"].as_u64(), item["name"].as_str()),
        (Some(6), Some("Second life"))
    );
    let versions = app
        .send(TestRequest::get(format!("/items/{id}/versions")))
        .await
        .json();
    assert!(
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["version"].as_u64().unwrap() <= 5),
        "the claims stay out of the history: {versions}"
    );
    // The two claims, as template.yaml lets the API's role write them: under `claim/` keys,
    // with these attributes and no others.
    let claims = app
        .dynamo
        .client()
        .query()
        .table_name(crate::support::HISTORY_TABLE)
        .key_condition_expression("id = :id")
        .expression_attribute_values(":id", AttributeValue::S(format!("claim/{id}")))
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let seqs: Vec<&str> = claims
        .iter()
        .map(|c| c["seq"].as_n().unwrap().as_str())
        .collect();
    assert_eq!(seqs, ["4", "6"]);
    for claim in &claims {
        let mut names: Vec<&str> = claim.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["claimed_at", "expires_at", "id", "seq"]);
    }
}

/// Two restores of one deleted item at once: one brings it back (201), the other finds it
/// back and is told so (412 with its version), not that its body lacks a version (400, as
/// before when the two met in DynamoDB).
#[tokio::test]
async fn of_two_restores_at_once_one_wins_and_the_other_is_told_the_item_is_back() {
    let app = TestApp::spawn().await;
    let id = three_versions(&app).await;
    delete_recorded(&app, &id).await;
    let path = format!("/items/{id}/restore");
    let (a, b) = tokio::join!(
        app.send(TestRequest::new("POST", path.clone())),
        app.send(TestRequest::new("POST", path.clone())),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 412], "{} / {}", a.text(), b.text());
    let lost = if a.status == 412 { a } else { b };
    assert_eq!(
        lost.assert_error(412, "PRECONDITION_FAILED")["current_version"],
        4
    );
    assert_eq!(
        app.stored(&id).await["version"],
        AttributeValue::N("4".into())
    );
}
