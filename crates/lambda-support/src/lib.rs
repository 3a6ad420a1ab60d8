//! What both Lambda functions set up the same way at start: JSON logs and the AWS SDK
//! configuration (retries, timeouts, endpoints from the standard environment), and the
//! connections opened during init.
//!
//! The CA bundle the SDK's rustls trusts is configuration, not code: template.yaml sets
//! `SSL_CERT_FILE` for every function.

pub mod aws;
pub mod logs;
pub mod warm;
