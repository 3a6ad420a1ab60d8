//! Fuzzing with generated raw API Gateway events straight into the handler: random and
//! odd methods, paths, query strings, headers (non-ASCII included) and bodies (valid
//! items, random JSON, broken JSON, huge, deeply nested, invalid UTF-8,
//! base64-encoded). The table holds items created through the API and items stored as the
//! original Python service and its tools stored them (one of them unrepresentable). Every
//! case must answer in time, never 5xx, conform to openapi.yaml (checked by the shared send
//! helper), and a rejected request must leave the table exactly as it was. 2000 cases;
//! 20000 with `ITEMS_TEST_LONG=1` (`scripts/test --long`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::original;
use crate::support::{API_KEY, TestApp, percent_encode, send_event_to};

mod cases;

use cases::{BodyShape, Case, PathShape, case};

/// Created through the API.
const CREATED_ITEMS: usize = 6;
/// Created through the API, then stored in the original service's shapes.
const SEEDED_ITEMS: usize = CREATED_ITEMS + original::SHAPES;
/// The history routes under a seeded item (its history: a `created` entry, when created).
const HISTORY_ROUTES: [&str; 6] = [
    "/versions",
    "/versions/1",
    "/versions/2",
    "/versions/x",
    "/restore",
    "/restore/",
];

fn cases() -> u32 {
    if std::env::var_os("ITEMS_TEST_LONG").is_some() {
        20_000
    } else {
        2_000
    }
}

impl Case {
    fn event(&self, seeded: &[String]) -> Value {
        let path = match &self.path {
            PathShape::Collection(path) => (*path).to_owned(),
            PathShape::Seeded(n) => format!("/items/{}", percent_encode(&seeded[*n])),
            PathShape::History(n, route) => {
                format!("/items/{}{route}", percent_encode(&seeded[*n]))
            }
            PathShape::RandomUuid(n) => format!("/items/{}", uuid::Uuid::from_u128(*n)),
            PathShape::Raw(path) => path.clone(),
        };
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static(API_KEY));
        for (name, value) in &self.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("generated header names are tokens"),
                HeaderValue::from_bytes(value.as_bytes())
                    .expect("generated header values have no controls"),
            );
        }
        let body = match &self.body {
            BodyShape::None => Vec::new(),
            BodyShape::Json(value) => value.to_string().into_bytes(),
            BodyShape::Batch(operations) => {
                let operations: Vec<Value> =
                    operations.iter().map(|op| op.to_json(seeded)).collect();
                json!({"operations": operations}).to_string().into_bytes()
            }
            BodyShape::Text(text) => text.clone().into_bytes(),
            BodyShape::Bytes(bytes) => bytes.clone(),
            BodyShape::Huge(len) => format!(
                "{{\"name\":\"big\",\"email\":\"a@example.com\",\"description\":\"{}\"}}",
                "x".repeat(*len)
            )
            .into_bytes(),
            BodyShape::Nested(depth) => format!(
                "{{\"attributes\":{}{}}}",
                "[".repeat(*depth),
                "]".repeat(*depth)
            )
            .into_bytes(),
        };
        // The resource and parameters API Gateway would send, from the route table; a path
        // no route has goes as its own resource.
        let routes = items_api::routes::table::<items_api::DynamoStore>();
        let (resource, path_parameters) = routes
            .iter()
            .find_map(|route| {
                let params = items_api::routes::match_resource(route.resource, &path)?;
                Some((route.resource, params))
            })
            .map(|(resource, params)| {
                let params: BTreeMap<String, String> = params
                    .iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect();
                (resource, params)
            })
            .unwrap_or((path.as_str(), BTreeMap::new()));
        let mut event = devstack::rest_event(devstack::RestRequest {
            method: &self.method,
            resource,
            path: &path,
            query: (!self.query.is_empty()).then_some(self.query.as_str()),
            headers: &headers,
            path_parameters: &path_parameters,
            body: &body,
            stage: "prod",
            request_id: "test-request-id",
            api_key: Some(API_KEY),
            source_ip: "127.0.0.1",
        });
        if self.as_base64 && !body.is_empty() {
            event["body"] = json!(BASE64.encode(&body));
            event["isBase64Encoded"] = Value::Bool(true);
        }
        event
    }
}

#[test]
fn generated_requests_never_fail_the_server_or_change_data_when_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let seeded: Vec<String> = runtime.block_on(async {
        let mut ids = Vec::new();
        for n in 0..CREATED_ITEMS {
            let item = app
                .create(&format!("seed {n}"), &format!("seed{n}@example.com"))
                .await;
            let id = item["id"].as_str().unwrap().to_owned();
            crate::history::record_created(&app, &id).await;
            ids.push(id);
        }
        ids.extend(original::store_every_shape(&app).await);
        ids
    });
    let stored = RefCell::new(runtime.block_on(app.snapshot()));
    let statuses: RefCell<BTreeMap<u16, u32>> = RefCell::default();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| {
        let event = case.event(&seeded);
        let (status, after) = runtime.block_on(async {
            let response =
                tokio::time::timeout(Duration::from_secs(10), send_event_to(&app.app, event))
                    .await
                    .map_err(|_| TestCaseError::fail("no answer within 10 s"))?;
            Ok::<_, TestCaseError>((response.status, app.snapshot().await))
        })?;
        *statuses.borrow_mut().entry(status).or_default() += 1;
        prop_assert!(status < 500, "{status} for {case:?}");
        if status >= 400 {
            prop_assert!(
                after == *stored.borrow(),
                "refused with {status} but the table changed: {case:?}"
            );
        }
        *stored.borrow_mut() = after;
        Ok(())
    });
    eprintln!(
        "fuzz (raw events into the handler): {} cases, statuses {:?}",
        cases(),
        statuses.borrow()
    );
    result.unwrap();
}
