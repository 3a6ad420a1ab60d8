//! The whole system on one machine: DynamoDB + Streams (dynoxide, embedded), S3/SNS/SQS
//! (moto), the resources of template.yaml, both functions as real binaries under the local
//! Runtime API, the local API Gateway, and the stream's event source mapping.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Instant,
};

use serde_json::json;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    FunctionConfig, FunctionHost, HostObserver, LocalClients, LocalDynamo, LocalGateway,
    LocalNames, Moto, Output, Template,
    aws::queue_arn,
    event_source::{DeadLetters, Deliveries, Delivery, StreamMapping},
    fault_proxy::{FaultCounts, FaultPlan, FaultProxy, Service},
};

pub const DEFAULT_API_KEY: &str = "local-dev-api-key-0123456789";
pub const TABLE_NAME: &str = "items";
pub const BUCKET_NAME: &str = "items-archive";
pub const TOPIC_NAME: &str = "items-notifications";
pub const DEAD_LETTER_QUEUE: &str = "items-stream-dlq";
/// An SQS queue subscribed to the topic, so the notifications can be read locally.
pub const INBOX_QUEUE: &str = "items-notifications-inbox";

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
}

/// Which of the functions' backend services fail, and how.
#[derive(Debug, Clone)]
pub struct FaultOptions {
    pub plan: FaultPlan,
    pub services: Vec<Service>,
}

/// The fault proxies of a stack: the functions reach the faulted services through them;
/// the stack itself, its stream poller and the tests' clients go direct.
#[derive(Default)]
pub struct Faults {
    proxies: Vec<FaultProxy>,
}

impl Faults {
    async fn start(
        options: &FaultOptions,
        dynamo_endpoint: &str,
        moto_endpoint: &str,
    ) -> std::io::Result<Self> {
        let mut proxies = Vec::new();
        for &service in &options.services {
            let backend = match service {
                Service::DynamoDb => dynamo_endpoint,
                Service::S3 | Service::Sns => moto_endpoint,
            };
            proxies.push(FaultProxy::start(service, backend, options.plan.clone()).await?);
        }
        Ok(Self { proxies })
    }

    /// Turns every proxy's faults on or off (off: they forward everything).
    pub fn set_enabled(&self, enabled: bool) {
        for proxy in &self.proxies {
            proxy.set_enabled(enabled);
        }
    }

    /// Gives every proxy a new plan for the calls that follow.
    pub fn set_plan(&self, plan: &FaultPlan) {
        for proxy in &self.proxies {
            proxy.set_plan(plan.clone());
        }
    }

    /// What the proxy of `service` did (zero when that service is not faulted).
    pub fn counts(&self, service: Service) -> FaultCounts {
        self.proxies
            .iter()
            .filter(|p| p.service() == service)
            .map(FaultProxy::counts)
            .next()
            .unwrap_or_default()
    }

    /// Faults injected by any proxy between `from` and `to`.
    pub fn injected_between(&self, from: Instant, to: Instant) -> u64 {
        self.proxies
            .iter()
            .map(|p| p.injected_between(from, to))
            .sum()
    }

    /// Points the function's SDK endpoint variables of faulted services at their proxies.
    fn redirect(&self, environment: &mut [(String, String)]) {
        for proxy in &self.proxies {
            let variable = format!(
                "AWS_ENDPOINT_URL_{}",
                proxy.service().name().to_ascii_uppercase()
            );
            for (name, value) in environment.iter_mut() {
                if *name == variable {
                    *value = proxy.endpoint().to_string();
                }
            }
        }
    }

