//! The whole local stack with fault-injecting proxies between the functions and their
//! backends (real binaries, real dynoxide and moto; no mocks):
//!
//! - the API under DynamoDB faults answers every request either with a correct success
//!   (checked against the table right away and at the end) or with 503 + `Retry-After` /
//!   502, each with the gateway's request id; never a 500, never a wrong success, and a
//!   request answered 5xx changed nothing unless its call landed before its answer was lost;
//! - the stream processor under S3 and SNS faults reports exact `batchItemFailures`, and once
//!   the faults stop and the stream is drained every change in the table's stream has its
//!   archive object and its notification.
//!
//! CI-sized by default; `ITEMS_TEST_LONG=1` (scripts/test --long) runs bigger budgets. The
//! figures are printed (`cargo test -p devstack --test faults -- --nocapture`).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::types::AttributeValue;
use devstack::{
    BUCKET_NAME, FaultCounts, FaultKind, FaultOptions, FaultPlan, LocalStack, Output, Service,
    TABLE_NAME, http, read_stream_records,
};

mod support;

use serde_json::{Value, json};

const KEY: &str = "faults-test-key";

fn long_run() -> bool {
    std::env::var("ITEMS_TEST_LONG").is_ok_and(|v| v == "1")
}

async fn stack_with_faults(services: Vec<Service>, rate: f64, seed: u64) -> LocalStack {
    let faults = FaultOptions {
        plan: FaultPlan::new(rate, Vec::new(), seed),
        services,
    };
    support::start_stack(KEY, Output::Discarded, Some(faults)).await
}

