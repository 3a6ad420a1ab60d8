use super::*;
use crate::normalise::{SkipReason, Skipped};

fn table(name: &str) -> Table<'_> {
    Table { name, id: None }
}

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "migrate-checkpoint-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn scan_keys_round_trip_in_dynamodb_json() {
    let key: ScanKey = HashMap::from([
        ("id".to_string(), AttributeValue::S("item1".into())),
        ("n".to_string(), AttributeValue::N("42".into())),
        ("b".to_string(), AttributeValue::B(Blob::new(vec![0, 255]))),
    ]);
    let saved = to_saved(&key).unwrap();
    assert_eq!(
        serde_json::to_value(&saved).unwrap()["id"],
        serde_json::json!({"S": "item1"})
    );
    assert_eq!(from_saved(&saved).unwrap(), key);
    let not_a_key = HashMap::from([("l".to_string(), AttributeValue::Bool(true))]);
    assert!(matches!(to_saved(&not_a_key), Err(CheckpointError::Key(name)) if name == "l"));
}

#[test]
fn a_saved_checkpoint_loads_for_the_same_run_only() {
    let dir = dir();
    let path = dir.join("run.json");
    let fresh = Checkpoint::load_or_new(&path, table("old"), table("new"), 3).unwrap();
    assert_eq!(fresh.segments.len(), 3);
    assert!(!fresh.complete());

    let mut checkpoint = fresh;
    checkpoint.segments[1].next_key = Some(HashMap::from([(
        "id".to_string(),
        KeyValue::S("item7".into()),
    )]));
    checkpoint.segments[1].tally.scanned = 7;
    checkpoint.segments[1].tally.copied = 6;
    checkpoint.segments[1].tally.skipped.push(Skipped {
        id: Some("item3".into()),
        attributes: vec!["name".into()],
        reason: SkipReason::Unrepresentable,
    });
    checkpoint.segments[2].done = true;
    checkpoint.save(&path).unwrap();
    assert!(!dir.join("run.json.tmp").exists(), "renamed into place");

    let loaded = Checkpoint::load_or_new(&path, table("old"), table("new"), 3).unwrap();
    assert_eq!(loaded, checkpoint);
    assert_eq!(loaded.tally().scanned, 7);

    for (from, to, segments) in [("other", "new", 3), ("old", "other", 3), ("old", "new", 4)] {
        let error = Checkpoint::load_or_new(&path, table(from), table(to), segments).unwrap_err();
        assert!(matches!(error, CheckpointError::OtherRun { .. }), "{error}");
        assert!(error.to_string().contains("--segments 3"), "{error}");
    }
    fs::write(&path, "{not json").unwrap();
    assert!(matches!(
        Checkpoint::load_or_new(&path, table("old"), table("new"), 3),
        Err(CheckpointError::Parse { .. })
    ));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn complete_when_every_segment_is_done() {
    let mut checkpoint = Checkpoint::new(table("a"), table("b"), 2);
    checkpoint.segments[0].done = true;
    assert!(!checkpoint.complete());
    checkpoint.segments[1].done = true;
    assert!(checkpoint.complete());
}

#[test]
fn a_checkpoint_is_refused_for_a_table_created_again_under_its_name() {
    let dir = dir();
    let path = dir.join("run.json");
    let old = Table {
        name: "old",
        id: Some("id-old"),
    };
    let new = |id| Table {
        name: "new",
        id: Some(id),
    };
    let mut checkpoint = Checkpoint::new(old, new("id-1"), 1);
    checkpoint.segments[0].done = true;
    checkpoint.save(&path).unwrap();
    assert!(Checkpoint::load_or_new(&path, old, new("id-1"), 1).is_ok());

    let error = Checkpoint::load_or_new(&path, old, new("id-2"), 1).unwrap_err();
    assert!(
        matches!(error, CheckpointError::OtherTable { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("id-1"), "{error}");
    assert!(error.to_string().contains("id-2"), "{error}");

    // Written before ids were recorded: resumed, and the ids of now adopted.
    let mut legacy: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let fields = legacy.as_object_mut().unwrap();
    assert!(fields.remove("from_table_id").is_some());
    assert!(fields.remove("to_table_id").is_some());
    fs::write(&path, legacy.to_string()).unwrap();
    let resumed = Checkpoint::load_or_new(&path, old, new("id-2"), 1).unwrap();
    assert!(resumed.complete());
    assert_eq!(resumed.to_table_id.as_deref(), Some("id-2"));
    fs::remove_dir_all(dir).unwrap();
}
