//! 10 000 original-shape items copied, the run killed once halfway and resumed.

use std::time::{Duration, Instant};

use domain::{Item, Timestamp};
use items_api::store::attributes;

use crate::support::{Counts, Original, SOURCE, TARGET, Tables, id_of, ours, recorded, run_to_end};

const ITEMS: usize = 10_000;
const UNREPRESENTABLE: usize = 10;
const ALREADY_THERE: usize = 5;

/// The attributes of the strict shape (no e-mail on items of the batch tool).
const STRICT: [&str; 9] = [
    "id",
    "name",
    "email",
    "description",
    "status",
    "created_at",
    "updated_at",
    "version",
    "attributes",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_of_the_original_is_copied_resumed_once_and_every_item_accounted_for() {
    let tables = Tables::start().await;
    let original = Original::new(ITEMS, UNREPRESENTABLE);
    tables.fill(SOURCE, &original.items).await;
    let already_ids = original.some_ids(ALREADY_THERE);
    let already: Vec<_> = original
        .items
        .iter()
        .filter(|item| already_ids.contains(&id_of(item)))
        .map(ours)
        .collect();
    tables.fill(TARGET, &already).await;

    // First run: killed once the checkpoint shows half the table, well before the end.
    let started = Instant::now();
    let mut first = tables
        .migrate(None, &["--segments", "4", "--in-flight", "64", "--json"])
        .spawn()
        .unwrap();
    let recorded_at_kill = loop {
        if let Some(status) = first.try_wait().unwrap() {
            panic!("the first run ended ({status}) before it could be killed");
        }
        match recorded(&tables.checkpoint()) {
            Some((scanned, false)) if scanned >= ITEMS as u64 / 2 => break scanned,
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    };
    first.start_kill().unwrap();
    assert!(!first.wait().await.unwrap().success(), "killed");
    let (earlier, done) = recorded(&tables.checkpoint()).unwrap();
    assert!(
        !done && earlier >= recorded_at_kill && earlier < ITEMS as u64,
        "{earlier}"
    );
    // Puts dynoxide had received before the kill finish; then nothing changes the target.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let in_target_at_kill = tables.all(TARGET).await.len() as u64;

    // Second run: continues after the checkpoint.
    let (report, succeeded) =
        run_to_end(tables.migrate(None, &["--segments", "4", "--json"])).await;
    let elapsed = started.elapsed();
    assert!(succeeded, "{report:#}");
    let rate = report["items_per_second"].as_f64().unwrap();
    assert_eq!(report["complete"], true);
    let earlier_runs = Counts::of(&report["earlier_runs"]);
    let this_run = Counts::of(&report["this_run"]);
    let total = Counts::of(&report["total"]);
    assert_eq!(earlier_runs.scanned, earlier);
    assert_eq!(
        this_run.scanned,
        ITEMS as u64 - earlier,
        "did not start over"
    );
    // What the killed run wrote after its last recorded page is found there, identical.
    assert_eq!(earlier_runs.identical, 0);
    assert_eq!(
        this_run.identical,
        in_target_at_kill - ALREADY_THERE as u64 - earlier_runs.copied
    );

    // Every scanned item accounted for, once.
    assert_eq!(total.scanned, ITEMS as u64);
    assert_eq!(total.accounted(), ITEMS as u64);
    assert_eq!(total.failed, 0);
    let representable = (ITEMS - UNREPRESENTABLE - ALREADY_THERE) as u64;
    assert_eq!(total.copied + total.identical, representable);
    let mut expected_already = already_ids.clone();
    expected_already.sort();
    assert_eq!(total.different, expected_already);
    let mut expected_skipped: Vec<_> = original
        .unrepresentable
        .iter()
        .map(|(id, attribute)| {
            (
                id.clone(),
                vec![attribute.to_string()],
                "unrepresentable".into(),
            )
        })
        .collect();
    expected_skipped.sort();
    assert_eq!(total.skipped, expected_skipped);

    // The target: each representable item in the strict shape, ids and times kept; the
    // items that were there before untouched; nothing of the unrepresentable ones.
    let target = tables.all(TARGET).await;
    assert_eq!(target.len(), ITEMS - UNREPRESENTABLE);
    for item in &already {
        assert_eq!(&target[&id_of(item)], item, "left as it was");
    }
    for stored in &original.items {
        let id = id_of(stored);
        if original.is_unrepresentable(&id) {
            assert!(!target.contains_key(&id), "{id} copied");
            continue;
        }
        if already_ids.contains(&id) {
            continue;
        }
        let written = &target[&id];
        for name in written.keys() {
            assert!(
                STRICT.contains(&name.as_str()),
                "{id}: {name} at the top level"
            );
        }
        assert!(written.contains_key("version") && written.contains_key("description"));
        let item: Item = attributes::decode(written.clone()).expect("reads as an item");
        assert_eq!(item.id.as_str(), id);
        assert!(item.stored_attributes.is_empty(), "{id}: not strict");
        assert_eq!(item.version, 0);
        let time = |name: &str| Timestamp::parse_stored(stored[name].as_s().unwrap()).unwrap();
        assert_eq!(item.created_at, time("created_at"));
        let updated = if stored.contains_key("updated_at") {
            "updated_at"
        } else {
            "created_at"
        };
        assert_eq!(item.updated_at, time(updated));
        // Written as our API writes it: the timestamps in our format.
        assert_eq!(
            written["created_at"].as_s().unwrap(),
            &item.created_at.to_string()
        );
        assert_eq!(item.name.as_str(), stored["name"].as_s().unwrap());
        if stored.contains_key("color") {
            assert_eq!(item.attributes.as_map()["color"], "red");
            assert_eq!(item.attributes.as_map()["price"], 9.5);
        }
    }

    // A third run finds the checkpoint complete and reads nothing.
    let (report, succeeded) =
        run_to_end(tables.migrate(None, &["--segments", "4", "--json"])).await;
    assert!(succeeded, "{report:#}");
    assert_eq!(Counts::of(&report["this_run"]).scanned, 0);
    assert_eq!(Counts::of(&report["total"]).scanned, ITEMS as u64);
    println!(
        "{ITEMS} items in {:.1} s over two runs (the second at {rate:.0} items/s)",
        elapsed.as_secs_f64()
    );
}
