//! `--dry-run`: instead of putting a page's items, reads the target for their ids
//! (BatchGetItem, 100 keys a request) and says what a put would have done. Nothing is
//! written, not even the checkpoint.

use std::{collections::HashMap, time::Duration};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::{StreamExt, stream};
use items_api::store::attributes::AttributeMap;

use crate::{
    copy::{Migration, Outcome, describe},
    tally::Failure,
};

/// BatchGetItem's limit.
const KEYS_PER_REQUEST: usize = 100;
/// Rounds for keys DynamoDB leaves unprocessed (throttled), with backoff between them.
const UNPROCESSED_ROUNDS: u32 = 8;

/// What a conditional put of each `(id, attributes)` would do now.
pub(crate) async fn look_up(copy: &Migration, ready: Vec<(String, AttributeMap)>) -> Vec<Outcome> {
    let chunks: Vec<Vec<(String, AttributeMap)>> =
        ready.chunks(KEYS_PER_REQUEST).map(<[_]>::to_vec).collect();
    let looked_up: Vec<Vec<Outcome>> = stream::iter(chunks)
        .map(|chunk| look_up_chunk(copy, chunk))
        .buffer_unordered(copy.in_flight.div_ceil(KEYS_PER_REQUEST).max(2))
        .collect()
        .await;
    looked_up.into_iter().flatten().collect()
}

async fn look_up_chunk(copy: &Migration, chunk: Vec<(String, AttributeMap)>) -> Vec<Outcome> {
    let outcomes: Vec<Outcome> = match found(copy, chunk.iter().map(|(id, _)| id.as_str())).await {
        Ok(mut found) => chunk
            .into_iter()
            .map(|(id, ours)| match found.remove(&id) {
                None => Outcome::Copied,
                Some(theirs) => Outcome::found(id, Some(&theirs), &ours),
            })
            .collect(),
        Err(error) => chunk
            .into_iter()
            .map(|(id, _)| {
                Outcome::Failed(Failure {
                    id: Some(id),
                    error: error.clone(),
                })
            })
            .collect(),
    };
    copy.progress.inc(outcomes.len() as u64);
    outcomes
}

/// The target's items among `ids`, by id.
async fn found<'a>(
    copy: &Migration,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, AttributeMap>, String> {
    let keys: Vec<AttributeMap> = ids
        .map(|id| HashMap::from([("id".to_string(), AttributeValue::S(id.into()))]))
        .collect();
    let mut pending = Some(
        KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .build()
            .map_err(|error| error.to_string())?,
    );
    let mut found = HashMap::new();
    let mut backoff = Duration::from_millis(50);
    for _ in 0..UNPROCESSED_ROUNDS {
        let Some(request) = pending.take() else {
            return Ok(found);
        };
        let output = copy
            .client
            .batch_get_item()
            .request_items(&copy.to_table, request)
            .send()
            .await
            .map_err(|error| format!("BatchGetItem: {}", describe(&error)))?;
        for item in output
            .responses
            .and_then(|mut tables| tables.remove(&copy.to_table))
            .unwrap_or_default()
        {
            if let Some(id) = item.get("id").and_then(|id| id.as_s().ok()).cloned() {
                found.insert(id, item);
            }
        }
        pending = output
            .unprocessed_keys
            .and_then(|mut tables| tables.remove(&copy.to_table))
            .filter(|left| !left.keys.is_empty());
        if pending.is_some() {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
    match pending {
        None => Ok(found),
        Some(_) => Err("BatchGetItem: keys still unprocessed after the retries".into()),
    }
}
