//! The stream path: changes reach the archive and the topic, a subscriber's filter policy on
//! `version` leaves out copies, no personal data in either function's logs, a failing
//! processor retried and then dead-lettered.

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
    // moto's GetBucketVersioning answer does not parse; an object's version id shows it.
    let versions = clients.s3.list_object_versions().bucket(BUCKET_NAME);
    let versions = versions.prefix(&key).send().await.unwrap();
    let version_id = versions.versions().first().and_then(|v| v.version_id());
    assert!(
        version_id.is_some_and(|id| id != "null"),
        "the archive keeps every version, as template.yaml's bucket does: {version_id:?}"
    );
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

/// README's filter policy for a subscriber that wants no notification of the copies
/// `scripts/migrate` writes (created at version 0), as SNS (here moto) matches it: every
/// other change passes, a deletion at version 0 included, and so do the alarms, which carry
/// no attributes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_policy_on_version_leaves_out_the_copies_of_a_migration() {
    use aws_sdk_dynamodb::types::AttributeValue;

    let stack = stack().await;
    let clients = stack.clients();
    let queue_url = clients
        .sqs
        .create_queue()
        .queue_name("api-writes-only")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .unwrap();
    clients
        .sns
        .subscribe()
        .topic_arn(&stack.names["NotificationsTopic"])
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("FilterPolicy", NOT_COPIES)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    let s = |text: &str| AttributeValue::S(text.into());
    clients
        .dynamodb
        .put_item()
        .table_name(&stack.names["ItemsTable"])
        .item("id", s("copied-1"))
        .item("name", s("Copied"))
        .item("email", s("c@example.com"))
        .item("description", s(""))
        .item("status", s("active"))
        .item("created_at", s("2024-03-25T10:00:00.000Z"))
        .item("updated_at", s("2024-03-25T10:00:00.000Z"))
        .item("version", AttributeValue::N("0".into()))
        .item("attributes", AttributeValue::M(Default::default()))
        .send()
        .await
        .unwrap();
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Through the API", "email": "a@example.com"})),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap().to_string();
    let deleted = call(&stack, "DELETE", "/items/copied-1", Some(KEY), None).await;
    assert_eq!(deleted.status, 204);
    clients
        .sns
        .publish()
        .topic_arn(&stack.names["NotificationsTopic"])
        .message("an alarm")
        .send()
        .await
        .unwrap();

    let notified = eventually(Duration::from_secs(15), || async {
        let sent = stack.sent_notifications().await.ok()?;
        (sent.len() >= 4).then_some(sent)
    })
    .await
    .expect("the three changes and the alarm published");
    let versions: Vec<(&str, &str)> = notified
        .iter()
        .filter(|n| n.message != "an alarm")
        .map(|n| {
            (
                n.attributes["item_id"].as_str(),
                n.attributes["version"].as_str(),
            )
        })
        .collect();
    assert!(versions.contains(&("copied-1", "0")), "{versions:?}");
    assert!(versions.contains(&(id.as_str(), "1")), "{versions:?}");
    let received = clients
        .sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let mut delivered: Vec<String> = received
        .messages()
        .iter()
        .map(|m| match serde_json::from_str::<Value>(m.body().unwrap()) {
            Ok(message) => format!("{} {}", message["event_type"], message["item_id"]),
            Err(_) => m.body().unwrap().to_string(),
        })
        .collect();
    delivered.sort();
    let mut expected = [
        format!("\"created\" \"{id}\""),
        "\"deleted\" \"copied-1\"".to_string(),
        "an alarm".to_string(),
    ];
    expected.sort();
    assert_eq!(delivered, expected, "all but the copy");
}

/// README's filter policy: all but a change `created` at `version` 0.
const NOT_COPIES: &str = r#"{"$or": [
    {"event_type": [{"anything-but": "created"}]},
    {"event_type": [{"exists": false}]},
    {"version": [{"numeric": [">", 0]}]}
]}"#;

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
    let start = batch["startSequenceNumber"].as_str().unwrap();
    assert!(!start.is_empty());

    // What README tells an operator to do with it: read the records back from the stream,
    // at the shard and position it names.
    let iterator = clients
        .streams
        .get_shard_iterator()
        .stream_arn(batch["streamArn"].as_str().unwrap())
        .shard_id(batch["shardId"].as_str().unwrap())
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::AtSequenceNumber)
        .sequence_number(start)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .expect("an iterator at the dead letter's position");
    let page = clients
        .streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap();
    let first = page.records().first().and_then(|r| r.dynamodb.as_ref());
    let id = first.and_then(|d| d.keys.as_ref()?.get("id")?.as_s().ok().cloned());
    assert_eq!(
        (
            first.and_then(|d| d.sequence_number.as_deref()),
            id.as_deref()
        ),
        (Some(start), created.json()["id"].as_str()),
        "the dead-lettered record, read back from its shard"
    );
}
