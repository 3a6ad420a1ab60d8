//! The command users run: `devstack up --faults …` injects what its flags ask for.

use super::*;

/// `devstack up --faults …` (what `scripts/dev --faults …` passes on) puts the proxies in:
/// with every DynamoDB call throttled, the API answers 503 with Retry-After. Its help
/// documents the flags, and a rate out of range is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_up_command_injects_the_faults_its_flags_ask_for() {
    let devstack = env!("CARGO_BIN_EXE_devstack");
    let help = tokio::process::Command::new(devstack)
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for flag in [
        "--faults RATE",
        "--fault-kinds",
        "--fault-services",
        "--fault-seed",
    ] {
        assert!(help.contains(flag), "--help documents {flag}:\n{help}");
    }
    let refused = tokio::process::Command::new(devstack)
        .args(["up", "--faults", "1.5"])
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a rate between 0 and 1"));

    let root = support::scratch_root("devstack-faults");
    let flags = [
        "--faults",
        "1",
        "--fault-kinds",
        "throttle",
        "--fault-services",
        "dynamodb",
    ];
    let (up, mut lines) = support::spawn_up(&root, "0", &flags);
    let (faults_line, api_url) = tokio::time::timeout(Duration::from_secs(60), async {
        let mut faults_line = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("faults:") {
                faults_line = Some(line.clone());
            }
            if let Some(url) = line.trim().strip_prefix("API:") {
                return (faults_line, url.trim().to_string());
            }
        }
        panic!("devstack up ended before it was ready");
    })
    .await
    .expect("ready within a minute");
    let faults_line = faults_line.expect("up says which faults it injects");
    assert!(
        faults_line.contains("100%")
            && faults_line.contains("throttle")
            && faults_line.contains("dynamodb via"),
        "{faults_line}"
    );

    let response = http::request(
        "GET",
        &api_url,
        &[("x-api-key", devstack::DEFAULT_API_KEY)],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(response.json()["code"], "THROTTLED");
    assert_eq!(response.header("retry-after"), Some("1"));

    support::interrupt_and_wait(up, &root).await;
    let _ = std::fs::remove_dir_all(&root);
}
