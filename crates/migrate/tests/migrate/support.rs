//! A private DynamoDB (dynoxide, in this process) with two tables made from template.yaml's
//! `ItemsTable` (the original's `create-table` had the same keys and indexes): the original
//! service's table, filled as its handler and its `batch_write_items` tool fill it, and
//! this stack's. The real `migrate` binary runs against it.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::LazyLock,
    time::Duration,
};

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, PutRequest, WriteRequest},
};
use devstack::{LocalDynamo, TableDefinition, Template};
use domain::{Item, Name};
use items_api::store::attributes::{self, AttributeMap};
use serde_json::Value;
use tokio::process::Command;

pub const SOURCE: &str = "serverless-api-table";
pub const TARGET: &str = "items";

pub static TABLE_DEFINITION: LazyLock<TableDefinition> = LazyLock::new(|| {
    Template::workspace()
        .and_then(|t| t.table("ItemsTable"))
        .expect("template.yaml has ItemsTable")
});

pub fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// The original table's content: `count` items, mostly as the handler and the batch tool
/// store them, and `unrepresentable` ids (`bad-name-*`: a number `name`, `bad-time-*`: a
/// `created_at` that is not a time) among them.
pub struct Original {
    pub items: Vec<AttributeMap>,
    /// The ids that cannot be copied, with the attribute at fault.
    pub unrepresentable: Vec<(String, &'static str)>,
}

impl Original {
    pub fn new(count: usize, unrepresentable: usize) -> Self {
        let mut items: Vec<AttributeMap> = (0..count).map(original_item).collect();
        let mut bad = Vec::new();
        for k in 0..unrepresentable {
            // Spread over the table, replacing items so the count stays `count`.
            let at = (k * 7919 + 13) % count;
            let (id, attribute, value) = if k % 2 == 0 {
                (
                    format!("bad-name-{k}"),
                    "name",
                    AttributeValue::N("42".into()),
                )
            } else {
                (format!("bad-time-{k}"), "created_at", s("not a time"))
            };
            let mut item = batch_item(at);
            item.insert("id".into(), s(&id));
            item.insert(attribute.into(), value);
            items[at] = item;
            bad.push((id, attribute));
        }
        Self {
            items,
            unrepresentable: bad,
        }
    }

    pub fn is_unrepresentable(&self, id: &str) -> bool {
        self.unrepresentable.iter().any(|(bad, _)| bad == id)
    }

    /// `count` representable ids, spread over the table (for items already in the target).
    pub fn some_ids(&self, count: usize) -> Vec<String> {
        let step = self.items.len() / count;
        (0..count)
            .map(|n| id_of(&self.items[n * step + 1]))
            .inspect(|id| assert!(!self.is_unrepresentable(id)))
            .collect()
    }
}

pub fn id_of(item: &AttributeMap) -> String {
    item["id"].as_s().unwrap().clone()
}

/// Two in three as the original handler stores them (a uuid, `isoformat()` times without a
/// zone, with microseconds unless they were 0, as Python prints them), every seventh after
/// a client's PUT added `color` and `price` at the top level; one in three as
/// `batch_write_items` stores them (`item<n>`, no e-mail or description, to the second).
fn original_item(n: usize) -> AttributeMap {
    if n.is_multiple_of(3) {
        return batch_item(n);
    }
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &n.to_le_bytes()).to_string();
    let micros = if n.is_multiple_of(5) {
        String::new()
    } else {
        format!(".{:06}", n * 37 % 1_000_000)
    };
    let created = format!(
        "2024-03-{:02}T{:02}:{:02}:{:02}{micros}",
        1 + n % 28,
        n % 24,
        n % 60,
        n / 60 % 60
    );
    let mut item = HashMap::from([
        ("id".to_string(), s(&id)),
        ("name".into(), s(&format!("Widget {n}"))),
        ("email".into(), s(&format!("owner{}@example.com", n % 50))),
        ("description".into(), s("")),
        ("created_at".into(), s(&created)),
        ("updated_at".into(), s(&created)),
        ("status".into(), s("active")),
    ]);
    if n % 7 == 1 {
        item.insert("updated_at".into(), s("2024-04-01T09:30:00.5"));
        item.insert("color".into(), s("red"));
        item.insert("price".into(), AttributeValue::N("9.5".into()));
    }
    item
}

fn batch_item(n: usize) -> AttributeMap {
    HashMap::from([
        ("id".to_string(), s(&format!("item{n}"))),
        ("name".into(), s(&format!("Sample Item {n}"))),
        (
            "status".into(),
            s(if n.is_multiple_of(2) {
                "active"
            } else {
                "inactive"
            }),
        ),
        (
            "created_at".into(),
            s(&format!("2024-03-25T{:02}:{:02}:00Z", n % 24, n % 60)),
        ),
    ])
}

