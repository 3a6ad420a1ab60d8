//! `devstack up`: starts the whole stack, writes its endpoints for `invoke` and `peek`, and
//! serves until Ctrl-C (or SIGTERM).

use std::{path::PathBuf, time::Duration};

use devstack::{
    DEFAULT_API_KEY, DynamoBackend, Endpoints, FaultKind, FaultOptions, FaultPlan, LocalStack,
    MotoBackend, Output, Service, StackOptions,
};

use crate::{BoxError, Location, cpu::CpuFlags};

pub const FAULTS_HELP: &str = "\
--faults RATE puts a fault-injecting proxy between the functions and each of their backend
services: RATE (0 to 1) of the functions' calls fail, as AWS calls fail:
  throttle  the service's throttling answer (DynamoDB 400 ProvisionedThroughputExceeded /
            Throttling, S3 503 SlowDown, SNS 400 Throttling); the call is not forwarded
  error     the service's 500; the call was forwarded and may have taken effect
  timeout   the call is forwarded, its answer held 2.5 s (past the SDK's 2 s attempt timeout)
  reset     the connection is reset; the call is not forwarded
--fault-kinds picks kinds (default: all), --fault-services the services (default: all three),
--fault-seed the seed of the deterministic choice of calls (default 1). The stack itself
and its stream poller reach the backends directly.

AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 point `up` at backends you already run.";

#[derive(clap::Args)]
pub struct Up {
    /// The API Gateway's port
    #[arg(long, value_name = "PORT", default_value_t = 3000)]
    port: u16,
    /// The API key the gateway requires [default: $ITEMS_API_KEY, else local-dev-api-key-0123456789]
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Keeps DynamoDB's data in memory (gone when the stack stops)
    #[arg(long)]
    in_memory: bool,
    /// Where DynamoDB's data is kept [default: ROOT/.dev/dynamodb.sqlite]
    #[arg(long, value_name = "PATH", conflicts_with = "in_memory")]
    db: Option<PathBuf>,
    /// DynamoDB's port (0: any free one)
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    dynamodb_port: u16,
    /// moto's port (0: any free one)
    #[arg(long, value_name = "PORT", default_value_t = 5000)]
    moto_port: u16,
    /// The share of the functions' calls that fail, 0 to 1 (see below)
    #[arg(long, value_name = "RATE", value_parser = rate)]
    faults: Option<f64>,
    /// The kinds of fault [default: all]
    #[arg(long, value_name = "throttle,error,timeout,reset", value_delimiter = ',',
          value_parser = trimmed::<FaultKind>, requires = "faults")]
    fault_kinds: Vec<FaultKind>,
    /// The services that fail [default: all]
    #[arg(long, value_name = "dynamodb,s3,sns", value_delimiter = ',',
          value_parser = trimmed::<Service>, requires = "faults")]
    fault_services: Vec<Service>,
    /// The seed of the choice of calls that fail
    #[arg(long, value_name = "N", default_value_t = 1, requires = "faults")]
    fault_seed: u64,
    /// Serves DynamoDB, S3, SNS and SQS to the functions over HTTPS, as on AWS (a CA made at
    /// start, which the functions trust through SSL_CERT_FILE)
    #[arg(long)]
    tls: bool,
    #[command(flatten)]
    cpu: CpuFlags,
}

fn rate(text: &str) -> Result<f64, String> {
    text.parse()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| "not a rate between 0 and 1".to_string())
}

fn trimmed<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, String> {
    text.trim().parse()
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Up {
    fn options(self, location: &Location) -> StackOptions {
        let root = location.root();
        // The SDK's standard variables point the stack at backends you already run.
        let dynamo = match non_empty_env("AWS_ENDPOINT_URL_DYNAMODB") {
            Some(endpoint) => DynamoBackend::External(endpoint),
            None if self.in_memory => DynamoBackend::InMemory {
                port: self.dynamodb_port,
            },
            None => DynamoBackend::File {
                path: self.db.unwrap_or_else(|| root.join(".dev/dynamodb.sqlite")),
                port: self.dynamodb_port,
            },
        };
        let moto = match non_empty_env("AWS_ENDPOINT_URL_S3") {
            Some(endpoint) => MotoBackend::External(endpoint),
            None => MotoBackend::Spawn {
                port: self.moto_port,
            },
        };
        let faults = self.faults.map(|rate| FaultOptions {
            plan: FaultPlan::new(rate, self.fault_kinds, self.fault_seed),
            services: if self.fault_services.is_empty() {
                Service::ALL.to_vec()
            } else {
                self.fault_services
            },
        });
        StackOptions {
            template: root.join("template.yaml"),
            binaries: location.binaries(),
            gateway: ([127, 0, 0, 1], self.port).into(),
            api_key: self
                .api_key
                .or_else(|| non_empty_env("ITEMS_API_KEY"))
                .unwrap_or_else(|| DEFAULT_API_KEY.to_string()),
            dynamo,
            moto,
            output: Output::Prefixed,
            verbose: true,
            faults,
            observer: None,
            tls: self.tls,
            cpu_cap: self.cpu.cap(),
            memory_mb: self.cpu.memory(),
        }
    }

    pub async fn run(self, location: &Location) -> Result<(), BoxError> {
        let root = location.root();
        let stack = LocalStack::start(self.options(location)).await?;
        stack.endpoints().write(&root)?;
        let url = &stack.gateway_url;
        let key = &stack.api_key;
        println!();
        println!("items local stack is up (Ctrl-C stops everything).");
        println!("  API:     {url}/items");
        println!("  header:  x-api-key: {key}");
        println!("  try:     curl -s {url}/items -H 'x-api-key: {key}'");
        println!("  archive and notifications: scripts/dev-peek");
        println!();
        wait_for_shutdown().await;
        println!("stopping…");
        stack.stop();
        let _ = Endpoints::remove(&root);
        // Give the function processes a moment to be killed before the runtime goes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(())
    }
}

async fn wait_for_shutdown() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