async fn call(
    stack: &LocalStack,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> http::HttpResponse {
    let mut all = vec![("x-api-key", KEY)];
    all.extend_from_slice(headers);
    support::request(stack, method, path, &all, body).await
}

/// A small deterministic generator, so a run's request mix is the same every time.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---------------------------------------------------------------- the API under DynamoDB faults

/// The item as the API shows it, read straight from the table (not through the proxy).
async fn stored(client: &aws_sdk_dynamodb::Client, id: &str) -> Option<Value> {
    let output = client
        .get_item()
        .table_name(TABLE_NAME)
        .key("id", AttributeValue::S(id.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("the table answers directly");
    output.item.map(|mut attributes| {
        // Kept beside idempotently created items; not part of the API's item.
        attributes.remove("request_fingerprint");
        serde_dynamo::from_item(attributes).expect("a stored item decodes")
    })
}

/// Every item in the table, by id.
async fn table_contents(client: &aws_sdk_dynamodb::Client) -> BTreeMap<String, Value> {
    let mut items = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(TABLE_NAME)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for mut attributes in page.items.unwrap_or_default() {
            attributes.remove("request_fingerprint");
            let item: Value = serde_dynamo::from_item(attributes).unwrap();
            items.insert(item["id"].as_str().unwrap().to_string(), item);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The item created with `email` (every create in the run has its own address), if any.
async fn created_with(client: &aws_sdk_dynamodb::Client, email: &str) -> Option<Value> {
    table_contents(client)
        .await
        .into_values()
        .find(|item| item["email"] == email)
}

/// What a run saw.
#[derive(Default, Debug)]
struct ApiTally {
    requests: u64,
    by_status: BTreeMap<u16, u64>,
    /// Writes answered 5xx whose call nonetheless reached the table.
    landed_despite_5xx: u64,
}

/// A 503 or 502 as the API documents them; anything else fails the test.
fn assert_retryable_error(response: &http::HttpResponse, what: &str) {
    let body = response.json();
    let gateway_id = response
        .header("x-amzn-requestid")
        .expect("every gateway answer has a request id");
    assert_eq!(
        body["request_id"], gateway_id,
        "{what}: the error carries the request id: {body}"
    );
    match response.status {
        503 => {
            assert_eq!(body["code"], "THROTTLED", "{what}: {body}");
            assert_eq!(response.header("retry-after"), Some("1"), "{what}");
        }
        502 => assert_eq!(body["code"], "DEPENDENCY_FAILURE", "{what}: {body}"),
        status => panic!("{what}: {status} is neither a success nor 503/502: {body}"),
    }
}

/// One client's items: what the table must hold for each, by this client's own requests.
struct Client<'a> {
    stack: &'a LocalStack,
    table: aws_sdk_dynamodb::Client,
    name: String,
    /// id → the item, or None once deleted.
    items: BTreeMap<String, Option<Value>>,
    tally: ApiTally,
    creates: u64,
}

impl Client<'_> {
    fn count(&mut self, response: &http::HttpResponse) {
        self.tally.requests += 1;
        *self.tally.by_status.entry(response.status).or_default() += 1;
    }

    fn live(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|(_, item)| item.is_some())
            .map(|(id, _)| id.clone())
            .collect()
    }

    async fn create(&mut self, with_key: bool) {
        self.creates += 1;
        let n = self.creates;
        let email = format!("{}-{n}@example.com", self.name);
        let body = json!({"name": format!("item {n}"), "email": email, "attributes": {"n": n.to_string()}});
        let idempotency_key = format!("{}-create-{n}", self.name);
        let headers: Vec<(&str, &str)> = if with_key {
            vec![("idempotency-key", &idempotency_key)]
        } else {
            Vec::new()
        };
        let response = call(self.stack, "POST", "/items", &headers, Some(&body)).await;
        self.count(&response);
        if response.status == 201 {
            let item = response.json();
            let id = item["id"].as_str().unwrap().to_string();
            assert_eq!(item["email"], email);
            assert_eq!(item["version"], 1);
            assert_eq!(
                stored(&self.table, &id).await.as_ref(),
                Some(&item),
                "a 201's item is stored as answered"
            );
            self.items.insert(id, Some(item));
            return;
        }
        assert_retryable_error(&response, "POST /items");
        // The create may have landed before its answer was lost (a forwarded call whose
        // answer became a 500 or a timeout). Its e-mail is unique to this request, so the
        // table tells: either no such item, or exactly the item asked for.
        if let Some(item) = created_with(&self.table, &email).await {
            assert_eq!(
                (&item["name"], &item["version"]),
                (&body["name"], &json!(1))
            );
            self.tally.landed_despite_5xx += 1;
            self.items
                .insert(item["id"].as_str().unwrap().to_string(), Some(item));
        }
    }

    async fn get(&mut self, id: &str) {
        let response = call(self.stack, "GET", &format!("/items/{id}"), &[], None).await;
        self.count(&response);
        match (response.status, &self.items[id]) {
            (200, Some(item)) => assert_eq!(&response.json(), item, "GET answers the stored item"),
            (404, None) => {}
            (200 | 404, expected) => {
                panic!("GET {id}: {} but the item is {expected:?}", response.status)
            }
            _ => assert_retryable_error(&response, "GET /items/{id}"),
        }
    }

    async fn update(&mut self, id: &str, step: u64, conditional: bool) {
        let before = self.items[id].clone().expect("updates go to live items");
        let patch = if step.is_multiple_of(2) {
            json!({"name": format!("renamed {step}")})
        } else {
            let status = if before["status"] == "active" {
                "inactive"
            } else {
                "active"
            };
            json!({"status": status})
        };
        let etag = format!("\"{}\"", before["version"]);
        let headers: Vec<(&str, &str)> = if conditional {
            vec![("if-match", &etag)]
        } else {
            Vec::new()
        };
        let response = call(
            self.stack,
            "PUT",
            &format!("/items/{id}"),
            &headers,
            Some(&patch),
        )
        .await;
        self.count(&response);
        let after = stored(&self.table, id)
            .await
            .expect("nobody else deletes it");
        // What this update makes of the item (its updated_at is the server's).
        let applied = |item: &Value| {
            let mut expected = before.clone();
            for (field, value) in patch.as_object().unwrap() {
                expected[field] = value.clone();
            }
            expected["version"] = json!(before["version"].as_u64().unwrap() + 1);
            expected["updated_at"] = item["updated_at"].clone();
            &expected == item
        };
        if response.status == 200 {
            let answered = response.json();
            assert!(
                applied(&answered),
                "PUT {patch} on {before} answered {answered}"
            );
            assert_eq!(after, answered, "a 200's version is the stored one");
        } else {
            assert_retryable_error(&response, "PUT /items/{id}");
            if after != before {
                // Landed before its answer was lost; then it must be exactly this update,
                // applied once.
                assert!(applied(&after), "a 5xx PUT changed {before} into {after}");
                self.tally.landed_despite_5xx += 1;
            }
        }
        self.items.insert(id.to_string(), Some(after));
    }

    async fn delete(&mut self, id: &str, conditional: bool) {
        let before = self.items[id].clone().expect("deletes go to live items");
        let etag = format!("\"{}\"", before["version"]);
        let headers: Vec<(&str, &str)> = if conditional {
            vec![("if-match", &etag)]
        } else {
            Vec::new()
        };
        let response = call(
            self.stack,
            "DELETE",
            &format!("/items/{id}"),
            &headers,
            None,
        )
        .await;
        self.count(&response);
        let after = stored(&self.table, id).await;
        if response.status == 204 {
            assert_eq!(after, None, "a 204's item is gone");
        } else {
            assert_retryable_error(&response, "DELETE /items/{id}");
            match &after {
                Some(item) => assert_eq!(item, &before, "a 5xx DELETE changed the item"),
                None => self.tally.landed_despite_5xx += 1,
            }
        }
        self.items.insert(id.to_string(), after);
    }

    async fn list(&mut self) {
        let response = call(self.stack, "GET", "/items?status=active&limit=5", &[], None).await;
        self.count(&response);
        if response.status == 200 {
            assert!(response.json()["items"].is_array());
        } else {
            assert_retryable_error(&response, "GET /items");
        }
    }

    /// One request of the mix: mostly writes, on this client's own items.
    async fn step(&mut self, dice: &mut Dice, step: u64) {
        let live = self.live();
        let roll = dice.below(100);
        if live.is_empty() || roll < 25 {
            return self.create(roll.is_multiple_of(2)).await;
        }
        let id = live[dice.below(live.len() as u64) as usize].clone();
        let conditional = dice.below(2) == 0;
        match roll {
            25..=44 => {
                let any: Vec<String> = self.items.keys().cloned().collect();
                let id = any[dice.below(any.len() as u64) as usize].clone();
                self.get(&id).await
            }
            45..=79 => self.update(&id, step, conditional).await,
            80..=89 => self.delete(&id, conditional).await,
            _ => self.list().await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_under_dynamodb_faults_answers_a_correct_success_or_503_502() {
    // Mixed faults on `rate` of the calls, then sustained throttling (most calls throttled,
    // so the SDK's three attempts run out and the API answers 503).
    let (requests, throttled_requests) = if long_run() { (1_000, 100) } else { (150, 15) };
    let (rate, throttle_rate) = (0.3, 0.8);
    let stack = stack_with_faults(vec![Service::DynamoDb], rate, 8).await;
    let started = Instant::now();
    let mut client = Client {
        stack: &stack,
        table: stack.clients().dynamodb,
        name: "api".into(),
        items: BTreeMap::new(),
        tally: ApiTally::default(),
        creates: 0,
    };
    let mut dice = Dice(0x5EED_F00D);
    for step in 0..requests {
        client.step(&mut dice, step).await;
    }
    stack
        .faults
        .set_plan(&FaultPlan::new(throttle_rate, vec![FaultKind::Throttle], 9));
    for step in requests..requests + throttled_requests {
        client.step(&mut dice, step).await;
    }

    // The whole table is what the successful (and the landed) requests made it.
    stack.faults.set_enabled(false);
    let table = table_contents(&client.table).await;
    let expected: BTreeMap<String, Value> = client
        .items
        .iter()
        .filter_map(|(id, item)| item.clone().map(|item| (id.clone(), item)))
        .collect();
    assert_eq!(table, expected, "the table holds exactly what was answered");

    let faults = stack.faults.counts(Service::DynamoDb);
    let tally = &client.tally;
    let status = |code| tally.by_status.get(&code).copied().unwrap_or_default();
    eprintln!(
        "faults (API, DynamoDB: {requests} requests at {:.0}% mixed faults, then {throttled_requests} at {:.0}% throttling): {} requests in {:.1}s, DynamoDB {faults}; answers {:?}; {} 503, {} 502, 0 500, 0 wrong successes; {} writes answered 5xx had landed (≤ {} forwarded faults)",
        rate * 100.0,
        throttle_rate * 100.0,
        tally.requests,
        started.elapsed().as_secs_f64(),
        tally.by_status,
        status(503),
        status(502),
        tally.landed_despite_5xx,
        faults.forwarded(),
    );
    assert!(faults.injected() > 0, "faults were injected: {faults}");
    assert!(
        status(503) > 0 && status(502) > 0,
        "faults reached clients as 503 and 502"
    );
    assert!(
        status(200) + status(201) + status(204) > tally.requests / 3,
        "most requests still succeed: {:?}",
        tally.by_status
    );
    // A write answered 5xx can only have landed if its call reached DynamoDB and the answer
    // was then lost: a forwarded `error` or `timeout` fault.
    assert!(tally.landed_despite_5xx <= faults.forwarded());
}

// ---------------------------------------------------------------- the stream under S3/SNS faults

/// Whether the most recent invocations are the same batch retried at least `times` times
/// (each retry starts with a record of the invocation before it).
fn retried_in_a_row(deliveries: &[devstack::Delivery], times: usize) -> bool {
    let mut streak = 0;
    for pair in deliveries.windows(2) {
        let continues = pair[1]
            .sequence_numbers
            .first()
            .is_some_and(|first| pair[0].sequence_numbers.contains(first));
        streak = if continues { streak + 1 } else { 0 };
    }
    streak >= times
}

/// Creates `items` items, updates each twice and deletes every third, through the API
/// (DynamoDB is not faulted in this test). Returns the number of writes.
async fn write_burst(stack: &LocalStack, items: usize, burst: usize) -> usize {
    let mut ids = Vec::new();
    for n in 0..items {
        let body = json!({"name": format!("streamed {burst}-{n}"), "email": format!("s{burst}-{n}@example.com")});
        let created = call(stack, "POST", "/items", &[], Some(&body)).await;
        assert_eq!(created.status, 201, "{}", created.text());
        ids.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let mut deletes = 0;
    for (n, id) in ids.iter().enumerate() {
        for round in 0..2 {
            let patch = json!({"description": format!("round {round}")});
            let updated = call(stack, "PUT", &format!("/items/{id}"), &[], Some(&patch)).await;
            assert_eq!(updated.status, 200, "{}", updated.text());
        }
        if n.is_multiple_of(3) {
            let deleted = call(stack, "DELETE", &format!("/items/{id}"), &[], None).await;
            assert_eq!(deleted.status, 204);
            deletes += 1;
        }
    }
    items * 3 + deletes
}

/// Whether the latest invocation completed a batch holding `change` (nothing reported).
fn caught_up(deliveries: &[devstack::Delivery], change: &String) -> bool {
    deliveries
        .last()
        .is_some_and(|d| d.reported_failures.is_empty() && d.sequence_numbers.contains(change))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_under_s3_and_sns_faults_reports_exact_failures_and_loses_nothing() {
    let (items, rate): (usize, f64) = if long_run() { (60, 0.3) } else { (20, 0.3) };
    let stack = stack_with_faults(vec![Service::S3, Service::Sns], rate, 3).await;
    let clients = stack.clients();
    let started = Instant::now();

    let stream_arn = clients
        .dynamodb
        .describe_table()
        .table_name(TABLE_NAME)
        .send()
        .await
        .unwrap()
        .table
        .and_then(|t| t.latest_stream_arn)
        .unwrap();
    let history = || async {
        read_stream_records(&clients.streams, &stream_arn)
            .await
            .unwrap()
            .iter()
            .filter_map(|r| r.dynamodb.as_ref()?.sequence_number.clone())
            .collect::<Vec<String>>()
    };

    // Rounds of faults. In each, bursts of writes while S3 and SNS fail, until the processor
    // has reported failures (the retry path ran) twice; a burst processed without any
    // reported failure is followed by another. Faults stop at the latest once one batch has
    // been retried three times in a row, so the template's five retries never run out here
    // (a longer outage dead-letters the batch, as e2e's
    // a_failing_processor_is_retried_then_dead_lettered shows); the stream then catches up
    // before the next round.
    let rounds = if long_run() { 5 } else { 1 };
    let mut writes = 0;
    let mut bursts = 0;
    let mut longest_drain = Duration::ZERO;
    for _ in 0..rounds {
        stack.faults.set_enabled(true);
        let round_started = stack.stream_deliveries().len();
        let fault_phase = Instant::now();
        let last_change = 'faulted: loop {
            writes += write_burst(&stack, items, bursts).await;
            bursts += 1;
            let last_change = history().await.last().cloned().unwrap();
            loop {
                let deliveries = stack.stream_deliveries().split_off(round_started);
                let reports = deliveries
                    .iter()
                    .filter(|d| !d.reported_failures.is_empty())
                    .count();
                if reports >= 2 || retried_in_a_row(&deliveries, 3) {
                    break 'faulted last_change;
                }
                if caught_up(&deliveries, &last_change) {
                    break;
                }
                assert!(
                    fault_phase.elapsed() < Duration::from_secs(120),
                    "{reports} reported failures after two minutes of faults"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        stack.faults.set_enabled(false);
        let draining = Instant::now();
        while !caught_up(&stack.stream_deliveries(), &last_change) {
            assert!(
                draining.elapsed() < Duration::from_secs(60),
                "not caught up a minute after the faults stopped"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        longest_drain = longest_drain.max(draining.elapsed());
    }

    // Drained: the table's history is its stream; every change in it must have been archived
    // and notified.
    let changes = history().await;
    assert_eq!(changes.len(), writes, "one stream record per write");
    let change_set: HashSet<&String> = changes.iter().collect();
    let notified_sequence_numbers = || async {
        stack
            .sent_notifications()
            .await
            .unwrap()
            .iter()
            .map(|n| {
                let message: Value = serde_json::from_str(&n.message).unwrap();
                message["sequence_number"].as_str().unwrap().to_string()
            })
            .collect::<Vec<String>>()
    };
    // Archive: exactly one object per change, read back.
    let mut archived: HashMap<String, u64> = HashMap::new();
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(BUCKET_NAME)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            let body = clients
                .s3
                .get_object()
                .bucket(BUCKET_NAME)
                .key(object.key().unwrap())
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            let document: Value = serde_json::from_slice(&body).unwrap();
            *archived
                .entry(document["sequence_number"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let notified = notified_sequence_numbers().await;
    let mut notifications: HashMap<String, u64> = HashMap::new();
    for sequence_number in &notified {
        *notifications.entry(sequence_number.clone()).or_default() += 1;
    }
    let archive_lost = changes
        .iter()
        .filter(|s| !archived.contains_key(*s))
        .count();
    let notifications_lost = changes
        .iter()
        .filter(|s| !notifications.contains_key(*s))
        .count();
    let duplicate_notifications = notified.len() - notifications.len();

    // batchItemFailures, invocation by invocation.
    let deliveries = stack.stream_deliveries();
    let mut reported = 0;
    for (n, delivery) in deliveries.iter().enumerate() {
        assert_eq!(
            delivery.function_error, None,
            "the processor answers, it does not fail"
        );
        assert_eq!(delivery.dead_lettered, 0);
        let Some(failed) = delivery.reported_failures.first() else {
            continue;
        };
        reported += 1;
        // Exactly one identifier: the first record not done, which is in the batch.
        assert_eq!(delivery.reported_failures.len(), 1, "{delivery:?}");
        let at = delivery
            .sequence_numbers
            .iter()
            .position(|s| s == failed)
            .unwrap_or_else(|| panic!("{failed} is not in its batch: {delivery:?}"));
        // Not a false alarm: a fault was injected while that invocation ran.
        assert!(
            stack
                .faults
                .injected_between(delivery.started, delivery.finished)
                > 0,
            "failure reported without a fault: {delivery:?}"
        );
        // The records before it are never delivered again, so their archive objects and
        // notifications (all present, checked below) were done when the failure was reported:
        // the processor did not report past an unfinished record.
        for earlier in &delivery.sequence_numbers[..at] {
            assert!(
                deliveries[n + 1..]
                    .iter()
                    .all(|later| !later.sequence_numbers.contains(earlier)),
                "{earlier} was delivered again"
            );
        }
    }
    let dead_letters = clients
        .sqs
        .receive_message()
        .queue_url(&stack.dead_letter_queue_url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();

    let s3 = stack.faults.counts(Service::S3);
    let sns = stack.faults.counts(Service::Sns);
    let mut both = FaultCounts::default();
    both += &s3;
    both += &sns;
    eprintln!(
        "faults (stream, S3 + SNS at {:.0}%): {} changes in {:.1}s; S3 {s3}; SNS {sns}; {rounds} fault rounds, {bursts} write bursts, {} invocations, {} reported batchItemFailures; caught up at most {:.1}s after faults stopped; {} archive objects, {} notifications ({} duplicates); side effects lost: {}",
        rate * 100.0,
        changes.len(),
        started.elapsed().as_secs_f64(),
        deliveries.len(),
        reported,
        longest_drain.as_secs_f64(),
        archived.values().sum::<u64>(),
        notified.len(),
        duplicate_notifications,
        archive_lost + notifications_lost,
    );
    assert!(both.injected() > 0, "faults were injected");
    assert!(reported > 0, "the retry path ran");
    assert_eq!(
        (archive_lost, notifications_lost),
        (0, 0),
        "side effects lost"
    );
    assert!(
        archived.values().all(|&copies| copies == 1) && archived.len() == changes.len(),
        "exactly one archive object per change, none for anything else"
    );
    assert!(
        notifications.keys().all(|s| change_set.contains(s)),
        "no notification for a change that did not happen"
    );
    assert!(dead_letters.messages().is_empty(), "nothing dead-lettered");
}

// ---------------------------------------------------------------- the command users run

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

    support::interrupt_and_wait(up).await;
    let _ = std::fs::remove_dir_all(&root);
}
