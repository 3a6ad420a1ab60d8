//! The local stack, as a library: the table definition read from `template.yaml`, a
//! DynamoDB (+ Streams) served in-process by dynoxide, a moto server for S3/SNS/SQS, and
//! the DynamoDB stream read back into the events Lambda's event source mapping delivers,
//! a local Lambda Runtime API to run the real function binaries under, a local API Gateway,
//! the stream's event source mapping, fault-injecting proxies between the functions and their
//! backends, Lambda's CPU share per function (cgroups), HTTPS in front of the backends
//! (a CA made at start), and [`LocalStack`], which puts them all together.
//! Tests use it to get private, real endpoints per test.

mod aws;
mod cpu_cap;
mod endpoints;
mod environment;
mod event_source;
mod fault_proxy;
mod functions;
mod gateway;
pub mod http;
mod local_dynamo;
mod moto;
mod runtime;
mod stack;
mod stream;
mod template;
mod tls;

pub use aws::{LocalClients, REGION};
pub use cpu_cap::{CpuCap, MB_PER_VCPU, PERIOD_US, Throttling, cgroups, quota_us};
pub use endpoints::Endpoints;
pub use environment::{function_environment, machine_ca_bundle, set_ca_bundle};
pub use event_source::Delivery;
pub use fault_proxy::{FaultCounts, FaultKind, FaultPlan, FaultProxy, Service};
pub use functions::{ApiDefinition, Cors, FunctionDefinition, LocalNames, StreamTrigger};
pub use gateway::{LocalGateway, RestRequest, rest_event};
pub use local_dynamo::LocalDynamo;
pub use moto::{Moto, SentNotification};
pub use runtime::{FunctionConfig, FunctionHost, HostObserver, InvokeError, Output};
pub use stack::{
    BUCKET_NAME, DEAD_LETTER_QUEUE, DEFAULT_API_KEY, DynamoBackend, FaultOptions, Faults,
    HISTORY_TABLE_NAME, INBOX_QUEUE, LocalStack, MotoBackend, StackOptions, TABLE_NAME, TOPIC_NAME,
    workspace_binaries,
};
pub use stream::{read_stream_records, stream_event};
pub use template::{TableDefinition, Template, TemplateError};
pub use tls::{Tls, TlsProxy};

/// Makes a child process end when this process does, even if this process is killed
/// outright (a failed test, `kill -9`): no moto or function process is left behind.
pub(crate) fn end_with_this_process(command: &mut tokio::process::Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec here.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}
