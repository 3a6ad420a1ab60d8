//! Reads a table's DynamoDB stream and builds the event Lambda's event source mapping
//! would deliver for those records (the JSON shape of `aws:dynamodb` events).

use aws_sdk_dynamodbstreams::{
    Client,
    types::{Record, ShardIteratorType},
};
use serde_json::{Value, json};

/// Every record currently in the stream `stream_arn`, shard by shard, oldest first.
pub async fn read_stream_records(
    client: &Client,
    stream_arn: &str,
) -> Result<Vec<Record>, aws_sdk_dynamodbstreams::Error> {
    let description = client
        .describe_stream()
        .stream_arn(stream_arn)
        .send()
        .await?;
    let shards = description
        .stream_description
        .and_then(|d| d.shards)
        .unwrap_or_default();
    let mut records = Vec::new();
    for shard in shards {
        let Some(shard_id) = shard.shard_id else {
            continue;
        };
        let mut iterator = client
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await?
            .shard_iterator;
        while let Some(current) = iterator {
            let page = client.get_records().shard_iterator(current).send().await?;
            let batch = page.records.unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            records.extend(batch);
            iterator = page.next_shard_iterator;
        }
    }
    Ok(records)
}

fn image(
    image: Option<
        &std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
    >,
) -> Option<Value> {
    image.map(|image| {
        let item: serde_dynamo::Item = image.clone().into();
        serde_json::to_value(item).expect("attribute values serialize")
    })
}

/// The `{"Records": [...]}` event for `records`, as Lambda delivers it for `stream_arn`.
pub fn stream_event(stream_arn: &str, records: &[Record]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|record| {
            let change = record.dynamodb.as_ref();
            let mut dynamodb = json!({
                "ApproximateCreationDateTime": change
                    .and_then(|c| c.approximate_creation_date_time)
                    .map(|t| t.as_secs_f64())
                    .unwrap_or_default(),
                "Keys": image(change.and_then(|c| c.keys.as_ref())).unwrap_or(json!({})),
                "SequenceNumber": change.and_then(|c| c.sequence_number.clone()),
                "SizeBytes": change.and_then(|c| c.size_bytes).unwrap_or_default(),
                "StreamViewType": change.and_then(|c| c.stream_view_type.as_ref()).map(|v| v.as_str().to_string()),
            });
            if let Some(new) = image(change.and_then(|c| c.new_image.as_ref())) {
                dynamodb["NewImage"] = new;
            }
            if let Some(old) = image(change.and_then(|c| c.old_image.as_ref())) {
                dynamodb["OldImage"] = old;
            }
            json!({
                "eventID": record.event_id,
                "eventName": record.event_name.as_ref().map(|n| n.as_str().to_string()),
                "eventVersion": record.event_version.clone().unwrap_or_else(|| "1.1".into()),
                "eventSource": "aws:dynamodb",
                "awsRegion": record.aws_region.as_deref().unwrap_or(crate::aws::REGION),
                "dynamodb": dynamodb,
                "eventSourceARN": stream_arn,
            })
        })
        .collect();
    json!({ "Records": records })
}
