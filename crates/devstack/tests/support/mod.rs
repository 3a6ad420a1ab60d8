//! What the whole-stack test files share: starting the local stack on free ports.

use std::path::PathBuf;

use devstack::{DynamoBackend, FaultOptions, LocalStack, MotoBackend, Output, StackOptions};

/// The whole local stack on free ports with the workspace's debug binaries (which
/// `cargo test --workspace` builds for the other crates' tests).
pub async fn start_stack(
    api_key: &str,
    output: Output,
    faults: Option<FaultOptions>,
) -> LocalStack {
    let binaries = devstack::workspace_binaries("debug");
    for binary in ["items-api", "stream-processor"] {
        assert!(
            binaries.join(binary).is_file(),
            "{binary} is not built: run `cargo test --workspace` (scripts/test)"
        );
    }
    LocalStack::start(StackOptions {
        template: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"),
        binaries,
        gateway: ([127, 0, 0, 1], 0).into(),
        api_key: api_key.into(),
        dynamo: DynamoBackend::InMemory { port: 0 },
        moto: MotoBackend::Spawn { port: 0 },
        output,
        verbose: false,
        faults,
    })
    .await
    .expect("the local stack starts")
}
