//! DynamoDB's throttling, its 500s (the request landed, the answer says it failed) and
//! dropped connections, injected by devstack's fault proxy between the binary and dynoxide
//! (dynoxide itself never throttles): the SDK's retries with backoff ride them out, and a
//! retried put that had landed is counted as already there, identical.

use devstack::{FaultKind, FaultPlan, FaultProxy, Service};

use crate::support::{Counts, Original, SOURCE, TARGET, Tables, run_to_end};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_server_errors_and_resets_are_retried_and_every_item_accounted_for() {
    let tables = Tables::start().await;
    let original = Original::new(1_000, 2);
    tables.fill(SOURCE, &original.items).await;
    let kinds = vec![FaultKind::Throttle, FaultKind::Error, FaultKind::Reset];
    let proxy = FaultProxy::start(
        Service::DynamoDb,
        tables.dynamo.endpoint(),
        FaultPlan::new(0.1, kinds, 14),
    )
    .await
    .unwrap();

    let command = tables.migrate(Some(proxy.endpoint()), &["--segments", "4", "--json"]);
    let (report, succeeded) = run_to_end(command).await;
    let faults = proxy.counts();
    assert!(succeeded, "{faults}: {report:#}");
    assert!(
        faults.throttle > 0 && faults.error > 0 && faults.reset > 0,
        "{faults}"
    );
    let total = Counts::of(&report["total"]);
    assert_eq!(total.scanned, 1_000);
    assert_eq!(total.accounted(), 1_000);
    assert_eq!(total.failed, 0);
    assert_eq!(total.skipped.len(), 2);
    assert!(total.different.is_empty(), "{:?}", total.different);
    assert_eq!(total.copied + total.identical, 998);
    assert!(
        total.identical <= faults.error,
        "{faults}: {} identical",
        total.identical
    );
    assert_eq!(tables.all(TARGET).await.len(), 998);
}
