//! The one helper every test goes through: [`TestApp::spawn`] starts a private DynamoDB
//! with the template's table and the real handler in front of it; requests are sent as
//! the JSON events API Gateway would send.

use std::sync::LazyLock;

use devstack::{LocalDynamo, TableDefinition, Template};
use items_api::{App, ArchiveLinks, CursorSigner, DynamoStore};
use std::collections::BTreeMap;

use lambda_http::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::spec;

pub const API_KEY: &str = "test-api-key-0123456789";
pub const TABLE: &str = "items-test";
/// `DynamoStore`'s default name for `TABLE`'s history.
pub const HISTORY_TABLE: &str = "items-test-history";
pub const BUCKET: &str = "items-archive-test";

static TABLE_DEFINITION: LazyLock<TableDefinition> = LazyLock::new(|| {
    Template::workspace()
        .and_then(|t| t.table("ItemsTable"))
        .expect("template.yaml has ItemsTable")
});

static HISTORY_DEFINITION: LazyLock<TableDefinition> = LazyLock::new(|| {
    Template::workspace()
        .and_then(|t| t.table("HistoryTable"))
        .expect("template.yaml has HistoryTable")
});

/// Archive URLs signed for AWS itself (these tests have no S3; the devstack tests fetch one).
pub fn archive_links() -> ArchiveLinks {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test");
    ArchiveLinks::new(BUCKET, "us-east-1", None, credentials)
}

pub type Snapshot = Vec<BTreeMap<String, aws_sdk_dynamodb::types::AttributeValue>>;

pub struct TestApp {
    pub app: App<DynamoStore>,
    pub dynamo: LocalDynamo,
}

impl TestApp {
    /// The item as the table holds it now: its attributes as stored.
    pub async fn stored(
        &self,
        id: &str,
    ) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
        let client = self.dynamo.client();
        let get = client
            .get_item()
            .table_name(TABLE)
            .key("id", aws_sdk_dynamodb::types::AttributeValue::S(id.into()));
        get.send().await.unwrap().item.expect("the item is stored")
    }

    /// Another tool's write: `attribute` of the stored item set to `value`, nothing else
    /// changed (its `version` included).
    pub async fn set_stored(
        &self,
        id: &str,
        attribute: &str,
        value: aws_sdk_dynamodb::types::AttributeValue,
    ) {
        let client = self.dynamo.client();
        let update = client
            .update_item()
            .table_name(TABLE)
            .key("id", aws_sdk_dynamodb::types::AttributeValue::S(id.into()))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", value);
        update.send().await.expect("another tool's write");
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// `prepare` may change the engine before the app is built (e.g. drop the table).
    pub async fn spawn_with(prepare: impl FnOnce(&LocalDynamo)) -> Self {
        let dynamo = LocalDynamo::start_in_memory()
            .await
            .expect("local DynamoDB starts");
        dynamo
            .create_table(TABLE, &TABLE_DEFINITION)
            .await
            .expect("table from template.yaml");
        dynamo
            .create_table(HISTORY_TABLE, &HISTORY_DEFINITION)
            .await
            .expect("history table from template.yaml");
        prepare(&dynamo);
        let store = DynamoStore::new(dynamo.client(), TABLE);
        let app = App::new(
            store,
            CursorSigner::new(b"test-cursor-secret"),
            archive_links(),
        );
        Self { app, dynamo }
    }

    pub async fn send(&self, request: TestRequest) -> TestResponse {
        self.send_event(request.to_event()).await
    }

    pub async fn send_event(&self, event: Value) -> TestResponse {
        send_event_to(&self.app, event).await
    }

    /// Every stored item, in id order: what "nothing was written" is checked against.
    pub async fn snapshot(&self) -> Snapshot {
        let output = self
            .dynamo
            .client()
            .scan()
            .table_name(TABLE)
            .send()
            .await
            .expect("scan the test table");
        let mut items: Snapshot = output
            .items()
            .iter()
            .map(|item| item.clone().into_iter().collect())
            .collect();
        items.sort_by_key(|item| format!("{:?}", item.get("id")));
        items
    }

    /// Creates an item through the API and returns its JSON.
    pub async fn create(&self, name: &str, email: &str) -> Value {
        let response = self
            .send(TestRequest::post(
                "/items",
                json!({"name": name, "email": email}),
            ))
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.json()
    }
}

/// Sends a raw API Gateway event to `app`, parsed exactly as lambda_http parses Lambda's
/// payload, and checks the response against openapi.yaml.
pub async fn send_event_to(app: &App<DynamoStore>, event: Value) -> TestResponse {
    send_invocation_to(app, event, None).await
}

/// As [`send_event_to`], with the invocation's Lambda context (its deadline) when given.
pub async fn send_invocation_to(
    app: &App<DynamoStore>,
    event: Value,
    context: Option<lambda_http::Context>,
) -> TestResponse {
    use lambda_http::RequestExt;
    let mut request = lambda_http::request::from_str(&event.to_string()).expect("valid REST event");
    if let Some(context) = context {
        request = request.with_lambda_context(context);
    }
    let response = app.handle(request).await.expect("the handler never fails");
    let response = TestResponse {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body().as_ref().to_vec(),
    };
    spec::assert_conforms(
        event["httpMethod"].as_str().unwrap_or_default(),
        event["path"].as_str().unwrap_or_default(),
        response.status,
        &response.headers,
        &response.body,
    );
    response
}

#[derive(Debug, Clone)]
pub struct TestRequest {
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub base64: bool,
}

impl TestRequest {
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: vec![("x-api-key".into(), API_KEY.into())],
            body: None,
            base64: false,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new("POST", path).json(body)
    }

    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Self::new("PUT", path).json(body)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new("DELETE", path)
    }

    pub fn json(self, body: Value) -> Self {
        self.header("content-type", "application/json")
            .raw_body(body.to_string())
    }

    pub fn raw_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// The event API Gateway (REST, proxy integration) sends for this request on stage
    /// `prod`, built by the local gateway's own builder.
    pub fn to_event(&self) -> Value {
        // The resource and path parameters API Gateway would send, from the app's route table
        // (a path no route has is sent as its own resource, without parameters).
        let routes = items_api::routes::table::<DynamoStore>();
        let (resource, path_parameters) = routes
            .iter()
            .find_map(|route| {
                let params = items_api::routes::match_resource(route.resource, &self.path)?;
                Some((route.resource, params))
            })
            .unwrap_or((self.path.as_str(), Default::default()));
        let path_parameters: BTreeMap<String, String> = path_parameters
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect();
        let query = query.join("&");
        let api_key = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-api-key"))
            .map(|(_, v)| v.as_str());
        let body = self.body.clone().unwrap_or_default();
        let mut event = devstack::rest_event(devstack::RestRequest {
            method: self.method,
            resource,
            path: &self.path,
            query: (!query.is_empty()).then_some(query.as_str()),
            headers: &headers,
            path_parameters: &path_parameters,
            body: body.as_bytes(),
            stage: "prod",
            request_id: "test-request-id",
            api_key,
            source_ip: "127.0.0.1",
        });
        if self.base64 {
            event["isBase64Encoded"] = Value::Bool(true);
        }
        event
    }
}

/// Query-string encoding: everything but unreserved characters as %XX.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a JSON error with this status and stable code, and returns its body.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        assert_eq!(body["request_id"], "test-request-id");
        assert_eq!(self.header("access-control-allow-origin"), Some("*"));
        body
    }
}
