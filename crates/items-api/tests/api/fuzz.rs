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

/// Created through the API.
const CREATED_ITEMS: usize = 6;
/// Created through the API, then stored in the original service's shapes.
const SEEDED_ITEMS: usize = CREATED_ITEMS + original::SHAPES;

fn cases() -> u32 {
    if std::env::var_os("ITEMS_TEST_LONG").is_some() {
        20_000
    } else {
        2_000
    }
}

#[derive(Debug, Clone)]
enum PathShape {
    Collection(&'static str),
    Seeded(usize),
    RandomUuid(u128),
    Raw(String),
}

#[derive(Debug, Clone)]
enum BodyShape {
    None,
    Json(Value),
    Text(String),
    Bytes(Vec<u8>),
    Huge(usize),
    Nested(usize),
    /// `{"operations": [...]}` of `POST /items/batch`, naming seeded items.
    Batch(Vec<BatchOp>),
}

#[derive(Debug, Clone)]
enum BatchOp {
    Create(Value),
    Update(usize, Option<u64>, Value),
    Delete(usize, Option<u64>),
    Raw(Value),
}

impl BatchOp {
    fn to_json(&self, seeded: &[String]) -> Value {
        let with_if_match = |mut op: Value, if_match: &Option<u64>| {
            if let Some(version) = if_match {
                op["if_match"] = json!(version);
            }
            op
        };
        match self {
            Self::Create(item) => json!({"op": "create", "item": item}),
            Self::Update(n, if_match, changes) => with_if_match(
                json!({"op": "update", "id": seeded[*n], "changes": changes}),
                if_match,
            ),
            Self::Delete(n, if_match) => {
                with_if_match(json!({"op": "delete", "id": seeded[*n]}), if_match)
            }
            Self::Raw(value) => value.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    method: String,
    path: PathShape,
    query: String,
    headers: Vec<(String, String)>,
    body: BodyShape,
    /// Send the body base64-encoded, as API Gateway does for binary media types. (Never an
    /// invalid base64 body marked as base64: API Gateway encodes bodies itself, and
    /// lambda_http's event decoding panics on one before any handler runs.)
    as_base64: bool,
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]).prop_map(String::from),
        1 => prop::sample::select(vec!["OPTIONS", "PATCH", "HEAD", "TRACE", "get"]).prop_map(String::from),
        1 => "[A-Z]{1,10}",
    ]
}

fn path() -> impl Strategy<Value = PathShape> {
    prop_oneof![
        3 => prop::sample::select(vec!["/items", "/items/", "/items/batch"]).prop_map(PathShape::Collection),
        4 => (0..SEEDED_ITEMS).prop_map(PathShape::Seeded),
        1 => any::<u128>().prop_map(PathShape::RandomUuid),
        2 => "/items/[A-Za-z0-9._~%-]{0,40}".prop_map(PathShape::Raw),
        1 => "/[a-z]{0,8}(/[a-zA-Z0-9{}%.-]{0,12}){0,3}".prop_map(PathShape::Raw),
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "active",
            "inactive",
            "archived",
            "1",
            "100",
            "0",
            "101",
            "-5",
            "a@example.com",
            "2024-03-25",
            "2024-03-25T14:00:00.5+09:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31",
            "name,status",
            "id,created_at",
            "attributes, attributes",
            ""
        ])
        .prop_map(String::from),
        "[a-zA-Z0-9@._%+=-]{0,30}",
        "\\PC{0,20}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let pair = (
        prop::sample::select(vec![
            "status",
            "email",
            "limit",
            "last_key",
            "created_from",
            "created_to",
            "fields",
            "other",
            "",
        ]),
        query_value(),
    );
    prop_oneof![
        3 => prop::collection::vec(pair, 0..4).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(name, value)| format!("{name}={}", percent_encode(value)))
                .collect::<Vec<_>>()
                .join("&")
        }),
        1 => "[a-z_=&%0-9A-F.@+-]{0,60}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"1\"",
            "\"2\"",
            "W/\"1\"",
            "*",
            "1",
            "\"\"",
            "\"1\", \"2\"",
            "application/json",
            "text/plain"
        ])
        .prop_map(String::from),
        "[ -~]{0,300}",
        // Non-ASCII text: API Gateway passes it through, HTTP calls it obs-text.
        "[^\\x00-\\x1f\\x7f]{0,20}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "if-match",
            "if-none-match",
            "idempotency-key",
            "content-type",
            "x-api-key",
            "content-encoding"
        ])
        .prop_map(String::from),
        "[a-z][a-z0-9-]{0,15}",
    ];
    prop::collection::vec((name, header_value()), 0..4)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Item-shaped bodies: mostly writable field names with good, bad and random values.
