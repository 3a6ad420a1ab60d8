//! The whole system on one machine, started in phases: the backends (DynamoDB + Streams,
//! S3/SNS/SQS, fault proxies, TLS proxies), the resources of template.yaml, both functions
//! as real binaries under the local Runtime API (CPU capped as on Lambda), the local API
//! Gateway, and the stream's event source mapping.

mod backends;
mod faults;
mod options;
mod resources;

use std::time::Instant;

use tokio::{net::TcpListener, sync::watch};

use crate::{
    CpuCap, Endpoints, FunctionConfig, FunctionDefinition, FunctionHost, LocalClients,
    LocalGateway, LocalNames, Template, Tls, cgroups,
    endpoints::TlsEndpoints,
    event_source::{DeadLetters, Deliveries, Delivery, StreamMapping},
    function_environment,
};
use backends::Backends;
pub use faults::Faults;
pub use options::{
    DEFAULT_API_KEY, DynamoBackend, FaultOptions, MotoBackend, StackOptions, workspace_binaries,
};
use resources::Resources;
pub use resources::{
    BUCKET_NAME, DEAD_LETTER_QUEUE, HISTORY_TABLE_NAME, INBOX_QUEUE, TABLE_NAME, TOPIC_NAME,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct LocalStack {
    pub gateway_url: String,
    pub dynamo_endpoint: String,
    pub moto_endpoint: String,
    pub api_key: String,
    pub names: LocalNames,
    pub functions: Vec<FunctionHost>,
    /// The stream trigger's on-failure queue.
    pub dead_letter_queue_url: String,
    pub inbox_queue_url: String,
    /// The fault proxies (none unless [`StackOptions::faults`] was set).
    pub faults: Faults,
    /// The CA and TLS proxies the functions reach their backends through (with
    /// [`StackOptions::tls`]).
    pub tls: Option<Tls>,
    /// What `devstack invoke` gives a function under TLS.
    tls_endpoints: Option<TlsEndpoints>,
    stream_deliveries: Deliveries,
    _backends: Backends,
    _gateway: LocalGateway,
    stop: watch::Sender<bool>,
}

/// Progress lines, each with the time since the start (with [`StackOptions::verbose`]).
struct Progress {
    verbose: bool,
    started: Instant,
}

impl Progress {
    fn say(&self, message: impl std::fmt::Display) {
        if self.verbose {
            println!("[{:>5.1}s] {message}", self.started.elapsed().as_secs_f64());
        }
    }
}

impl LocalStack {
    pub async fn start(options: StackOptions) -> Result<Self, BoxError> {
        let progress = Progress {
            verbose: options.verbose,
            started: Instant::now(),
        };
        let template = Template::load(&options.template)?;
        let (backends, faults) = Backends::start(&options, &progress).await?;
        let mut tls = options.tls.then(Tls::new).transpose()?;
        let clients = LocalClients::new(&backends.dynamo_endpoint, &backends.moto_endpoint);
        let resources = Resources::create(&template, &clients, &progress).await?;
        let functions = start_functions(
            &template,
            &resources,
            &backends,
            &faults,
            tls.as_mut(),
            &options,
            &progress,
        )
        .await?;
        let tls_endpoints = match &mut tls {
            Some(tls) => Some(
                TlsEndpoints::of(tls, &backends.dynamo_endpoint, &backends.moto_endpoint).await?,
            ),
            None => None,
        };
        if let Some(endpoints) = &tls_endpoints {
            progress.say(format!(
                "TLS: the functions reach DynamoDB at {} and S3, SNS, SQS at {} (a CA made at start; SSL_CERT_FILE={})",
                endpoints.dynamodb,
                endpoints.moto,
                endpoints.ca_bundle.display()
            ));
        }
        progress.say(describe_cpu(&options, &functions));
        let gateway = start_gateway(&template, &resources.names, &functions, &options).await?;
        let gateway_url = format!("http://{}", gateway.address);
        progress.say(format!("API Gateway (REST) at {gateway_url}"));
        let mappings = start_stream_mappings(&functions, &resources, &clients, &progress)?;
        Ok(Self {
            gateway_url,
            dynamo_endpoint: backends.dynamo_endpoint.clone(),
            moto_endpoint: backends.moto_endpoint.clone(),
            api_key: options.api_key,
            names: resources.names,
            functions: functions.into_iter().map(|(_, host)| host).collect(),
            dead_letter_queue_url: mappings
                .dead_letter_queue_url
                .ok_or("no stream trigger has an on-failure queue")?,
            inbox_queue_url: resources.inbox_queue_url,
            faults,
            tls,
            tls_endpoints,
            stream_deliveries: mappings.deliveries,
            _backends: backends,
            _gateway: gateway,
            stop: mappings.stop,
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
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            gateway: self.gateway_url.clone(),
            dynamodb: self.dynamo_endpoint.clone(),
            moto: self.moto_endpoint.clone(),
            api_key: self.api_key.clone(),
            names: self.names.clone(),
            dead_letter_queue_url: self.dead_letter_queue_url.clone(),
            inbox_queue_url: self.inbox_queue_url.clone(),
            tls: self.tls_endpoints.clone(),
        }
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

/// The third phase: every function of the template under the local Runtime API, reaching
/// the backends (through the fault proxies where there are some, over TLS with `tls`).
async fn start_functions(
    template: &Template,
    resources: &Resources,
    backends: &Backends,
    faults: &Faults,
    mut tls: Option<&mut Tls>,
    options: &StackOptions,
    progress: &Progress,
) -> Result<Vec<(FunctionDefinition, FunctionHost)>, BoxError> {
    let mut functions = Vec::new();
    for mut definition in template.functions(&resources.names)? {
        let mut environment = function_environment(
            &definition,
            &backends.dynamo_endpoint,
            &backends.moto_endpoint,
        );
        faults.redirect(&mut environment);
        if let Some(tls) = tls.as_deref_mut() {
            tls.secure(&mut environment).await?;
        }
        definition.memory_mb = options.memory_mb.unwrap_or(definition.memory_mb);
        let config = FunctionConfig {
            name: definition.binary.clone(),
            binary: options.binaries.join(&definition.binary),
            environment,
            timeout: definition.timeout,
            memory_mb: definition.memory_mb,
            cpu_cap: options.cpu_cap,
            output: options.output.clone(),
        };
        let host = FunctionHost::start_observed(config, options.observer.clone()).await?;
        progress.say(format!(
            "{} ({}) under the local Runtime API, timeout {:?}",
            definition.logical_id, definition.binary, definition.timeout
        ));
        functions.push((definition, host));
    }
    Ok(functions)
}

/// The progress line on the functions' CPU: capped how, or why not.
fn describe_cpu(
    options: &StackOptions,
    functions: &[(FunctionDefinition, FunctionHost)],
) -> String {
    let when = match options.cpu_cap {
        CpuCap::Off => return "CPU: the functions run at full speed".to_string(),
        CpuCap::AfterInit => "after init (init at full speed)",
        CpuCap::Always => "init included",
    };
    let Some(cgroups) = cgroups() else {
        return "CPU: uncapped (no cgroup can be made here)".to_string();
    };
    let shares: Vec<String> = functions
        .iter()
        .map(|(definition, _)| {
            format!(
                "{} {} MB = {:.1} % of a core",
                definition.binary,
                definition.memory_mb,
                100.0 * definition.memory_mb as f64 / crate::MB_PER_VCPU as f64
            )
        })
        .collect();
    format!(
        "CPU as on Lambda, {when}: {} ({cgroups})",
        shares.join(", ")
    )
}

/// The fourth phase: the REST API in front of the function with `Api` events.
async fn start_gateway(
    template: &Template,
    names: &LocalNames,
    functions: &[(FunctionDefinition, FunctionHost)],
    options: &StackOptions,
) -> Result<LocalGateway, BoxError> {
    let (definition, host) = functions
        .iter()
        .find(|(definition, _)| !definition.routes.is_empty())
        .ok_or("no function has Api events")?;
    let listener = TcpListener::bind(options.gateway).await?;
    let api = template.api(names)?;
    let gateway = LocalGateway::start(
        listener,
        api,
        &definition.routes,
        options.api_key.clone(),
        host.clone(),
    )
    .await?;
    Ok(gateway)
}

/// The stream mappings of a stack.
struct Mappings {
    deliveries: Deliveries,
    /// The on-failure queue of the stream trigger.
    dead_letter_queue_url: Option<String>,
    /// Stops the mappings when set (or dropped).
    stop: watch::Sender<bool>,
}

/// The fifth phase: the event source mapping of each function with a stream trigger.
fn start_stream_mappings(
    functions: &[(FunctionDefinition, FunctionHost)],
    resources: &Resources,
    clients: &LocalClients,
    progress: &Progress,
) -> Result<Mappings, BoxError> {
    let (stop, stopped) = watch::channel(false);
    let mut mappings = Mappings {
        deliveries: Deliveries::default(),
        dead_letter_queue_url: None,
        stop,
    };
    for (definition, host) in functions {
        let Some(trigger) = &definition.stream_trigger else {
            continue;
        };
        let function = &definition.logical_id;
        let stream_arn = resources
            .streams
            .get(&trigger.table)
            .ok_or_else(|| format!("{function}: table {} has no stream", trigger.table))?;
        let dead_letters = match &trigger.on_failure_queue {
            None => None,
            Some(queue) => {
                let queue_url = resources
                    .names
                    .get(queue)
                    .ok_or_else(|| format!("{function}: no queue {queue}"))?;
                mappings.dead_letter_queue_url = Some(queue_url.clone());
                Some(DeadLetters {
                    sqs: clients.sqs.clone(),
                    queue_url: queue_url.clone(),
                })
            }
        };
        let mapping = StreamMapping {
            trigger: trigger.clone(),
            stream_arn: stream_arn.clone(),
            function: host.clone(),
            streams: clients.streams.clone(),
            dead_letters,
            deliveries: mappings.deliveries.clone(),
        };
        tokio::spawn(mapping.run(stopped.clone()));
        progress.say(format!("stream trigger: {function} → {stream_arn}"));
    }
    Ok(mappings)
}
