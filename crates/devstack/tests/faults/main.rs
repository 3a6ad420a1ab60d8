//! The whole local stack with fault-injecting proxies between the functions and their
//! backends (real binaries, real dynoxide and moto; no mocks):
//!
//! - the API under DynamoDB faults answers every request either with a correct success
//!   (checked against the table right away and at the end) or with 503 + `Retry-After` /
//!   502, each with the gateway's request id; never a 500, never a wrong success, and a
//!   request answered 5xx changed nothing unless its call landed before its answer was lost;
//! - the stream processor under S3 and SNS faults reports exact `batchItemFailures`, and once
//!   the faults stop and the stream is drained every change in the table's stream has its
//!   archive object and its notification.
//!
//! CI-sized by default; `ITEMS_TEST_LONG=1` (scripts/test --long) runs bigger budgets. The
//! figures are printed (`cargo test -p devstack --test faults -- --nocapture`).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::types::AttributeValue;
use devstack::{
    BUCKET_NAME, FaultCounts, FaultKind, FaultOptions, FaultPlan, LocalStack, Output, Service,
    TABLE_NAME, http, read_stream_records,
};

#[path = "../support/mod.rs"]
mod support;

mod api;
mod stream;
mod up_command;

use serde_json::{Value, json};

const KEY: &str = "faults-test-key";

fn long_run() -> bool {
    std::env::var("ITEMS_TEST_LONG").is_ok_and(|v| v == "1")
}

async fn stack_with_faults(services: Vec<Service>, rate: f64, seed: u64) -> LocalStack {
    let faults = FaultOptions {
        plan: FaultPlan::new(rate, Vec::new(), seed),
        services,
    };
    support::start_stack(KEY, Output::Discarded, Some(faults)).await
}

async fn call(
    stack: &LocalStack,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> http::HttpResponse {
    let mut all = vec![("x-api-key", KEY)];
    all.extend_from_slice(headers);
    support::request(stack, method, path, &all, body).await
}

/// A small deterministic generator, so a run's request mix is the same every time.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