/// The item as a copy writes it (the strict shape, as items-api encodes it).
pub fn strict(original: &AttributeMap) -> Item {
    attributes::decode(original.clone())
        .and_then(Item::into_strict)
        .unwrap()
}

/// The item as our API would have stored it, under another name and at version 3: what
/// "already in the target, different" looks like.
pub fn ours(original: &AttributeMap) -> AttributeMap {
    let mut item = strict(original);
    item.name = Name::parse("Already here").unwrap();
    item.version = 3;
    attributes::encode(&item).unwrap()
}

pub struct Tables {
    pub dynamo: LocalDynamo,
    pub dir: PathBuf,
}

impl Tables {
    pub async fn start() -> Self {
        let dynamo = LocalDynamo::start_in_memory()
            .await
            .expect("dynoxide starts");
        for table in [SOURCE, TARGET] {
            dynamo
                .create_table(table, &TABLE_DEFINITION)
                .await
                .expect("table from template.yaml");
        }
        let dir = std::env::temp_dir().join(format!(
            "migrate-test-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dynamo, dir }
    }

    pub fn client(&self) -> Client {
        self.dynamo.client()
    }

    /// As boto3's `batch_writer` writes: BatchWriteItem, 25 puts a request.
    pub async fn fill(&self, table: &str, items: &[AttributeMap]) {
        let client = self.client();
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build();
                    WriteRequest::builder().put_request(put.unwrap()).build()
                })
                .collect();
            while !requests.is_empty() {
                let output = client
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .await
                    .expect("batch write");
                requests = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(table))
                    .unwrap_or_default();
            }
        }
    }

    /// Every item of `table`, by id.
    pub async fn all(&self, table: &str) -> HashMap<String, AttributeMap> {
        let pages = self
            .client()
            .scan()
            .table_name(table)
            .into_paginator()
            .items()
            .send();
        let items: Vec<AttributeMap> = pages.try_collect().await.expect("scan");
        items.into_iter().map(|item| (id_of(&item), item)).collect()
    }

    pub fn checkpoint(&self) -> PathBuf {
        self.dir.join("checkpoint.json")
    }

    /// The real binary against this DynamoDB (and nothing of this machine's AWS setup),
    /// or against `endpoint` (a fault proxy in front of it).
    pub fn migrate(&self, endpoint: Option<&str>, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
        command
            .args(["--from-table", SOURCE, "--to-table", TARGET])
            .args(["--checkpoint", self.checkpoint().to_str().unwrap()])
            .args(args)
            .env(
                "AWS_ENDPOINT_URL_DYNAMODB",
                endpoint.unwrap_or(self.dynamo.endpoint()),
            )
            .env("AWS_REGION", devstack::REGION)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_CONFIG_FILE", self.dir.join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("DYNAMODB_TABLE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
}

impl Drop for Tables {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs to the end; the report (`--json` must be among the arguments) and whether it succeeded.
pub async fn run_to_end(mut command: Command) -> (Value, bool) {
    let output = tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("migrate ends within 5 minutes")
        .expect("migrate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "not a JSON report ({error}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.success())
}

/// The checkpoint's recorded items scanned so far, when there is a checkpoint.
pub fn recorded(path: &Path) -> Option<(u64, bool)> {
    let checkpoint: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let segments = checkpoint["segments"].as_array()?;
    let scanned = segments
        .iter()
        .map(|segment| segment["tally"]["scanned"].as_u64().unwrap())
        .sum();
    let done = segments.iter().all(|segment| segment["done"] == true);
    Some((scanned, done))
}

/// A tally's counts from a report: (scanned, copied, identical, different ids, skipped).
pub struct Counts {
    pub scanned: u64,
    pub copied: u64,
    pub identical: u64,
    pub different: Vec<String>,
    pub skipped: Vec<(String, Vec<String>, String)>,
    pub failed: usize,
}

impl Counts {
    pub fn of(tally: &Value) -> Self {
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let mut different = strings(&tally["already_different"]);
        different.sort();
        let mut skipped: Vec<_> = tally["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|skip| {
                (
                    skip["id"].as_str().unwrap().to_owned(),
                    strings(&skip["attributes"]),
                    skip["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        skipped.sort();
        Self {
            scanned: tally["scanned"].as_u64().unwrap(),
            copied: tally["copied"].as_u64().unwrap(),
            identical: tally["already_identical"].as_u64().unwrap(),
            different,
            skipped,
            failed: tally["failed"].as_array().unwrap().len(),
        }
    }

    /// Every item in exactly one of the outcomes.
    pub fn accounted(&self) -> u64 {
        self.copied
            + self.identical
            + (self.different.len() + self.skipped.len() + self.failed) as u64
    }
}
