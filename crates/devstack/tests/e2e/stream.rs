//! The stream path: changes reach the archive and the topic, no personal data in either
//! function's logs, a failing processor retried and then dead-lettered.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_archive_and_the_topic_within_seconds() {
    let stack = stack().await;
    let clients = stack.clients();
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Streamed", "email": "s@example.com"})),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap().to_string();
    let started = Instant::now();

    let key = eventually(Duration::from_secs(10), || async {
        archive_keys(&clients)
            .await?
            .into_iter()
            .find(|k| k.ends_with(&format!("{id}.json")))
    })
    .await
    .expect("the archive object appears");
    assert!(key.starts_with("backups/"));
    let notification = eventually(Duration::from_secs(10), || async {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&stack.inbox_queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .ok()?;
        let body = received.messages().first()?.body()?.to_string();
        serde_json::from_str::<Value>(&body).ok()
    })
    .await
    .expect("the notification arrives in the subscribed queue");
    assert_eq!(notification["Subject"], "Item created");
    let message: Value = serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["item_id"], id.as_str());
    let elapsed = started.elapsed();
    eprintln!("write -> archive object + notification: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_crud_run_leaves_no_personal_data_in_either_functions_logs() {
    let stack = stack_with(Output::Captured).await;
    let secrets = [
        "private.person@example.com",
        "second.person@example.org",
        "Secret Name",
        "confidential description",
        "not-an-address-secret",
    ];
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Secret Name", "email": "private.person@example.com",
                    "description": "confidential description", "attributes": {"k": "confidential description"}})),
    )
    .await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let item = format!("/items/{id}");
    assert_eq!(
        call(&stack, "GET", &item, Some(KEY), None).await.status,
        200
    );
    let by_email = "/items?email=private.person%40example.com";
    assert_eq!(
        call(&stack, "GET", by_email, Some(KEY), None).await.status,
        200
    );
    let refused = json!({"email": "not-an-address-secret", "name": "Secret Name"});
    assert_eq!(
        call(&stack, "PUT", &item, Some(KEY), Some(refused))
            .await
            .status,
        400
    );
    let update = json!({"email": "second.person@example.org"});
    assert_eq!(
        call(&stack, "PUT", &item, Some(KEY), Some(update))
            .await
            .status,
        200
    );
    assert_eq!(
        call(&stack, "DELETE", &item, Some(KEY), None).await.status,
        204
    );

    // The stream processor has handled all three changes once the tombstone is archived.
    let clients = stack.clients();
    eventually(Duration::from_secs(15), || async {
        archive_keys(&clients)
            .await?
            .iter()
            .any(|k| k.contains(&format!("{id}/deleted-v")))
            .then_some(())
    })
    .await
    .expect("the delete is archived");
    // …and has logged the batch that carried it: it logs a batch after its side effects, so
    // the archive object can exist a moment before the log line does.
    let batch_records = || {
        stack
            .functions
            .iter()
            .flat_map(|host| host.output())
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
            .filter(|line| line["fields"]["message"] == "batch")
            .filter_map(|line| line["fields"]["records"].as_u64())
            .sum::<u64>()
    };
    eventually(Duration::from_secs(5), || async {
        (batch_records() >= 3).then_some(())
    })
    .await
    .expect("the stream processor logged the batches of all three changes");

    for host in &stack.functions {
        let logs = host.output().join("\n");
        assert!(!logs.is_empty(), "{} logged nothing to judge", host.name());
        for secret in secrets {
            assert!(
                !logs.contains(secret),
                "{} logged {secret:?}:\n{logs}",
                host.name()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_processor_is_retried_then_dead_lettered() {
    let stack = stack().await;
    let clients = stack.clients();
    // Without its bucket, every archive write fails and the processor reports the record.
    clients
        .s3
        .delete_bucket()
        .bucket(BUCKET_NAME)
        .send()
        .await
        .unwrap();
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Doomed", "email": "d@example.com"})),
    )
    .await;
    assert_eq!(created.status, 201);

    let dead_letter = eventually(Duration::from_secs(30), || async {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&stack.dead_letter_queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .ok()?;
        serde_json::from_str::<Value>(received.messages().first()?.body()?).ok()
    })
    .await
    .expect("the batch lands in the dead-letter queue");
    assert_eq!(
        dead_letter["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    // MaximumRetryAttempts 5 in the template: the first try and five retries.
    assert_eq!(dead_letter["requestContext"]["approximateInvokeCount"], 6);
    let batch = &dead_letter["DDBStreamBatchInfo"];
    assert_eq!(batch["batchSize"], 1);
    assert!(batch["streamArn"].as_str().unwrap().contains("/stream/"));
    assert!(
        batch["startSequenceNumber"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}
