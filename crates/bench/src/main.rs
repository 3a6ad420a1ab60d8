//! The benchmark suite behind `scripts/bench`, with Lambda emulated: at each memory size the
//! functions get Lambda's CPU share for it (from the end of init) and reach the local AWS
//! endpoints over HTTPS. Cold start (items-api, with and without its connection opened in
//! init, the hello-world floor, and optionally any other Runtime API process), warm latency
//! through the local API Gateway, CPU time and peak memory of the function process, billed
//! duration and cost per million requests, stream-processor throughput at the template's
//! memory size, and artefact sizes. Prints a Markdown table and writes
//! target/bench/results.json.

mod cold;
mod cost;
mod goals;
mod options;
mod process;
mod report;
mod sizes;
mod stats;
mod stream;
mod subject;
mod timings;
mod warm;

use std::{collections::BTreeMap, path::Path};

use axum::http::HeaderMap;
use devstack::{
    CpuCap, DEFAULT_API_KEY, DynamoBackend, LocalDynamo, LocalStack, Moto, MotoBackend, Output,
    RestRequest, StackOptions, TABLE_NAME, Template, Tls, function_environment, rest_event,
    workspace_binaries,
};
use serde_json::Value;

use crate::{
    options::Options,
    report::{Emulated, FLOOR, ITEMS_API, ITEMS_API_COLD_CONNECTIONS, SizeRun, VS},
    subject::{Emulation, Subject},
    timings::Timings,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() {
    let options = Options::from_args();
    if let Err(error) = run(options).await {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}

fn step(message: &str) {
    eprintln!("==> {message}");
}

async fn run(options: Options) -> Result<(), BoxError> {
    let template = Template::load(Path::new("template.yaml"))?;
    let release = workspace_binaries("release");
    step("local stack: moto, dynoxide, both functions, the stream trigger");
    let moto = Moto::start().await?;
    let timings = Timings::new();
    let stack = LocalStack::start(StackOptions {
        template: "template.yaml".into(),
        binaries: release.clone(),
        gateway: ([127, 0, 0, 1], 0).into(),
        api_key: DEFAULT_API_KEY.into(),
        dynamo: DynamoBackend::InMemory { port: 0 },
        moto: MotoBackend::External(moto.endpoint().into()),
        output: Output::Discarded,
        faults: None,
        verbose: false,
        observer: Some(timings.clone()),
        tls: options.tls,
        cpu_cap: options.cpu_cap,
        memory_mb: None,
    })
    .await?;
    let item = created_item(&stack).await?;
    let id = item["id"].as_s().map_err(|_| "no id")?.clone();

    // The API phases get their own table, so the stream trigger's work does not compete
    // with the requests being timed.
    let api_dynamo = LocalDynamo::start_in_memory().await?;
    api_dynamo
        .create_table(TABLE_NAME, &template.table("ItemsTable")?)
        .await?;
    api_dynamo
        .client()
        .put_item()
        .table_name(TABLE_NAME)
        .set_item(Some(item.clone()))
        .send()
        .await?;
    let definition = template
        .functions(&stack.names)?
        .into_iter()
        .find(|function| !function.routes.is_empty())
        .ok_or("no function has Api events")?;
    let api = template.api(&stack.names)?;
    let mut environment = function_environment(&definition, api_dynamo.endpoint(), moto.endpoint());
    let mut tls = options.tls.then(Tls::new).transpose()?;
    if let Some(tls) = &mut tls {
        tls.secure(&mut environment).await?;
    }
    let items_api = Subject {
        name: ITEMS_API.into(),
        binary: release.join("items-api"),
        environment: environment.clone(),
    };
    let items_api_cold_connections =
        items_api.with(ITEMS_API_COLD_CONNECTIONS, "WARM_UP_CONNECTIONS", "off");
    let floor = Subject {
        name: FLOOR.into(),
        binary: release.join("lambda-floor"),
        environment: environment.clone(),
    };
    let vs = options
        .vs
        .as_deref()
        .map(|command| Subject::command(VS, command, environment.clone()));
    let get_event = get_item_event(&id, &api.stage);

    let emulated = Emulated {
        tls: options.tls,
        handshakes: 0,
        cpu_cap: options.cpu_cap,
        cgroups: (options.cpu_cap != CpuCap::Off)
            .then(devstack::cgroups)
            .flatten(),
    };
    let mut results = report::Results::new(&options, emulated);
    for &memory_mb in &options.memory_sizes {
        let emulation = Emulation {
            memory_mb,
            cpu_cap: options.cpu_cap,
        };
        let mut run = SizeRun::new(memory_mb);
        // Without the connection opened in init, at the smallest size only: where it costs most.
        let smallest = Some(memory_mb) == options.memory_sizes.first().copied();
        let cold_subjects = [
            Some(&items_api),
            smallest.then_some(&items_api_cold_connections),
            Some(&floor),
            vs.as_ref(),
        ];
        for subject in cold_subjects.into_iter().flatten() {
            step(&format!(
                "{memory_mb} MB cold start: {} × {}",
                subject.name, options.cold_runs
            ));
            let cold =
                cold::measure(subject, emulation, &get_event, options.cold_runs, &timings).await?;
            run.cold.push((subject.name.clone(), cold));
        }
        for subject in [Some(&items_api), vs.as_ref()].into_iter().flatten() {
            step(&format!(
                "{memory_mb} MB warm: {} × {} requests",
                subject.name, options.warm_requests
            ));
            let warm = warm::measure(
                subject,
                emulation,
                &api,
                &definition.routes,
                DEFAULT_API_KEY,
                options.warm_requests,
                &timings,
            )
            .await?;
            run.warm.push((subject.name.clone(), warm));
        }
        results.sizes.push(run);
    }
    if let Some(tls) = &tls {
        results.emulated.handshakes = tls.handshakes(api_dynamo.endpoint());
    }
    let processor = "stream-processor";
    let stream_memory = template
        .functions(&stack.names)?
        .into_iter()
        .find(|function| function.binary == processor)
        .ok_or("no stream-processor in template.yaml")?
        .memory_mb;
    step(&format!(
        "stream: {} changes, {stream_memory} MB",
        options.stream_changes
    ));
    let throughput = stream::measure(
        &stack,
        TABLE_NAME,
        item,
        processor,
        &timings,
        options.stream_changes,
    )
    .await?;
    results.stream = Some((stream_memory, throughput));
    for function in ["items-api", "stream-processor", "lambda-floor"] {
        results
            .artefacts
            .extend(sizes::measure(function, "x86_64", &release.join(function)));
        let arm64 = workspace_binaries("lambda")
            .join(function)
            .join("bootstrap");
        results
            .artefacts
            .extend(sizes::measure(function, "arm64", &arm64));
    }
    stack.stop();

    println!("{}", results.table());
    let path = workspace_binaries("bench").join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results.json())?)?;
    eprintln!("==> {}", path.display());
    Ok(())
}

