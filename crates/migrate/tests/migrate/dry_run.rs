//! `--dry-run` reads and normalises everything, says what a run would do, writes nothing.

use items_api::store::attributes;

use crate::support::{Counts, Original, SOURCE, TARGET, Tables, id_of, ours, run_to_end, strict};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let tables = Tables::start().await;
    let original = Original::new(300, 2);
    tables.fill(SOURCE, &original.items).await;
    // Three ids already in the target: two with other content, one as a copy would write it.
    let ids = original.some_ids(3);
    let by_id = |id: &String| {
        original
            .items
            .iter()
            .find(|item| &id_of(item) == id)
            .unwrap()
    };
    let already = [
        ours(by_id(&ids[0])),
        ours(by_id(&ids[1])),
        attributes::encode(&strict(by_id(&ids[2]))).unwrap(),
    ];
    tables.fill(TARGET, &already).await;
    let before = tables.all(TARGET).await;

    let (report, succeeded) = run_to_end(tables.migrate(None, &["--dry-run", "--json"])).await;
    assert!(succeeded, "{report:#}");
    assert_eq!(report["dry_run"], true);
    let total = Counts::of(&report["total"]);
    assert_eq!(total.scanned, 300);
    assert_eq!(total.accounted(), 300);
    assert_eq!(total.copied, 295, "to copy");
    assert_eq!(total.identical, 1);
    let mut different = ids[..2].to_vec();
    different.sort();
    assert_eq!(total.different, different);
    assert_eq!(total.skipped.len(), 2);
    assert_eq!(Counts::of(&report["earlier_runs"]).scanned, 0);
    assert_eq!(tables.all(TARGET).await, before, "nothing written");
    assert!(!tables.checkpoint().exists(), "not even a checkpoint");

    // The text report names what would not be copied, by id and attribute name only.
    let output = tables.migrate(None, &["--dry-run"]).output().await.unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("(dry run: nothing written)"), "{text}");
    assert!(
        text.contains(
            "300 scanned: 295 to copy, 3 already there (1 identical, 2 different), 2 skipped, 0 failed"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"bad-name-0\": name (cannot be represented)"),
        "{text}"
    );
    assert!(
        text.contains("\"bad-time-1\": created_at (cannot be represented)"),
        "{text}"
    );
    assert!(!text.contains("not a time"), "never a value: {text}");
    assert!(
        text.ends_with("complete: every item accounted for\n"),
        "{text}"
    );
    // Not a terminal: no progress bar drawn.
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(tables.all(TARGET).await, before, "nothing written");
}
