//! The API under DynamoDB faults: every answer a correct success or a retryable error.

use super::*;

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
        let headers = if_match(&etag, conditional);
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
        let headers = if_match(&etag, conditional);
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

/// The headers of a write: `If-Match` with the item's ETag when it is conditional.
fn if_match(etag: &str, conditional: bool) -> Vec<(&str, &str)> {
    if conditional {
        vec![("if-match", etag)]
    } else {
        Vec::new()
    }
}
