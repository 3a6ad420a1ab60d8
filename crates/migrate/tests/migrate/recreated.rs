//! A finished run's checkpoint against a target table deleted and created again under the
//! same name (a stack deployed anew, `scripts/dev --in-memory` restarted): refused, not
//! taken as "nothing left to copy" while the new table is empty.

use crate::support::{Original, SOURCE, TABLE_DEFINITION, TARGET, Tables, run_to_end};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_of_an_earlier_table_of_the_same_name_is_refused() {
    let tables = Tables::start().await;
    let original = Original::new(20, 0);
    tables.fill(SOURCE, &original.items).await;
    let (report, succeeded) = run_to_end(tables.migrate(None, &["--json"])).await;
    assert!(succeeded, "{report:#}");
    assert_eq!(tables.all(TARGET).await.len(), 20);

    let client = tables.client();
    client
        .delete_table()
        .table_name(TARGET)
        .send()
        .await
        .expect("delete the target");
    tables
        .dynamo
        .create_table(TARGET, &TABLE_DEFINITION)
        .await
        .expect("the target again");
    let refused = tables.migrate(None, &["--json"]).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is another one"), "{stderr}");
    assert!(tables.all(TARGET).await.is_empty(), "nothing written");

    std::fs::remove_file(tables.checkpoint()).unwrap();
    let (report, succeeded) = run_to_end(tables.migrate(None, &["--json"])).await;
    assert!(succeeded, "{report:#}");
    assert_eq!(tables.all(TARGET).await.len(), 20);
}
