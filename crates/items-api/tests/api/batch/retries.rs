//! Retried batches: a replay under the same `Idempotency-Key` applied once and answered
//! again; DynamoDB's transaction conflict (mocked: the local engine cannot produce one) a 503.

use super::*;

#[tokio::test]
async fn a_replayed_batch_is_applied_once_and_answered_again() {
    let app = TestApp::spawn().await;
    let kept = app.create("kept", "a@example.com").await;
    let gone = app.create("gone", "a@example.com").await;
    let operations = json!([
        create("new"),
        {"op": "update", "id": kept["id"], "changes": {"name": "renamed"}},
        {"op": "delete", "id": gone["id"]},
    ]);
    let first = keyed(&app, "batch-1", operations.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let after_first = app.snapshot().await;

    let again = keyed(&app, "batch-1", operations.clone()).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json(), "answered like the first time");
    assert_eq!(app.snapshot().await, after_first, "applied once");
    let renamed = get(&app, kept["id"].as_str().unwrap()).await.json();
    assert_eq!(
        renamed["version"], 2,
        "the update without if_match is not applied twice"
    );

    let other = json!([{"op": "update", "id": kept["id"], "changes": {"name": "other"}}]);
    keyed(&app, "batch-1", other)
        .await
        .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(app.snapshot().await, after_first);

    // Another key is another batch; the key of another caller is another key.
    let fresh = keyed(&app, "batch-2", json!([create("new")])).await;
    assert_eq!(fresh.status, 200);
    assert_ne!(
        fresh.json()["results"][0]["item"]["id"],
        first.json()["results"][0]["item"]["id"]
    );

    // Deletes only: nothing carries the mark, so the retry is refused, still writing nothing.
    let third = app.create("third", "a@example.com").await;
    let deletes = json!([{"op": "delete", "id": third["id"]}]);
    assert_eq!(keyed(&app, "deletes", deletes.clone()).await.status, 200);
    let before = app.snapshot().await;
    let retry = keyed(&app, "deletes", deletes)
        .await
        .assert_error(409, "TRANSACTION_CANCELED");
    assert_eq!(retry["failures"][0]["code"], "ITEM_NOT_FOUND");
    assert_eq!(app.snapshot().await, before);
}

/// A conflicting transaction or throttling cancels with a reason DynamoDB means as "retry":
/// the local engine never produces it, so this one is mocked.
#[tokio::test]
async fn mocked_transaction_conflict_is_503_with_retry_after() {
    use aws_sdk_dynamodb::{
        Client,
        operation::transact_write_items::TransactWriteItemsError,
        types::{CancellationReason, error::TransactionCanceledException},
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use items_api::{App, CursorSigner, DynamoStore};

    let conflict = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .message("Transaction cancelled")
                .cancellation_reasons(CancellationReason::builder().code("None").build())
                .cancellation_reasons(
                    CancellationReason::builder()
                        .code("TransactionConflict")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&conflict]);
    let app = App::new(
        DynamoStore::new(client, TABLE),
        CursorSigner::new(b"k"),
        crate::support::archive_links(),
    );
    let request = TestRequest::post(
        "/items/batch",
        json!({"operations": [create("a"), create("b")]}),
    );
    let response = crate::support::send_event_to(&app, request.to_event()).await;
    response.assert_error(503, "THROTTLED");
    assert_eq!(response.header("retry-after"), Some("1"));
}
