//! The Runtime API itself, with a fixture function: the context of an invocation, a panic or
//! an error, a dead process, an overrun.

use super::*;

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
