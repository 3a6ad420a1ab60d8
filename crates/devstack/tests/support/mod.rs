//! What the whole-stack test files share: starting the local stack on free ports, in
//! process or as the `devstack up` command.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use devstack::{
    CpuCap, DynamoBackend, FaultOptions, LocalStack, MotoBackend, Output, StackOptions, http,
};
use serde_json::Value;

/// The whole local stack on free ports with the workspace's debug binaries (which
/// `cargo test --workspace` builds for the other crates' tests), at full speed over HTTP.
pub async fn start_stack(
    api_key: &str,
    output: Output,
    faults: Option<FaultOptions>,
) -> LocalStack {
    LocalStack::start(stack_options(api_key, output, faults))
        .await
        .expect("the local stack starts")
}

/// What [`start_stack`] starts.
pub fn stack_options(api_key: &str, output: Output, faults: Option<FaultOptions>) -> StackOptions {
    let binaries = devstack::workspace_binaries("debug");
    for binary in ["items-api", "stream-processor"] {
        assert!(
            binaries.join(binary).is_file(),
            "{binary} is not built: run `cargo test --workspace` (scripts/test)"
        );
    }
    StackOptions {
        template: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"),
        binaries,
        gateway: ([127, 0, 0, 1], 0).into(),
        api_key: api_key.into(),
        dynamo: DynamoBackend::InMemory { port: 0 },
        moto: MotoBackend::Spawn { port: 0 },
        output,
        verbose: false,
        faults,
        observer: None,
        tls: false,
        cpu_cap: CpuCap::Off,
        memory_mb: None,
    }
}

/// A scratch `--root` for the `devstack` command: a directory with a copy of template.yaml.
pub fn scratch_root(name: &str) -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(workspace.join("template.yaml"), root.join("template.yaml")).unwrap();
    root
}

/// `devstack up` (what scripts/dev runs) in `root`, in memory, with the debug binaries, the
/// gateway on `port` and every backend on a free port, plus `extra` flags; its stdout as lines.
pub fn spawn_up(root: &Path, port: &str, extra: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let binaries = devstack::workspace_binaries("debug");
    let mut up = Command::new(env!("CARGO_BIN_EXE_devstack"))
        .arg("up")
        .args(["--root", root.to_str().unwrap()])
        .args(["--binaries", binaries.to_str().unwrap()])
        .args(["--in-memory", "--port", port])
        .args(["--dynamodb-port", "0", "--moto-port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("stderr.log")).unwrap())
        // Its own group, as a shell gives a foreground job: see interrupt_and_wait.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = BufReader::new(up.stdout.take().unwrap()).lines();
    (up, lines)
}

/// Ctrl-C to a [`spawn_up`] in `root`, as a terminal sends it: SIGINT to the whole process
/// group. The stack must then exit cleanly within 15 s, its functions stopped by it, not
/// killed by the signal under it (which it would report as a crash and restart).
pub async fn interrupt_and_wait(mut up: Child, root: &Path) {
    let group = format!("-{}", up.id().unwrap());
    let status = std::process::Command::new("kill")
        .args(["-INT", "--", &group])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(15), up.wait())
        .await
        .expect("stops on Ctrl-C")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let stderr = std::fs::read_to_string(root.join("stderr.log")).unwrap();
    assert!(!stderr.contains("restarting"), "{stderr}");
}

/// A JSON request to the stack's gateway with these headers (the key among them, or not).
pub async fn request(
    stack: &LocalStack,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> http::HttpResponse {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let body = body.map(Value::to_string).unwrap_or_default();
    http::request(
        method,
        &format!("{}{path}", stack.gateway_url),
        &all,
        body.as_bytes(),
    )
    .await
    .unwrap()
}
