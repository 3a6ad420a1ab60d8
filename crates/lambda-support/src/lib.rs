//! What both Lambda functions set up the same way at start: JSON logs and the AWS SDK
//! configuration (retries, timeouts, endpoints from the standard environment), and the
//! connections opened during init.

pub mod aws;
pub mod logs;
pub mod trust;
pub mod warm;
