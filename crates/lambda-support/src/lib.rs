//! What both Lambda functions set up the same way at start: JSON logs and the AWS SDK
//! configuration (retries, timeouts, endpoints from the standard environment).

pub mod aws;
pub mod logs;