/// An item created through the stack's own API, read back as DynamoDB stores it: the item the
/// cold starts read and the template of the stream burst.
async fn created_item(
    stack: &LocalStack,
) -> Result<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, BoxError> {
    let created = devstack::http::request(
        "POST",
        &format!("{}/items", stack.gateway_url),
        &[("x-api-key", &stack.api_key)],
        br#"{"name":"Bench item","email":"bench@example.com","attributes":{"color":"blue"}}"#,
    )
    .await?;
    let id = created.json()["id"]
        .as_str()
        .ok_or("POST /items returned no id")?
        .to_string();
    let stored = stack
        .clients()
        .dynamodb
        .get_item()
        .table_name(TABLE_NAME)
        .key("id", aws_sdk_dynamodb::types::AttributeValue::S(id))
        .send()
        .await?;
    Ok(stored.item.ok_or("the created item is not in the table")?)
}

/// API Gateway's event for `GET /items/{id}`, with the API key.
fn get_item_event(id: &str, stage: &str) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", DEFAULT_API_KEY.parse().expect("ASCII"));
    rest_event(RestRequest {
        method: "GET",
        resource: "/items/{id}",
        path: &format!("/items/{id}"),
        query: None,
        headers: &headers,
        path_parameters: &BTreeMap::from([("id".to_string(), id.to_string())]),
        body: b"",
        stage,
        request_id: "bench-cold-start",
        api_key: Some(DEFAULT_API_KEY),
        source_ip: "127.0.0.1",
    })
}
