//! The stream processor: the table's DynamoDB stream is the outbox. Every committed change
//! becomes an S3 archive object and then an SNS notification, at least once, in order per
//! item; a failure is reported back to Lambda as a partial batch failure, never swallowed.
//!
//! - [`record`] decodes stream records into domain [`domain::ItemChange`]s;
//! - [`archive`] writes the S3 objects, [`notify`] publishes to SNS;
//! - [`processor`] orders the work and computes `batchItemFailures`.

pub mod archive;
mod config;
pub mod notify;
pub mod processor;
pub mod record;

pub use archive::Archive;
pub use config::{Config, ConfigError};
pub use notify::Notifier;
pub use processor::Processor;
