//! The local stack, as a library: the table definition read from `template.yaml`, a
//! DynamoDB (+ Streams) served in-process by dynoxide, a moto server for S3/SNS/SQS, and
//! the DynamoDB stream read back into the events Lambda's event source mapping delivers,
//! and a minimal Lambda Runtime API to run the real function binaries under.
//! Tests use it to get private, real endpoints per test.

mod functions;
mod gateway;
mod local_dynamo;
mod moto;
mod runtime;
mod runtime_stub;
mod stream;
mod template;

pub use functions::{ApiDefinition, Cors, FunctionDefinition, LocalNames, StreamTrigger};
pub use gateway::{LocalGateway, RestRequest, rest_event};
pub use local_dynamo::LocalDynamo;
pub use moto::{Moto, SentNotification};
pub use runtime::{FunctionConfig, FunctionHost, InvokeError, Output};
pub use runtime_stub::{Reply, RuntimeApiStub};
pub use stream::{read_stream_records, stream_event};
pub use template::{TableDefinition, Template, TemplateError};