    fn describe(&self) -> String {
        self.proxies
            .iter()
            .map(|p| format!("{} via {}", p.service(), p.endpoint()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub struct LocalStack {
    pub gateway_url: String,
    pub dynamo_endpoint: String,
    pub moto_endpoint: String,
    pub api_key: String,
    pub names: LocalNames,
    pub functions: Vec<FunctionHost>,
    pub dead_letter_queue_url: String,
    pub inbox_queue_url: String,
    /// The fault proxies (none unless [`StackOptions::faults`] was set).
    pub faults: Faults,
    stream_deliveries: Deliveries,
    _dynamo: Option<LocalDynamo>,
    _moto: Option<Moto>,
    _gateway: LocalGateway,
    stop: watch::Sender<bool>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn progress(verbose: bool, started: Instant, message: impl std::fmt::Display) {
    if verbose {
        println!("[{:>5.1}s] {message}", started.elapsed().as_secs_f64());
    }
}

impl LocalStack {
    pub async fn start(options: StackOptions) -> Result<Self, BoxError> {
        let started = Instant::now();
        let say = |message: String| progress(options.verbose, started, message);
        let template = Template::load(&options.template)?;

        let (dynamo, dynamo_endpoint) = match &options.dynamo {
            DynamoBackend::InMemory { port } => {
                let local =
                    LocalDynamo::start(dynoxide::Database::memory().map_err(Box::new)?, *port)
                        .await?;
                let endpoint = local.endpoint().to_string();
                say(format!(
                    "DynamoDB + Streams (dynoxide, in memory) at {endpoint}"
                ));
                (Some(local), endpoint)
            }
            DynamoBackend::File { path, port } => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let database =
                    dynoxide::Database::new(&path.to_string_lossy()).map_err(Box::new)?;
                let local = LocalDynamo::start(database, *port).await?;
                let endpoint = local.endpoint().to_string();
                say(format!(
                    "DynamoDB + Streams (dynoxide, {}) at {endpoint}",
                    path.display()
                ));
                (Some(local), endpoint)
            }
            DynamoBackend::External(endpoint) => {
                say(format!("DynamoDB at {endpoint} (external)"));
                (None, endpoint.clone())
            }
        };
        let (moto, moto_endpoint) = match &options.moto {
            MotoBackend::Spawn { port } => {
                let moto = Moto::start_on(*port).await?;
                let endpoint = moto.endpoint().to_string();
                say(format!("S3, SNS, SQS (moto) at {endpoint}"));
                (Some(moto), endpoint)
            }
            MotoBackend::External(endpoint) => {
                say(format!("S3, SNS, SQS at {endpoint} (external)"));
                (None, endpoint.clone())
            }
        };
        let clients = LocalClients::new(&dynamo_endpoint, &moto_endpoint);
        let faults = match &options.faults {
            None => Faults::default(),
            Some(fault_options) => {
                let faults = Faults::start(fault_options, &dynamo_endpoint, &moto_endpoint).await?;
                say(format!(
                    "faults: {:.0}% of the functions' calls fail ({}; seed {}): {}",
                    fault_options.plan.rate * 100.0,
                    if fault_options.plan.kinds.is_empty() {
                        "throttle, error, timeout, reset".to_string()
                    } else {
                        fault_options
                            .plan
                            .kinds
                            .iter()
                            .map(|k| k.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    fault_options.plan.seed,
                    faults.describe()
                ));
                faults
            }
        };

        // The template's resources, created if missing (a persisted table survives restarts).
        let table = template.table("ItemsTable")?;
        let existing = clients
            .dynamodb
            .describe_table()
            .table_name(TABLE_NAME)
            .send()
            .await
            .ok();
        let stream_arn = match existing
            .and_then(|t| t.table)
            .and_then(|t| t.latest_stream_arn)
        {
            Some(arn) => arn,
            None => {
                let created = table
                    .apply(clients.dynamodb.create_table().table_name(TABLE_NAME))
                    .send()
                    .await?;
                created
                    .table_description
                    .and_then(|t| t.latest_stream_arn)
                    .ok_or("the table has no stream")?
            }
        };
        let _ = clients.s3.create_bucket().bucket(BUCKET_NAME).send().await;
        let topic_arn = clients
            .sns
            .create_topic()
            .name(TOPIC_NAME)
            .send()
            .await?
            .topic_arn
            .ok_or("no topic ARN")?;
        let dead_letter_queue_url = clients
            .sqs
            .create_queue()
            .queue_name(DEAD_LETTER_QUEUE)
            .send()
            .await?
            .queue_url
            .ok_or("no queue URL")?;
        let inbox_queue_url = clients
            .sqs
            .create_queue()
            .queue_name(INBOX_QUEUE)
            .send()
            .await?
            .queue_url
            .ok_or("no queue URL")?;
        let inbox_arn = queue_arn(INBOX_QUEUE);
        let subscriptions = clients
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(&topic_arn)
            .send()
            .await?;
        if !subscriptions
            .subscriptions()
            .iter()
            .any(|s| s.endpoint() == Some(inbox_arn.as_str()))
        {
            clients
                .sns
                .subscribe()
                .topic_arn(&topic_arn)
                .protocol("sqs")
                .endpoint(&inbox_arn)
                .send()
                .await?;
        }
        say(format!(
            "resources from template.yaml: table {TABLE_NAME} (+ stream), bucket {BUCKET_NAME}, topic {TOPIC_NAME} → queue {INBOX_QUEUE}, dead letters {DEAD_LETTER_QUEUE}"
        ));

        let names = LocalNames::from([
            ("ItemsTable".to_string(), TABLE_NAME.to_string()),
            ("ArchiveBucket".to_string(), BUCKET_NAME.to_string()),
            ("NotificationsTopic".to_string(), topic_arn.clone()),
            (
                "StreamDeadLetterQueue".to_string(),
                dead_letter_queue_url.clone(),
            ),
        ]);
        let (stop, stopped) = watch::channel(false);
        let mut functions = Vec::new();
        let mut gateway = None;
        let stream_deliveries = Deliveries::default();
        for definition in template.functions(&names)? {
            let mut environment =
                crate::function_environment(&definition, &dynamo_endpoint, &moto_endpoint);
            faults.redirect(&mut environment);
            let config = FunctionConfig {
                name: definition.binary.clone(),
                binary: options.binaries.join(&definition.binary),
                environment,
                timeout: definition.timeout,
                memory_mb: definition.memory_mb,
                output: options.output.clone(),
            };
            let host = FunctionHost::start_observed(config, options.observer.clone()).await?;
            say(format!(
                "{} ({}) under the local Runtime API, timeout {:?}",
                definition.logical_id, definition.binary, definition.timeout
            ));
            if !definition.routes.is_empty() {
                let api = template.api(&names)?;
                let listener = TcpListener::bind(options.gateway).await?;
                let started_gateway = LocalGateway::start(
                    listener,
                    api,
                    &definition.routes,
                    options.api_key.clone(),
                    host.clone(),
                )
                .await?;
                gateway = Some(started_gateway);
            }
            if let Some(trigger) = definition.stream_trigger.clone() {
                let dead_letters = trigger.on_failure_queue.as_ref().map(|_| DeadLetters {
                    sqs: clients.sqs.clone(),
                    queue_url: dead_letter_queue_url.clone(),
                });
                let mapping = StreamMapping {
                    trigger,
                    stream_arn: stream_arn.clone(),
                    function: host.clone(),
                    streams: clients.streams.clone(),
                    dead_letters,
                    deliveries: stream_deliveries.clone(),
                };
                tokio::spawn(mapping.run(stopped.clone()));
                say(format!(
                    "stream trigger: {} → {}",
                    definition.logical_id, stream_arn
                ));
            }
            functions.push(host);
        }
        let gateway = gateway.ok_or("no function has Api events")?;
        let gateway_url = format!("http://{}", gateway.address);
        say(format!("API Gateway (REST) at {gateway_url}"));
        Ok(Self {
            gateway_url,
            dynamo_endpoint,
            moto_endpoint,
            api_key: options.api_key,
            names,
            functions,
            dead_letter_queue_url,
            inbox_queue_url,
            faults,
            stream_deliveries,
            _dynamo: dynamo,
            _moto: moto,
            _gateway: gateway,
            stop,
        })
    }

    /// Every invocation of the stream processor by the stream's event source mapping so far.
    pub fn stream_deliveries(&self) -> Vec<Delivery> {
        self.stream_deliveries.lock().unwrap().clone()
    }

    /// Every SNS message published so far, per the S3/SNS backend's own record (moto's
    /// `/moto-api/data.json`, so an external backend must be moto too).
    pub async fn sent_notifications(&self) -> std::io::Result<Vec<crate::SentNotification>> {
        crate::moto::sent_notifications(&self.moto_endpoint).await
    }

    pub fn clients(&self) -> LocalClients {
        LocalClients::new(&self.dynamo_endpoint, &self.moto_endpoint)
    }

    /// What `scripts/invoke` and `scripts/dev-peek` need to reach this stack.
    pub fn endpoints_json(&self) -> serde_json::Value {
        json!({
            "gateway": self.gateway_url,
            "dynamodb": self.dynamo_endpoint,
            "moto": self.moto_endpoint,
            "api_key": self.api_key,
            "names": self.names,
            "dead_letter_queue_url": self.dead_letter_queue_url,
            "inbox_queue_url": self.inbox_queue_url,
        })
    }

    /// Stops the functions, the stream trigger and the gateway.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
        for function in &self.functions {
            function.stop();
        }
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The workspace's directory of binaries for a profile (`debug` or `release`).
pub fn workspace_binaries(profile: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join(profile)
}
