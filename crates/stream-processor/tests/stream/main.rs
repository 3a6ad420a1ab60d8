//! The stream processor against real local engines: items written through the items-api
//! store into dynoxide, the records read back from its DynamoDB Streams API and wrapped as
//! Lambda delivers them, side effects landing in moto's S3 and SNS.

mod binary;
mod events;
mod faults;
mod history;
mod original;
mod pipeline;
mod support;
