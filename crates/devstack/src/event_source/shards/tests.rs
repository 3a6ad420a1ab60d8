//! A shard read through a fault proxy (a real dynoxide behind it): reads that fail, then
//! reads that work, and every record exactly once.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::{FaultKind, FaultPlan, FaultProxy, LocalDynamo, Service, Template, aws};

async fn put(dynamo: &LocalDynamo, id: &str) {
    dynamo
        .client()
        .put_item()
        .table_name("items")
        .item("id", AttributeValue::S(id.into()))
        .send()
        .await
        .unwrap();
}

/// The item ids of the records read until `count` have come (or 10 s have passed).
async fn read_ids(reader: &mut ShardReader, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let started = Instant::now();
    while ids.len() < count && started.elapsed() < Duration::from_secs(10) {
        for (_shard, record) in reader.read().await {
            let keys = record.dynamodb.unwrap().keys.unwrap();
            ids.push(keys["id"].as_s().unwrap().clone());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ids
}

#[tokio::test]
async fn a_failed_read_resumes_after_the_last_record_read() {
    let dynamo = LocalDynamo::start_in_memory().await.unwrap();
    let definition = Template::workspace().unwrap().table("ItemsTable").unwrap();
    let stream_arn = dynamo.create_table("items", &definition).await.unwrap();
    let failing = FaultPlan::new(1.0, vec![FaultKind::Error], 7);
    let proxy = FaultProxy::start(Service::DynamoDb, dynamo.endpoint(), failing)
        .await
        .unwrap();
    proxy.set_enabled(false);
    let streams = aws::streams_client(proxy.endpoint());
    let mut reader = ShardReader::new(streams, stream_arn.unwrap(), "TRIM_HORIZON");

    put(&dynamo, "a").await;
    assert_eq!(read_ids(&mut reader, 1).await, ["a"]);

    proxy.set_enabled(true);
    put(&dynamo, "b").await;
    assert!(reader.read().await.is_empty(), "every call fails");
    assert!(reader.read().await.is_empty(), "still failing");
    proxy.set_enabled(false);
    put(&dynamo, "c").await;
    assert_eq!(
        read_ids(&mut reader, 2).await,
        ["b", "c"],
        "on after the last record read: none skipped, none again"
    );
}
