//! What a local stack is started with.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use crate::{CpuCap, FaultPlan, HostObserver, Output, Service};

/// The key the gateway requires unless told otherwise (the README's curls use it).
pub const DEFAULT_API_KEY: &str = "local-dev-api-key-0123456789";

/// Where DynamoDB comes from.
#[derive(Debug, Clone)]
pub enum DynamoBackend {
    /// Embedded, in memory: gone when the stack stops.
    InMemory { port: u16 },
    /// Embedded, persisted in this SQLite file.
    File { path: PathBuf, port: u16 },
    /// Already running elsewhere (e.g. DynamoDB Local), with Streams at the same endpoint.
    External(String),
}

/// Where S3, SNS and SQS come from.
#[derive(Debug, Clone)]
pub enum MotoBackend {
    Spawn { port: u16 },
    External(String),
}

#[derive(Clone)]
pub struct StackOptions {
    pub template: PathBuf,
    /// Where the `items-api` and `stream-processor` binaries are.
    pub binaries: PathBuf,
    pub gateway: SocketAddr,
    pub api_key: String,
    pub dynamo: DynamoBackend,
    pub moto: MotoBackend,
    pub output: Output,
    /// Progress lines on stdout.
    pub verbose: bool,
    /// Fault-injecting proxies between the functions and these services, when set.
    pub faults: Option<FaultOptions>,
    /// Told what the function hosts do (the bench's timings), when set.
    pub observer: Option<Arc<dyn HostObserver>>,
    /// The functions reach their backends over HTTPS ([`crate::Tls`]).
    pub tls: bool,
    /// When the functions run under Lambda's CPU share for their memory.
    pub cpu_cap: CpuCap,
    /// Every function's memory (MB), instead of the template's MemorySize.
    pub memory_mb: Option<u64>,
}

/// Which of the functions' backend services fail, and how.
#[derive(Debug, Clone)]
pub struct FaultOptions {
    pub plan: FaultPlan,
    pub services: Vec<Service>,
}

/// The workspace's directory of binaries for a profile (`debug` or `release`).
pub fn workspace_binaries(profile: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join(profile)
}
