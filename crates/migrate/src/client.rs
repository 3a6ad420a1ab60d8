//! The DynamoDB client, from the standard AWS environment: region, credentials by the SDK's
//! default chain (environment variables, `~/.aws` profiles with keys, web identity,
//! container and instance roles) and `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` for a
//! local endpoint.
//!
//! Not `lambda_support::aws::sdk_config`: that one takes credentials from the variables
//! Lambda sets only, and its 3 attempts within 6 s fit a function's timeout, not a bulk copy
//! that may be throttled for minutes. Retries here are the SDK's own, in adaptive mode: up
//! to 10 attempts with exponential backoff and jitter (50 ms doubling, at most 20 s between
//! attempts) for throttling, 5xx answers, timeouts and dropped connections; after a
//! throttling answer the client also slows its sending rate. The retry quota (a token
//! bucket that stops retries once many have failed) is unlimited, so a throttled
//! migration keeps backing off instead of failing fast. A retried put whose first attempt
//! had landed finds the item it wrote: counted as already there (identical).

use std::time::Duration;

use aws_config::{BehaviorVersion, timeout::TimeoutConfig};
use aws_sdk_dynamodb::{
    Client,
    config::retry::{RetryConfig, RetryPartition, TokenBucket},
};

pub const MAX_ATTEMPTS: u32 = 10;

pub async fn dynamodb() -> Client {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_secs(20)),
        )
        .retry_partition(
            RetryPartition::custom("migrate")
                .token_bucket(TokenBucket::unlimited())
                .build(),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    Client::from_conf(config)
}
