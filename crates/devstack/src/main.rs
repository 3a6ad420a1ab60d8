//! `devstack`: the local stack's command line (run through scripts/dev, scripts/invoke and
//! scripts/dev-peek).
//!
//! See [`USAGE`] (`devstack --help`).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use devstack::{
    BUCKET_NAME, DEFAULT_API_KEY, DynamoBackend, Endpoints, FaultKind, FaultOptions, FaultPlan,
    FunctionConfig, FunctionHost, LocalClients, LocalStack, MotoBackend, Output, Service,
    StackOptions, Template, function_environment,
};
use serde_json::Value;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "\
usage:
  devstack up [--port 3000] [--api-key KEY] [--in-memory] [--db PATH]
              [--dynamodb-port 8000] [--moto-port 5000] [--binaries DIR] [--root DIR]
              [--faults RATE] [--fault-kinds throttle,error,timeout,reset]
              [--fault-services dynamodb,s3,sns] [--fault-seed N]
  devstack invoke FUNCTION EVENT.json   (against a running `up`)
  devstack peek                         (archive objects and notifications of a running `up`)

--root is where template.yaml and the .dev/ state are (default: the working directory);
--binaries where the function binaries are (default: ROOT/target/release).

--faults RATE puts a fault-injecting proxy between the functions and each of their backend
services: RATE (0 to 1) of the functions' calls fail, as AWS calls fail:
  throttle  the service's throttling answer (DynamoDB 400 ProvisionedThroughputExceeded /
            Throttling, S3 503 SlowDown, SNS 400 Throttling); the call is not forwarded
  error     the service's 500; the call was forwarded and may have taken effect
  timeout   the call is forwarded, its answer held 2.5 s (past the SDK's 2 s attempt timeout)
  reset     the connection is reset; the call is not forwarded
--fault-kinds picks kinds (default: all), --fault-services the services (default: all three),
--fault-seed the seed of the deterministic choice of calls (default 1). The stack itself
and its stream poller reach the backends directly.";

/// Where template.yaml and `.dev/` are: `--root DIR`, else the working directory.
fn root(args: &Args) -> PathBuf {
    args.flags
        .get("root")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("a working directory"))
}

/// `--name value` flags and positional arguments.
struct Args {
    flags: HashMap<String, String>,
    switches: Vec<String>,
    positional: Vec<String>,
}

fn parse(arguments: impl Iterator<Item = String>) -> Result<Args, BoxError> {
    const SWITCHES: [&str; 1] = ["--in-memory"];
    let mut args = Args {
        flags: HashMap::new(),
        switches: Vec::new(),
        positional: Vec::new(),
    };
    let mut arguments = arguments.peekable();
    while let Some(argument) = arguments.next() {
        if SWITCHES.contains(&argument.as_str()) {
            args.switches.push(argument);
        } else if let Some(name) = argument.strip_prefix("--") {
            let value = arguments
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            args.flags.insert(name.to_string(), value);
        } else {
            args.positional.push(argument);
        }
    }
    Ok(args)
}

fn port(args: &Args, name: &str, default: u16) -> Result<u16, BoxError> {
    match args.flags.get(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|_| format!("--{name}: not a port: {value}").into()),
    }
}

/// `--faults RATE` and its companions, when given.
fn fault_options(args: &Args) -> Result<Option<FaultOptions>, BoxError> {
    let Some(rate) = args.flags.get("faults") else {
        return Ok(None);
    };
    let rate: f64 = rate
        .parse()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| format!("--faults: not a rate between 0 and 1: {rate}"))?;
    fn list<T: std::str::FromStr<Err = String>>(
        args: &Args,
        name: &str,
    ) -> Result<Vec<T>, BoxError> {
        args.flags
            .get(name)
            .map(|text| text.split(',').map(|item| item.trim().parse()).collect())
            .unwrap_or(Ok(Vec::new()))
            .map_err(|error| format!("--{name}: {error}").into())
    }
    let kinds: Vec<FaultKind> = list(args, "fault-kinds")?;
    let mut services: Vec<Service> = list(args, "fault-services")?;
    if services.is_empty() {
        services = Service::ALL.to_vec();
    }
    let seed = match args.flags.get("fault-seed") {
        None => 1,
        Some(seed) => seed
            .parse()
            .map_err(|_| format!("--fault-seed: not a number: {seed}"))?,
    };
    Ok(Some(FaultOptions {
        plan: FaultPlan::new(rate, kinds, seed),
        services,
    }))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn up(args: Args) -> Result<(), BoxError> {
    let root = root(&args);
    // The SDK's standard variables (or flags) point the stack at backends you already run.
    let dynamo = match non_empty_env("AWS_ENDPOINT_URL_DYNAMODB") {
        Some(endpoint) => DynamoBackend::External(endpoint),
        None if args.switches.iter().any(|s| s == "--in-memory") => DynamoBackend::InMemory {
            port: port(&args, "dynamodb-port", 8000)?,
        },
        None => DynamoBackend::File {
            path: args
                .flags
                .get("db")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join(".dev/dynamodb.sqlite")),
            port: port(&args, "dynamodb-port", 8000)?,
        },
    };
    let moto = match non_empty_env("AWS_ENDPOINT_URL_S3") {
        Some(endpoint) => MotoBackend::External(endpoint),
        None => MotoBackend::Spawn {
            port: port(&args, "moto-port", 5000)?,
        },
    };
    let api_key = args
        .flags
        .get("api-key")
        .cloned()
        .or_else(|| non_empty_env("ITEMS_API_KEY"))
        .unwrap_or_else(|| DEFAULT_API_KEY.to_string());
    let gateway_port = port(&args, "port", 3000)?;
    let options = StackOptions {
        template: root.join("template.yaml"),
        binaries: args
            .flags
            .get("binaries")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/release")),
        gateway: ([127, 0, 0, 1], gateway_port).into(),
        api_key,
        dynamo,
        moto,
        output: Output::Prefixed,
        verbose: true,
        faults: fault_options(&args)?,
        observer: None,
    };
    let stack = LocalStack::start(options).await?;
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

