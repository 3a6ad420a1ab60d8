//! The stream processor: the table's DynamoDB stream is the outbox. Every committed change
//! goes through an ordered list of side effects (an S3 archive object, then an SNS
//! notification), at least once, in order per item; a failure is reported back to Lambda as
//! a partial batch failure, never swallowed.
//!
//! - [`record`] decodes stream records into changes, tolerantly (items the original service
//!   wrote included);
//! - [`steps`] holds the side effects, one module each ([`steps::archive`] writes the S3
//!   objects, [`steps::notify`] publishes to SNS), behind one trait, [`steps::Step`];
//! - `item_queues` holds each item's records so they go in stream order;
//! - [`quarantine`] keeps the records that can never be processed, so they hold nothing up;
//! - [`processor`] runs the waves through the steps and computes `batchItemFailures`;
//!   `deadline` says when it must answer.

mod config;
mod deadline;
mod item_queues;
pub mod processor;
pub mod quarantine;
pub mod record;
pub mod steps;

pub use config::{Config, ConfigError};
pub use processor::Processor;
