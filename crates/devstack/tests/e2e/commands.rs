//! The commands users run: `devstack up` (scripts/dev) with the smoke flow, `invoke` and
//! `peek`; the README flow over HTTPS under Lambda's CPU share.

use super::*;

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

    support::interrupt_and_wait(up, &root).await;
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