fn item_body() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec![
        "name",
        "email",
        "description",
        "status",
        "attributes",
        "id",
        "version",
        "colour",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            json!("Widget"),
            json!("owner@example.com"),
            json!("active"),
            json!("archived"),
            json!({"color": "blue"}),
            json!(""),
            json!("  "),
            json!("nope@"),
            json!(1e300),
        ]),
        json_value(),
    ];
    prop::collection::btree_map(field, value, 0..6)
        .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// Items that mostly pass validation, so creates and updates really happen between the
/// refused requests.
fn valid_item() -> impl Strategy<Value = Value> {
    (
        "[^\\x00-\\x1f\\x7f]{1,40}",
        "[a-z0-9._%+-]{1,10}@[a-z]{1,8}\\.(com|org|io)",
        prop::option::of("\\PC{0,100}"),
        prop::option::of(prop::sample::select(vec!["active", "inactive", "archived"])),
        prop::option::of(prop::collection::btree_map(
            "[a-z]{1,8}",
            json_value(),
            0..4,
        )),
    )
        .prop_map(|(name, email, description, status, attributes)| {
            let mut item = json!({"name": name, "email": email});
            if let Some(description) = description {
                item["description"] = json!(description);
            }
            if let Some(status) = status {
                item["status"] = json!(status);
            }
            if let Some(attributes) = attributes {
                item["attributes"] = json!(attributes);
            }
            item
        })
}

fn batch_op() -> impl Strategy<Value = BatchOp> {
    let if_match = prop::option::of(0u64..4);
    let changes = prop_oneof![valid_item(), item_body()];
    prop_oneof![
        3 => prop_oneof![valid_item(), item_body()].prop_map(BatchOp::Create),
        3 => (0..SEEDED_ITEMS, if_match.clone(), changes)
            .prop_map(|(n, if_match, changes)| BatchOp::Update(n, if_match, changes)),
        2 => (0..SEEDED_ITEMS, if_match).prop_map(|(n, if_match)| BatchOp::Delete(n, if_match)),
        1 => json_value().prop_map(BatchOp::Raw),
    ]
}

fn body() -> impl Strategy<Value = BodyShape> {
    prop_oneof![
        4 => prop::collection::vec(batch_op(), 0..6).prop_map(BodyShape::Batch),
        3 => Just(BodyShape::None),
        5 => valid_item().prop_map(BodyShape::Json),
        6 => item_body().prop_map(BodyShape::Json),
        2 => json_value().prop_map(BodyShape::Json),
        2 => "\\PC{0,80}".prop_map(BodyShape::Text),
        1 => "\\{\"name\": \"[a-z]{0,5}".prop_map(BodyShape::Text),
        1 => prop::collection::vec(any::<u8>(), 1..200).prop_map(BodyShape::Bytes),
        1 => (200_000usize..300_000).prop_map(BodyShape::Huge),
        1 => (1usize..5_000).prop_map(BodyShape::Nested),
    ]
}

/// Half the cases pair a method with a path that has it, the rest are anything.
fn route() -> impl Strategy<Value = (String, PathShape)> {
    let collection =
        prop::sample::select(vec!["/items", "/items/"]).prop_map(PathShape::Collection);
    let item = prop_oneof![
        4 => (0..SEEDED_ITEMS).prop_map(PathShape::Seeded),
        1 => any::<u128>().prop_map(PathShape::RandomUuid),
    ];
    prop_oneof![
        1 => (prop::sample::select(vec!["GET", "POST"]).prop_map(String::from), collection),
        1 => (Just("POST".to_string()), Just(PathShape::Collection("/items/batch"))),
        1 => (prop::sample::select(vec!["GET", "GET", "PUT", "PUT", "PUT", "DELETE"]).prop_map(String::from), item),
        2 => (method(), path()),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        route(),
        query(),
        headers(),
        body(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|((method, path), query, headers, body, as_base64)| Case {
            method,
            path,
            query,
            headers,
            body,
            as_base64,
        })
}

impl Case {
    fn event(&self, seeded: &[String]) -> Value {
        let path = match &self.path {
            PathShape::Collection(path) => (*path).to_owned(),
            PathShape::Seeded(n) => format!("/items/{}", percent_encode(&seeded[*n])),
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
            ids.push(item["id"].as_str().unwrap().to_owned());
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
