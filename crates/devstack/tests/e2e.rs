//! The whole local stack, started on free ports and driven over HTTP: the gateway's key,
//! routing, CORS and throttling; the real function binaries behind it; the stream path to
//! S3 and SNS, retries and the dead-letter queue. Then the Runtime API's behaviour when a
//! function panics, aborts or overruns its timeout. Last, the README flow over HTTPS under
//! Lambda's CPU share.
//!
//! The function binaries are the workspace's debug builds, which `cargo test --workspace`
//! builds for the other crates' tests (or set `CARGO_TARGET_DIR`).

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use devstack::{
    BUCKET_NAME, CpuCap, DEFAULT_API_KEY, FunctionConfig, FunctionHost, InvokeError, LocalClients,
    LocalStack, Output, http,
};
mod support;

use serde_json::{Value, json};
use tokio::task::JoinSet;

const KEY: &str = "e2e-test-key";

async fn stack() -> LocalStack {
    stack_with(Output::Discarded).await
}

async fn stack_with(output: Output) -> LocalStack {
    support::start_stack(KEY, output, None).await
}

async fn call(
    stack: &LocalStack,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> http::HttpResponse {
    let headers: Vec<(&str, &str)> = key.map(|key| ("x-api-key", key)).into_iter().collect();
    support::request(stack, method, path, &headers, body.as_ref()).await
}

/// The archive bucket's keys (the first page: these tests write a handful), or None if
/// listing failed.
async fn archive_keys(clients: &LocalClients) -> Option<Vec<String>> {
    let listed = clients
        .s3
        .list_objects_v2()
        .bucket(BUCKET_NAME)
        .send()
        .await
        .ok()?;
    Some(
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect(),
    )
}

/// Polls `check` every 100 ms until it gives a value or `limit` passes.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(value) = check().await {
            return Some(value);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_through_the_gateway_with_and_without_the_key() {
    let stack = stack().await;
    for (method, path) in [
        ("GET", "/items"),
        ("POST", "/items"),
        ("GET", "/items/x"),
        ("PUT", "/items/x"),
        ("DELETE", "/items/x"),
        ("POST", "/items/batch"),
    ] {
        let response = call(&stack, method, path, None, None).await;
        assert_eq!(response.status, 403, "{method} {path} without a key");
        assert_eq!(response.json(), json!({"message": "Forbidden"}));
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "gateway responses carry CORS"
        );
        let wrong = call(&stack, method, path, Some("wrong-key"), None).await;
        assert_eq!(wrong.status, 403);
    }

    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Widget", "email": "e2e@example.com"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item = created.json();
    let id = item["id"].as_str().unwrap().to_string();
    // As on AWS, Location carries the stage (lambda_http adds it from requestContext.stage);
    // the local gateway serves paths with and without the stage prefix.
    let location = created.header("location").unwrap().to_string();
    assert_eq!(location, format!("/prod/items/{id}"));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert!(created.header("x-amzn-requestid").is_some());

    let fetched = call(&stack, "GET", &location, Some(KEY), None).await;
    assert_eq!((fetched.status, fetched.json()), (200, item.clone()));
    assert_eq!(
        call(&stack, "GET", &format!("/items/{id}"), Some(KEY), None)
            .await
            .status,
        200
    );

    let listed = call(
        &stack,
        "GET",
        "/items?limit=5&status=active",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["items"][0]["id"], id.as_str());
    let by_email = call(
        &stack,
        "GET",
        "/items?email=e2e%40example.com",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(by_email.json()["count"], 1);

    let updated = call(
        &stack,
        "PUT",
        &format!("/items/{id}"),
        Some(KEY),
        Some(json!({"status": "inactive"})),
    )
    .await;
    assert_eq!(
        (updated.status, updated.json()["version"].clone()),
        (200, json!(2))
    );
    let invalid = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": ""})),
    )
    .await;
    assert_eq!(
        (invalid.status, invalid.json()["code"].clone()),
        (400, json!("VALIDATION_FAILED"))
    );

    // The batch resource is its own, not an id of /items/{id}.
    let batch = call(
        &stack,
        "POST",
        "/items/batch",
        Some(KEY),
        Some(json!({"operations": [{"op": "update", "id": id, "if_match": 2, "changes": {"name": "Gadget"}}]})),
    )
    .await;
    assert_eq!(batch.status, 200, "{}", batch.text());
    assert_eq!(batch.json()["results"][0]["item"]["version"], 3);
    assert_eq!(
        call(&stack, "GET", "/items/batch", Some(KEY), None)
            .await
            .json(),
        json!({"message": "Missing Authentication Token"}),
        "POST is the batch resource's only method"
    );

    let deleted = call(&stack, "DELETE", &format!("/items/{id}"), Some(KEY), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call(&stack, "GET", &format!("/items/{id}"), Some(KEY), None)
            .await
            .status,
        404
    );

    // What API Gateway answers itself.
    let unknown = call(&stack, "GET", "/users", Some(KEY), None).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (403, json!({"message": "Missing Authentication Token"}))
    );
    assert_eq!(
        call(&stack, "PATCH", "/items", Some(KEY), None)
            .await
            .status,
        403
    );
    let preflight = call(&stack, "OPTIONS", "/items", None, None).await;
    assert_eq!(preflight.status, 200, "the CORS preflight needs no key");
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,POST,PUT,DELETE,OPTIONS")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("X-Api-Key")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_the_usage_plan_is_429() {
    let stack = Arc::new(stack().await);
    let mut clients = JoinSet::new();
    // The template's usage plan: burst 200, 100 requests/s.
    for _ in 0..320 {
        let stack = stack.clone();
        clients.spawn(async move {
            call(
                &stack,
                "GET",
                "/items/0f8fad5b-d9cb-469f-a165-70867728950e",
                Some(KEY),
                None,
            )
            .await
        });
    }
    let responses = clients.join_all().await;
    let throttled: Vec<_> = responses.iter().filter(|r| r.status == 429).collect();
    let served = responses.iter().filter(|r| r.status == 404).count();
    assert!(!throttled.is_empty(), "no request was throttled");
    assert!(served >= 200, "the burst is served: {served}");
    assert_eq!(
        throttled.len() + served,
        320,
        "only 404s (served) and 429s (throttled)"
    );
    assert_eq!(throttled[0].json(), json!({"message": "Too Many Requests"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_archive_and_the_topic_within_seconds() {
    let stack = stack().await;
    let clients = stack.clients();
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Streamed", "email": "s@example.com"})),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap().to_string();
    let started = Instant::now();

    let key = eventually(Duration::from_secs(10), || async {
        archive_keys(&clients)
            .await?
            .into_iter()
            .find(|k| k.ends_with(&format!("{id}.json")))
    })
    .await
    .expect("the archive object appears");
    assert!(key.starts_with("backups/"));
    let notification = eventually(Duration::from_secs(10), || async {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&stack.inbox_queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .ok()?;
        let body = received.messages().first()?.body()?.to_string();
        serde_json::from_str::<Value>(&body).ok()
    })
    .await
    .expect("the notification arrives in the subscribed queue");
    assert_eq!(notification["Subject"], "Item created");
    let message: Value = serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["item_id"], id.as_str());
    let elapsed = started.elapsed();
    eprintln!("write -> archive object + notification: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_crud_run_leaves_no_personal_data_in_either_functions_logs() {
    let stack = stack_with(Output::Captured).await;
    let secrets = [
        "private.person@example.com",
        "second.person@example.org",
        "Secret Name",
        "confidential description",
        "not-an-address-secret",
    ];
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Secret Name", "email": "private.person@example.com",
                    "description": "confidential description", "attributes": {"k": "confidential description"}})),
    )
    .await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let item = format!("/items/{id}");
    assert_eq!(
        call(&stack, "GET", &item, Some(KEY), None).await.status,
        200
    );
    let by_email = "/items?email=private.person%40example.com";
    assert_eq!(
        call(&stack, "GET", by_email, Some(KEY), None).await.status,
        200
    );
    let refused = json!({"email": "not-an-address-secret", "name": "Secret Name"});
    assert_eq!(
        call(&stack, "PUT", &item, Some(KEY), Some(refused))
            .await
            .status,
        400
    );
    let update = json!({"email": "second.person@example.org"});
    assert_eq!(
        call(&stack, "PUT", &item, Some(KEY), Some(update))
            .await
            .status,
        200
    );
    assert_eq!(
        call(&stack, "DELETE", &item, Some(KEY), None).await.status,
        204
    );

    // The stream processor has handled all three changes once the tombstone is archived.
    let clients = stack.clients();
    eventually(Duration::from_secs(15), || async {
        archive_keys(&clients)
            .await?
            .iter()
            .any(|k| k.contains(&format!("{id}/deleted-v")))
            .then_some(())
    })
    .await
    .expect("the delete is archived");
    // …and has logged the batch that carried it: it logs a batch after its side effects, so
    // the archive object can exist a moment before the log line does.
    let batch_records = || {
        stack
            .functions
            .iter()
            .flat_map(|host| host.output())
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
            .filter(|line| line["fields"]["message"] == "batch")
            .filter_map(|line| line["fields"]["records"].as_u64())
            .sum::<u64>()
    };
    eventually(Duration::from_secs(5), || async {
        (batch_records() >= 3).then_some(())
    })
    .await
    .expect("the stream processor logged the batches of all three changes");

    for host in &stack.functions {
        let logs = host.output().join("\n");
        assert!(!logs.is_empty(), "{} logged nothing to judge", host.name());
        for secret in secrets {
            assert!(
                !logs.contains(secret),
                "{} logged {secret:?}:\n{logs}",
                host.name()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_processor_is_retried_then_dead_lettered() {
    let stack = stack().await;
    let clients = stack.clients();
    // Without its bucket, every archive write fails and the processor reports the record.
    clients
        .s3
        .delete_bucket()
        .bucket(BUCKET_NAME)
        .send()
        .await
        .unwrap();
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Doomed", "email": "d@example.com"})),
    )
    .await;
    assert_eq!(created.status, 201);

    let dead_letter = eventually(Duration::from_secs(30), || async {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&stack.dead_letter_queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .ok()?;
        serde_json::from_str::<Value>(received.messages().first()?.body()?).ok()
    })
    .await
    .expect("the batch lands in the dead-letter queue");
    assert_eq!(
        dead_letter["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    // MaximumRetryAttempts 5 in the template: the first try and five retries.
    assert_eq!(dead_letter["requestContext"]["approximateInvokeCount"], 6);
    let batch = &dead_letter["DDBStreamBatchInfo"];
    assert_eq!(batch["batchSize"], 1);
    assert!(batch["streamArn"].as_str().unwrap().contains("/stream/"));
    assert!(
        batch["startSequenceNumber"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

// ---------------------------------------------------------------- the Runtime API itself

async fn fixture(timeout: Duration) -> FunctionHost {
    FunctionHost::start(FunctionConfig {
        name: "fixture".into(),
        binary: PathBuf::from(env!("CARGO_BIN_EXE_lambda-fixture")),
        environment: Vec::new(),
        timeout,
        memory_mb: 128,
        cpu_cap: CpuCap::Off,
        output: Output::Discarded,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn invocations_carry_the_runtime_api_context() {
    let host = fixture(Duration::from_secs(5)).await;
    let first = host.invoke(json!({"n": 1})).await.unwrap();
    let second = host.invoke(json!({"n": 2})).await.unwrap();
    assert_eq!(first["echo"], json!({"n": 1}));
    assert_eq!(first["function_name"], "fixture");
    assert_ne!(first["request_id"], second["request_id"]);
    assert_eq!(first["pid"], second["pid"], "one warm process serves both");
    host.stop();
}

#[tokio::test]
async fn a_panic_or_an_error_is_an_error_response_and_the_function_goes_on() {
    let host = fixture(Duration::from_secs(5)).await;
    let panicked = host.invoke(json!({"do": "panic"})).await;
    assert!(
        matches!(
            panicked,
            Err(InvokeError::Function { .. }) | Err(InvokeError::ProcessExited)
        ),
        "{panicked:?}"
    );
    let failed = host.invoke(json!({"do": "fail"})).await;
    assert!(
        matches!(&failed, Err(InvokeError::Function { message, .. }) if message.contains("asked to fail")),
        "{failed:?}"
    );
    assert_eq!(host.invoke(json!({"n": 3})).await.unwrap()["echo"]["n"], 3);
    host.stop();
}

#[tokio::test]
async fn a_dead_process_fails_its_invocation_and_is_restarted() {
    let host = fixture(Duration::from_secs(5)).await;
    let before = host.invoke(json!({})).await.unwrap()["pid"].clone();
    assert_eq!(
        host.invoke(json!({"do": "abort"})).await,
        Err(InvokeError::ProcessExited)
    );
    let after = host.invoke(json!({})).await.unwrap()["pid"].clone();
    assert_ne!(before, after, "a new process");
    host.stop();
}

#[tokio::test]
async fn an_overrun_is_a_timeout_not_a_hang_and_the_process_is_replaced() {
    let host = fixture(Duration::from_millis(500)).await;
    let before = host.invoke(json!({})).await.unwrap()["pid"].clone();
    let started = Instant::now();
    let result = host.invoke(json!({"do": "sleep", "ms": 10_000})).await;
    assert_eq!(
        result,
        Err(InvokeError::Timeout(Duration::from_millis(500)))
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered at the timeout: {:?}",
        started.elapsed()
    );
    let after = host.invoke(json!({})).await.unwrap()["pid"].clone();
    assert_ne!(before, after, "the overrunning process was killed");
    let pids: HashSet<String> = [before, after].iter().map(|p| p.to_string()).collect();
    assert_eq!(pids.len(), 2);
    host.stop();
}

// ---------------------------------------------------------------- the commands users run

/// `devstack up` (what scripts/dev runs) in a scratch root: the banner with the key, the
/// README's flow (scripts/smoke) against it, `invoke` and `peek`, then a clean Ctrl-C.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_command_serves_the_smoke_flow_and_stops_cleanly() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = support::scratch_root("devstack-e2e");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let binaries = devstack::workspace_binaries("debug");
    let common = [
        "--root",
        root.to_str().unwrap(),
        "--binaries",
        binaries.to_str().unwrap(),
    ];
    let devstack = env!("CARGO_BIN_EXE_devstack");

    // No --api-key: the documented default, which the README's curls use literally.
    let (up, mut lines) = support::spawn_up(&root, &port, &[]);
    let banner = tokio::time::timeout(Duration::from_secs(60), async {
        let mut seen = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.contains(&format!("x-api-key: {DEFAULT_API_KEY}"));
            seen.push(line);
            if done {
                return seen;
            }
        }
        panic!("devstack up ended before it was ready: {seen:?}");
    })
    .await
    .expect("ready within a minute");
    assert!(
        banner
            .iter()
            .any(|l| l.contains(&format!("http://127.0.0.1:{port}/items"))),
        "{banner:?}"
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".dev/endpoints.json")).unwrap())
            .unwrap();

    let smoke = tokio::process::Command::new("python3")
        .arg(workspace.join("scripts/smoke"))
        .args([
            format!("http://127.0.0.1:{port}"),
            DEFAULT_API_KEY.to_string(),
        ])
        .output()
        .await
        .unwrap();
    let smoke_output = String::from_utf8_lossy(&smoke.stdout);
    assert!(
        smoke.status.success(),
        "scripts/smoke failed:\n{smoke_output}\n{}",
        String::from_utf8_lossy(&smoke.stderr)
    );
    assert!(smoke_output.contains("smoke: all steps passed"));

    // The README's local curl block, as written (but for the port).
    let readme = std::fs::read_to_string(workspace.join("README.md")).unwrap();
    let block: String = readme
        .split("<!-- local curls:")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has the local curl block")
        .lines()
        .filter(|line| !line.starts_with("scripts/"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{port}"));
    let curls = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block])
        .output()
        .await
        .unwrap();
    let curl_output = String::from_utf8_lossy(&curls.stdout);
    assert!(
        curls.status.success(),
        "README curls failed:\n{curl_output}\n{}",
        String::from_utf8_lossy(&curls.stderr)
    );
    let codes: Vec<&str> = curl_output.lines().rev().take(2).collect();
    assert_eq!(
        codes,
        ["403", "204"],
        "DELETE then the keyless request:\n{curl_output}"
    );

    let invoked = tokio::process::Command::new(devstack)
        .arg("invoke")
        .args(common)
        .args([
            "ItemsApiFunction",
            workspace.join("events/list-items.json").to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        invoked.status.success(),
        "{}",
        String::from_utf8_lossy(&invoked.stderr)
    );
    let response: Value = serde_json::from_slice(&invoked.stdout).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");

    // The smoke flow created, updated and deleted an item: three archive objects.
    let peeked = eventually(Duration::from_secs(10), || async {
        let output = tokio::process::Command::new(devstack)
            .arg("peek")
            .args(common)
            .output()
            .await
            .ok()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (text.matches("backups/").count() >= 3).then_some(text)
    })
    .await
    .expect("peek lists the archive objects");
    assert!(
        peeked.contains("Item created") || peeked.contains("Item deleted"),
        "{peeked}"
    );

    support::interrupt_and_wait(up).await;
    assert!(
        !root.join(".dev/endpoints.json").exists(),
        "the state file is removed"
    );
    let moto_port = state["moto"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    for (what, port) in [("gateway", port), ("moto", moto_port)] {
        let closed = eventually(Duration::from_secs(3), || async {
            std::net::TcpStream::connect(format!("127.0.0.1:{port}"))
                .is_err()
                .then_some(())
        })
        .await;
        assert!(
            closed.is_some(),
            "{what} (port {port}) still served after the stack stopped"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// The README's flow on a stack as Lambda runs it: the functions reach DynamoDB, S3 and SNS
/// over HTTPS only (`--tls`) and run under Lambda's CPU share for their memory, init
/// included (`--cap-init`), at 128 MB. Both functions must really have connected over TLS, and the cap
/// must really have held them back (their cgroups counted throttled periods).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_flow_over_https_with_lambdas_cpu_share() {
    let mut options = support::stack_options(KEY, Output::Discarded, None);
    options.tls = true;
    options.cpu_cap = CpuCap::Always;
    options.memory_mb = Some(128);
    let stack = LocalStack::start(options)
        .await
        .expect("the local stack starts");
    let item = json!({"name": "Over TLS", "email": "tls@example.com"});
    let created = call(&stack, "POST", "/items", Some(KEY), Some(item)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let read = call(&stack, "GET", &format!("/items/{id}"), Some(KEY), None).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["name"], "Over TLS");
    let listed = call(&stack, "GET", "/items", Some(KEY), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.text().contains(&id), "{}", listed.text());
    let clients = stack.clients();
    eventually(Duration::from_secs(30), || async {
        archive_keys(&clients)
            .await?
            .into_iter()
            .find(|k| k.ends_with(&format!("{id}.json")))
    })
    .await
    .expect("the stream processor archived the item");

    let tls = stack.tls.as_ref().expect("a TLS stack");
    assert!(
        tls.handshakes(&stack.dynamo_endpoint) > 0,
        "items-api reached DynamoDB over TLS"
    );
    assert!(
        tls.handshakes(&stack.moto_endpoint) > 0,
        "the stream processor reached S3 and SNS over TLS"
    );
    for function in &stack.functions {
        let throttling = function.cpu_throttling().await;
        match devstack::cgroups() {
            Some(cgroups) => {
                let throttling =
                    throttling.unwrap_or_else(|| panic!("{}: no cap", function.name()));
                assert_eq!(throttling.quota_us, devstack::quota_us(128), "{cgroups}");
                assert!(
                    throttling.throttled_periods > 0,
                    "{}: the cap held it back ({cgroups}): {throttling:?}",
                    function.name()
                );
            }
            // No cgroup here: the stack said so and ran the function uncapped.
            None => assert_eq!(throttling, None, "{}", function.name()),
        }
    }
}
