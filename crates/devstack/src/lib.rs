//! The local stack, as a library: the table definition read from `template.yaml` and a
//! DynamoDB (+ Streams) served in-process by dynoxide. Tests use it to get a private,
//! real DynamoDB endpoint per test with the table that will be deployed.

mod local_dynamo;
mod template;

pub use local_dynamo::LocalDynamo;
pub use template::{TableDefinition, Template, TemplateError};
