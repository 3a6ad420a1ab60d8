//! The shared AWS SDK configuration, from the standard environment only: region,
//! credentials, and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` for local endpoints.
//! Retries and timeouts are explicit so their worst case fits the functions' timeouts.

use std::time::Duration;

use aws_config::{SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};

/// Standard retry mode with 3 attempts; connect 1 s, each attempt 2 s, whole operation 6 s.
pub async fn sdk_config() -> SdkConfig {
    aws_config::from_env()
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(6))
                .build(),
        )
        .load()
        .await
}

/// Whether S3 requests go to an endpoint other than AWS's, by the SDK's own variables. Such
/// endpoints (moto, MinIO, LocalStack) need path-style addressing: no bucket subdomains.
pub fn s3_endpoint_overridden(shared: &SdkConfig, lookup: impl Fn(&str) -> Option<String>) -> bool {
    shared.endpoint_url().is_some()
        || lookup("AWS_ENDPOINT_URL_S3").is_some_and(|url| !url.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_follows_the_endpoint_variables() {
        let plain = SdkConfig::builder().build();
        assert!(!s3_endpoint_overridden(&plain, |_| None));
        assert!(s3_endpoint_overridden(&plain, |name| (name
            == "AWS_ENDPOINT_URL_S3")
            .then(|| "http://127.0.0.1:5000".into())));
        let global = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        assert!(s3_endpoint_overridden(&global, |_| None));
    }
}
