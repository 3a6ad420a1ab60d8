//! Reading a stream's shards as Lambda's event source mapping does: each shard from its
//! starting position, then on from the last record read. A read that fails (after the SDK's
//! retries) loses its iterator; the shard is picked up again right after the last record
//! read, so a failure neither skips nor repeats a record.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use aws_sdk_dynamodbstreams::{
    Client,
    types::{Record, ShardIteratorType},
};

/// How often the stream is described again for new shards.
const SCAN_INTERVAL: Duration = Duration::from_secs(5);

pub(super) struct ShardReader {
    streams: Client,
    stream_arn: String,
    /// Where the shards found by the first scan begin (the mapping's StartingPosition);
    /// later shards are read from their beginning, so nothing is skipped.
    starting_position: ShardIteratorType,
    shards: BTreeMap<String, Shard>,
    last_scan: Option<Instant>,
}

struct Shard {
    /// The iterator of the next read; `None` when one must be obtained again (new, or its
    /// read failed).
    iterator: Option<String>,
    /// The shard is closed and read to its end.
    ended: bool,
    /// Where an iterator obtained again begins: after this record, or at `start`.
    last_read: Option<String>,
    start: ShardIteratorType,
}

impl ShardReader {
    pub fn new(streams: Client, stream_arn: String, starting_position: &str) -> Self {
        let starting_position = if starting_position == "LATEST" {
            ShardIteratorType::Latest
        } else {
            ShardIteratorType::TrimHorizon
        };
        Self {
            streams,
            stream_arn,
            starting_position,
            shards: BTreeMap::new(),
            last_scan: None,
        }
    }

    /// The records written since the last call, each with its shard's id, shard by shard in
    /// stream order.
    pub async fn read(&mut self) -> Vec<(String, Record)> {
        let lost = self
            .shards
            .values()
            .any(|s| s.iterator.is_none() && !s.ended);
        if lost || self.last_scan.is_none_or(|at| at.elapsed() > SCAN_INTERVAL) {
            self.scan().await;
        }
        let mut records = Vec::new();
        for (shard_id, shard) in &mut self.shards {
            let Some(iterator) = shard.iterator.take() else {
                continue;
            };
            match self
                .streams
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
            {
                Ok(page) => {
                    let page_records = page.records.unwrap_or_default();
                    if let Some(last) = page_records.last().map(super::sequence_number)
                        && !last.is_empty()
                    {
                        shard.last_read = Some(last.to_string());
                    }
                    records.extend(page_records.into_iter().map(|r| (shard_id.clone(), r)));
                    shard.ended = page.next_shard_iterator.is_none();
                    shard.iterator = page.next_shard_iterator;
                }
                Err(error) => eprintln!(
                    "stream | GetRecords failed (the shard is read again after its last record): {}",
                    aws_sdk_dynamodbstreams::error::DisplayErrorContext(&error)
                ),
            }
        }
        records
    }

    /// Adds the stream's new shards and obtains an iterator for every shard without one.
    async fn scan(&mut self) {
        let first = self.last_scan.is_none();
        self.last_scan = Some(Instant::now());
        if let Ok(description) = self
            .streams
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
        {
            for shard_id in description
                .stream_description
                .and_then(|d| d.shards)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|shard| shard.shard_id)
            {
                self.shards.entry(shard_id).or_insert_with(|| Shard {
                    iterator: None,
                    ended: false,
                    last_read: None,
                    start: if first {
                        self.starting_position.clone()
                    } else {
                        ShardIteratorType::TrimHorizon
                    },
                });
            }
        }
        for (shard_id, shard) in &mut self.shards {
            if shard.iterator.is_some() || shard.ended {
                continue;
            }
            let request = self
                .streams
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(shard_id);
            let request = match &shard.last_read {
                Some(sequence_number) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence_number),
                None => request.shard_iterator_type(shard.start.clone()),
            };
            shard.iterator = request.send().await.ok().and_then(|o| o.shard_iterator);
        }
    }
}

#[cfg(test)]
mod tests;
