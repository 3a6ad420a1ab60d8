//! The generated cases: what a request is made of (method, path, query, headers, body) and
//! the proptest strategies that draw them, odd and hostile shapes included.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{HISTORY_ROUTES, SEEDED_ITEMS};
use crate::support::percent_encode;

#[derive(Debug, Clone)]
pub(super) enum PathShape {
    Collection(&'static str),
    Seeded(usize),
    /// A seeded item's history route: `/versions`, `/versions/{n}`, `/restore`.
    History(usize, &'static str),
    RandomUuid(u128),
    Raw(String),
}

#[derive(Debug, Clone)]
pub(super) enum BodyShape {
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
pub(super) enum BatchOp {
    Create(Value),
    Update(usize, Option<u64>, Value),
    Delete(usize, Option<u64>),
    Raw(Value),
}

impl BatchOp {
    pub(super) fn to_json(&self, seeded: &[String]) -> Value {
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
pub(super) struct Case {
    pub(super) method: String,
    pub(super) path: PathShape,
    pub(super) query: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: BodyShape,
    /// Send the body base64-encoded, as API Gateway does for binary media types. (Never an
    /// invalid base64 body marked as base64: API Gateway encodes bodies itself, and
    /// lambda_http's event decoding panics on one before any handler runs.)
    pub(super) as_base64: bool,
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
        2 => (0..SEEDED_ITEMS, prop::sample::select(&HISTORY_ROUTES[..])).prop_map(|(n, r)| PathShape::History(n, r)),
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
        2 => (0u64..4).prop_map(|v| BodyShape::Json(json!({"version": v}))),
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
        1 => (prop::sample::select(vec!["GET", "POST"]).prop_map(String::from), (0..SEEDED_ITEMS, prop::sample::select(&HISTORY_ROUTES[..])).prop_map(|(n, r)| PathShape::History(n, r))),
        2 => (method(), path()),
    ]
}

pub(super) fn case() -> impl Strategy<Value = Case> {
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
