//! The whole local stack, started on free ports and driven over HTTP: the gateway's key,
//! routing, CORS and throttling; the real function binaries behind it; the stream path to
//! S3 and SNS, retries and the dead-letter queue; an item's history and its restore. Then
//! the Runtime API's behaviour when a function panics, aborts or overruns its timeout. Last,
//! the README flow over HTTPS under Lambda's CPU share.
//!
//! The function binaries are the workspace's debug builds, which `cargo test --workspace`
//! builds for the other crates' tests (or set `CARGO_TARGET_DIR`).

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use devstack::{
    BUCKET_NAME, CpuCap, DEFAULT_API_KEY, FunctionConfig, FunctionHost, InvokeError, LocalClients,
    LocalStack, Output, http,
};
#[path = "../support/mod.rs"]
mod support;

mod commands;
mod gateway;
mod history;
mod runtime_api;
mod stream;

use serde_json::{Value, json};
use tokio::task::JoinSet;

const KEY: &str = "e2e-test-key";

async fn stack() -> LocalStack {
    stack_with(Output::Discarded).await
}

async fn stack_with(output: Output) -> LocalStack {
    support::start_stack(KEY, output, None).await
}

async fn call(
    stack: &LocalStack,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> http::HttpResponse {
    let headers: Vec<(&str, &str)> = key.map(|key| ("x-api-key", key)).into_iter().collect();
    support::request(stack, method, path, &headers, body.as_ref()).await
}

/// The archive bucket's keys (the first page: these tests write a handful), or None if
/// listing failed.
async fn archive_keys(clients: &LocalClients) -> Option<Vec<String>> {
    let listed = clients
        .s3
        .list_objects_v2()
        .bucket(BUCKET_NAME)
        .send()
        .await
        .ok()?;
    Some(
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect(),
    )
}

/// Polls `check` every 100 ms until it gives a value or `limit` passes.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(value) = check().await {
            return Some(value);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
