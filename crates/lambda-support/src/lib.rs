//! What both Lambda functions set up the same way at start: JSON logs and the AWS SDK
//! configuration (retries, timeouts, endpoints from the standard environment), and the CA
//! bundle its TLS stack loads.

pub mod aws;
pub mod logs;
pub mod tls;
