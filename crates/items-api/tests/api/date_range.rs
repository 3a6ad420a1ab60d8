//! `GET /items?status=…&created_from=…&created_to=…`: inclusive ranges on CreatedAtIndex's
//! sort key, at their edges, paged with a cursor bound to the range.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::support::{TestApp, TestRequest};

/// An item created through the API whose `created_at` is then set in the table, as if it
/// had been created at `at` (the API always stamps "now").
async fn created_at(app: &TestApp, name: &str, at: &str) -> String {
    let item = app.create(name, "range@example.com").await;
    let id = item["id"].as_str().unwrap().to_string();
    app.set_stored(&id, "created_at", AttributeValue::S(at.into()))
        .await;
    id
}

async fn names(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let mut request = TestRequest::get("/items");
    for (name, value) in params {
        request = request.query(name, value);
    }
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let page = response.json();
    assert!(page.get("last_key").is_none(), "one page: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

const EDGES: [(&str, &str); 5] = [
    ("day before, last ms", "2024-03-24T23:59:59.999Z"),
    ("first ms", "2024-03-25T00:00:00.000Z"),
    ("noon", "2024-03-25T12:00:00.000Z"),
    ("last ms", "2024-03-25T23:59:59.999Z"),
    ("day after, first ms", "2024-03-26T00:00:00.000Z"),
];

#[tokio::test]
async fn ranges_are_inclusive_at_the_millisecond_and_newest_first() {
    let app = TestApp::spawn().await;
    for (name, at) in EDGES {
        created_at(&app, name, at).await;
    }
    let other_status = created_at(&app, "archived noon", "2024-03-25T12:00:00.000Z").await;
    let archived = app
        .send(TestRequest::put(
            format!("/items/{other_status}"),
            serde_json::json!({"status": "archived"}),
        ))
        .await;
    assert_eq!(archived.status, 200);

    let day = [("created_from", "2024-03-25"), ("created_to", "2024-03-25")];
    assert_eq!(names(&app, &day).await, ["last ms", "noon", "first ms"]);
    assert_eq!(
        names(&app, &[("created_from", "2024-03-25T00:00:00Z")]).await,
        ["day after, first ms", "last ms", "noon", "first ms"]
    );
    // 09:00 at +09:00 is midnight UTC: the first millisecond is in, the one before too.
    assert_eq!(
        names(&app, &[("created_to", "2024-03-25T09:00:00+09:00")]).await,
        ["first ms", "day before, last ms"]
    );
    let noon = "2024-03-25T12:00:00.000Z";
    assert_eq!(
        names(&app, &[("created_from", noon), ("created_to", noon)]).await,
        ["noon"]
    );
    // A bound between two milliseconds never takes in the instant outside it.
    assert_eq!(
        names(
            &app,
            &[
                ("created_from", "2024-03-25T12:00:00.0001Z"),
                ("created_to", "2024-03-25T23:59:59.9999Z")
            ]
        )
        .await,
        ["last ms"]
    );
    assert!(
        names(&app, &[("created_from", "2024-03-27")])
            .await
            .is_empty()
    );
    assert_eq!(
        names(
            &app,
            &[("status", "archived"), ("created_to", "2024-03-25")]
        )
        .await,
        ["archived noon"]
    );
}

async fn page(app: &TestApp, params: &[(&str, &str)]) -> (Vec<String>, Option<String>, u16) {
    let mut request = TestRequest::get("/items");
    for (name, value) in params {
        request = request.query(name, value);
    }
    let response = app.send(request).await;
    if response.status != 200 {
        return (vec![], None, response.status);
    }
    let body = response.json();
    let names = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect();
    let next = body
        .get("last_key")
        .and_then(Value::as_str)
        .map(str::to_string);
    (names, next, 200)
}

#[tokio::test]
async fn the_cursor_belongs_to_its_range() {
    let app = TestApp::spawn().await;
    for (name, at) in EDGES {
        created_at(&app, name, at).await;
    }
    let range = [
        ("created_from", "2024-03-25"),
        ("created_to", "2024-03-25"),
        ("limit", "2"),
    ];
    let (first, cursor, _) = page(&app, &range).await;
    assert_eq!(first, ["last ms", "noon"]);
    let cursor = cursor.expect("a second page");

    let mut next = range.to_vec();
    next.push(("last_key", &cursor));
    let (second, _, status) = page(&app, &next).await;
    assert_eq!((status, second), (200, vec!["first ms".to_string()]));

    // The same range written another way is the same range.
    let same = [
        ("created_from", "2024-03-25T09:00:00+09:00"),
        ("created_to", "2024-03-25T23:59:59.999Z"),
        ("limit", "2"),
        ("last_key", &cursor),
    ];
    assert_eq!(page(&app, &same).await.0, ["first ms"]);

    // Another range, no range, or another status: the cursor is refused.
    for other in [
        vec![("created_from", "2024-03-24"), ("created_to", "2024-03-25")],
        vec![("created_from", "2024-03-25")],
        vec![],
        vec![
            ("status", "archived"),
            ("created_from", "2024-03-25"),
            ("created_to", "2024-03-25"),
        ],
    ] {
        let mut request = TestRequest::get("/items").query("last_key", &cursor);
        for (name, value) in &other {
            request = request.query(name, value);
        }
        app.send(request).await.assert_error(400, "INVALID_CURSOR");
    }
    // And a cursor of the listing without a range is refused within one.
    let (_, open_cursor, _) = page(&app, &[("limit", "1")]).await;
    let request = TestRequest::get("/items")
        .query("created_from", "2024-03-25")
        .query("created_to", "2024-03-25")
        .query("last_key", &open_cursor.unwrap());
    app.send(request).await.assert_error(400, "INVALID_CURSOR");
}

#[tokio::test]
async fn bad_ranges_name_the_parameter() {
    let app = TestApp::spawn().await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("created_from", "yesterday")], "created_from"),
        (&[("created_to", "2024-02-30")], "created_to"),
        (&[("created_to", "2024-03-25T05:00:00")], "created_to"),
        (
            &[("created_from", "2024-03-26"), ("created_to", "2024-03-25")],
            "created_from",
        ),
        (
            &[
                ("created_from", "2024-03-25"),
                ("created_from", "2024-03-26"),
            ],
            "created_from",
        ),
        (
            &[("email", "a@example.com"), ("created_to", "2024-03-25")],
            "created_to",
        ),
    ];
    for (params, field) in cases {
        let mut request = TestRequest::get("/items");
        for (name, value) in params {
            request = request.query(name, value);
        }
        let body = app
            .send(request)
            .await
            .assert_error(400, "INVALID_QUERY_PARAMETER");
        assert_eq!(body["fields"][0]["field"], field, "{params:?}: {body}");
    }
}