async fn wait_for_shutdown() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

async fn invoke(args: Args) -> Result<(), BoxError> {
    let [function, event_file] = args.positional.as_slice() else {
        return Err("usage: scripts/invoke FUNCTION events/FILE.json (FUNCTION: ItemsApiFunction, StreamProcessorFunction, or its binary name)".into());
    };
    let root = root(&args);
    let stack = Endpoints::read(&root)?;
    let template = Template::load(&root.join("template.yaml"))?;
    let definition = template
        .functions(&stack.names)?
        .into_iter()
        .find(|f| &f.logical_id == function || &f.binary == function)
        .ok_or_else(|| format!("no function {function} in template.yaml"))?;
    let event: Value = serde_json::from_str(&std::fs::read_to_string(Path::new(event_file))?)?;
    let environment = function_environment(&definition, &stack.dynamodb, &stack.moto);
    let binaries = args
        .flags
        .get("binaries")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release"));
    let host = FunctionHost::start(FunctionConfig {
        name: definition.binary.clone(),
        binary: binaries.join(&definition.binary),
        environment,
        timeout: definition.timeout,
        memory_mb: definition.memory_mb,
        output: Output::Prefixed,
    })
    .await?;
    let result = host.invoke(event).await;
    host.stop();
    let response = result?;
    println!("{}", serde_json::to_string_pretty(&response)?);
    Ok(())
}

async fn peek(args: Args) -> Result<(), BoxError> {
    let stack = Endpoints::read(&root(&args))?;
    let clients = LocalClients::new(&stack.dynamodb, &stack.moto);
    // Notifications first: each is published only after its archive object was written,
    // so every change shown below has its object listed after it.
    println!("notifications (read from the subscribed queue, then removed from it):");
    let queue = &stack.inbox_queue_url;
    // The first wait covers a change made a moment ago (the trigger's 1 s batching window).
    let mut wait_seconds = 2;
    loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await?;
        wait_seconds = 1;
        let messages = received.messages();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            // SNS → SQS delivers the SNS envelope: Subject, Message, MessageAttributes.
            let envelope: Value =
                serde_json::from_str(message.body().unwrap_or_default()).unwrap_or_default();
            println!(
                "  {}  {}",
                envelope["Subject"].as_str().unwrap_or_default(),
                envelope["Message"].as_str().unwrap_or_default()
            );
            if let Some(handle) = message.receipt_handle() {
                clients
                    .sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
    }
    println!("archive (s3://{BUCKET_NAME}):");
    let listed = clients
        .s3
        .list_objects_v2()
        .bucket(BUCKET_NAME)
        .send()
        .await?;
    for object in listed.contents() {
        println!(
            "  {}  {} bytes",
            object.key().unwrap_or_default(),
            object.size().unwrap_or_default()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut arguments = std::env::args().skip(1);
    let command = arguments.next().unwrap_or_default();
    if matches!(command.as_str(), "--help" | "-h" | "help") {
        println!("{USAGE}");
        return;
    }
    let result = match parse(arguments) {
        Err(error) => Err(error),
        Ok(args) => match command.as_str() {
            "up" => up(args).await,
            "invoke" => invoke(args).await,
            "peek" => peek(args).await,
            _ => Err(USAGE.into()),
        },
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
