//! The shared AWS SDK configuration, from the standard environment only: region,
//! credentials, and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` for local endpoints.
//! Retries and timeouts are explicit so their worst case fits the functions' timeouts.

use std::time::Duration;

use aws_config::{
    SdkConfig,
    environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider},
    retry::RetryConfig,
    stalled_stream_protection::StalledStreamProtectionConfig,
    timeout::TimeoutConfig,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// Standard retry mode with 3 attempts; connect 1 s, each attempt 2 s, whole operation 6 s.
/// TLS trusts the Amazon roots and `SSL_CERT_FILE` ([`crate::trust`]). Stalled-stream
/// protection is off: every body these functions send or receive is one small JSON or
/// archive document, and the attempt timeout already bounds a stalled one (it cost about
/// 1.5 % of a warm request's instructions).
///
/// Region and credentials come from the variables Lambda sets (`AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; `sam local` and the
/// local stack set them too), not from the SDK's default chains: the default credentials
/// chain builds a web-identity provider with its own STS client at start, and that client
/// loaded the CA bundle and built a TLS connector during init, for credentials a function
/// never uses (issue #13: init CPU).
pub async fn sdk_config() -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(crate::trust::tls_context(|name| std::env::var(name).ok()))
        .build_https();
    aws_config::from_env()
        .http_client(http_client)
        .region(EnvironmentVariableRegionProvider::new())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
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
