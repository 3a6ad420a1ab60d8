//! Keeps `openapi.yaml` honest: every response a test receives is checked against the
//! operation the spec documents for its method and path — the status is listed, the
//! required headers are there and match, the JSON body validates (formats included). A
//! method the spec does not list must be a 405 naming exactly the spec's methods; a path
//! it does not list, a 404 `ROUTE_NOT_FOUND`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{LazyLock, Mutex};

use jsonschema::Validator;
use lambda_http::http::HeaderMap;
use serde_json::{Value, json};

static SPEC: LazyLock<Spec> = LazyLock::new(Spec::load);

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

struct Spec {
    doc: Value,
    /// Validators by JSON pointer of the schema inside the document, built on first use.
    validators: Mutex<HashMap<String, &'static Validator>>,
}

/// Panics with the reason when the response breaks the spec.
pub fn assert_conforms(method: &str, path: &str, status: u16, headers: &HeaderMap, body: &[u8]) {
    if let Err(reason) = SPEC.check(method, path, status, headers, body) {
        panic!(
            "{method} {path} → {status} breaks openapi.yaml: {reason}\nbody: {}",
            String::from_utf8_lossy(body)
        );
    }
}

impl Spec {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml");
        let text = std::fs::read_to_string(path).expect("openapi.yaml at the workspace root");
        let doc: Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml is YAML");
        Self {
            doc,
            validators: Mutex::new(HashMap::new()),
        }
    }

    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let Some(template) = self.path_template(path) else {
            return self.check_error(status, body, 404, "ROUTE_NOT_FOUND");
        };
        let path_item = &self.doc["paths"][template];
        // Methods are case-sensitive: `get` is not GET (the spec's keys are lower case).
        let method = match method.to_ascii_lowercase() {
            lower if method == lower.to_ascii_uppercase() => lower,
            _ => String::new(),
        };
        if path_item.get(&method).is_none() {
            self.check_error(status, body, 405, "METHOD_NOT_ALLOWED")?;
            let allowed: BTreeSet<String> = METHODS
                .iter()
                .filter(|m| path_item.get(**m).is_some())
                .map(|m| m.to_ascii_uppercase())
                .collect();
            let allow = header_text(headers, "allow")?.ok_or("405 without Allow")?;
            let named: BTreeSet<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
            return if named == allowed {
                Ok(())
            } else {
                Err(format!("Allow: {allow}, the spec has {allowed:?}"))
            };
        }
        let escaped = template.replace('~', "~0").replace('/', "~1");
        let pointer = format!("/paths/{escaped}/{method}/responses/{status}");
        let (response, pointer) = self.resolve(&pointer)?;
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let (header, header_pointer) = match header.get("$ref") {
                Some(_) => self.resolve(&format!("{pointer}/headers/{name}"))?,
                None => (header, format!("{pointer}/headers/{name}")),
            };
            match header_text(headers, name)? {
                Some(value) => self
                    .validate(&format!("{header_pointer}/schema"), &json!(value))
                    .map_err(|e| format!("header {name}: {e}"))?,
                None if header["required"] == true => {
                    return Err(format!("required header {name} is missing"));
                }
                None => {}
            }
        }
        match response.get("content") {
            Some(content) => {
                if content.get("application/json").is_none() {
                    return Err("the spec documents no application/json body".into());
                }
                let content_type = header_text(headers, "content-type")?;
                if content_type != Some("application/json") {
                    return Err(format!("Content-Type {content_type:?}"));
                }
                let body: Value =
                    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
                self.validate(
                    &format!("{pointer}/content/application~1json/schema"),
                    &body,
                )
            }
            None if body.is_empty() => Ok(()),
            None => Err("a body where the spec documents none".into()),
        }
    }

    /// The spec's path template matching a request path (`/items/abc` → `/items/{id}`).
    fn path_template(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.doc["paths"].as_object()?.keys().find_map(|template| {
            let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    part == segment || (part.starts_with('{') && !segment.is_empty())
                });
            matches.then_some(template.as_str())
        })
    }

    /// An error status + code the spec's `Error` schema must also accept.
    fn check_error(
        &self,
        status: u16,
        body: &[u8],
        expected: u16,
        code: &str,
    ) -> Result<(), String> {
        if status != expected {
            return Err(format!("expected {expected} {code}"));
        }
        let body: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        self.validate("/components/schemas/Error", &body)?;
        if body["code"] != code {
            return Err(format!("expected code {code}"));
        }
        Ok(())
    }

    /// The value at `pointer`, following one `$ref`, with the pointer it was found at.
    fn resolve(&self, pointer: &str) -> Result<(&Value, String), String> {
        let value = self
            .doc
            .pointer(pointer)
            .ok_or_else(|| format!("not documented ({pointer})"))?;
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let target = target.trim_start_matches('#');
                let value = self
                    .doc
                    .pointer(target)
                    .ok_or_else(|| format!("dangling $ref {target}"))?;
                Ok((value, target.to_owned()))
            }
            None => Ok((value, pointer.to_owned())),
        }
    }

    fn validate(&self, schema_pointer: &str, instance: &Value) -> Result<(), String> {
        let validator = self.validator(schema_pointer)?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// A validator whose root is the whole document plus a `$ref` to the schema, so the
    /// schema's own `#/components/…` references resolve as they do in the file.
    fn validator(&self, schema_pointer: &str) -> Result<&'static Validator, String> {
        let mut validators = self.validators.lock().unwrap();
        if let Some(validator) = validators.get(schema_pointer) {
            return Ok(validator);
        }
        let mut root = self.doc.clone();
        // A URI fragment: the braces of path templates must be percent-encoded.
        let fragment = schema_pointer.replace('{', "%7B").replace('}', "%7D");
        root["$ref"] = json!(format!("#{fragment}"));
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("schema {schema_pointer} does not compile: {e}"))?;
        // Leaked once per schema, for the life of the test binary.
        let validator: &'static Validator = Box::leak(Box::new(validator));
        validators.insert(schema_pointer.to_owned(), validator);
        Ok(validator)
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| format!("header {name} is not text")))
        .transpose()
}

#[test]
fn the_spec_documents_every_error_code_the_service_has() {
    let documented: BTreeSet<&str> =
        SPEC.doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    use domain::DomainError;
    use items_api::ApiError;
    let errors: [ApiError; 19] = [
        DomainError::Validation(vec![]).into(),
        DomainError::InvalidJson.into(),
        ApiError::InvalidQuery(vec![]),
        ApiError::InvalidCursor,
        ApiError::InvalidHeader {
            header: "If-Match",
            reason: String::new(),
        },
        ApiError::InvalidId,
        ApiError::PayloadTooLarge { limit: 1 },
        DomainError::NotFound.into(),
        ApiError::RouteNotFound,
        ApiError::VersionNotFound,
        ApiError::HistoryPending,
        ApiError::MethodNotAllowed {
            allow: String::new(),
        },
        DomainError::VersionConflict {
            current_version: None,
        }
        .into(),
        DomainError::IdempotencyKeyReused.into(),
        ApiError::TransactionCanceled(vec![]),
        ApiError::Unrepresentable(vec![]),
        ApiError::Throttled,
        ApiError::Dependency(String::new()),
        ApiError::Internal(String::new()),
    ];
    let codes: BTreeSet<&str> = errors.iter().map(|e| e.code()).collect();
    assert_eq!(codes, documented);
}

#[test]
fn the_checker_catches_what_breaks_the_spec() {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let not_found = json!({"error": "Item not found", "code": "ITEM_NOT_FOUND", "request_id": "r"});
    let body = not_found.to_string();
    let check = |method, path: &str, status, headers: &HeaderMap, body: &str| {
        SPEC.check(method, path, status, headers, body.as_bytes())
    };
    check("GET", &format!("/items/{id}"), 404, &headers, &body).unwrap();
    // An undocumented status, a code outside the response's set, a missing required header.
    assert!(check("GET", &format!("/items/{id}"), 409, &headers, &body).is_err());
    assert!(check("GET", "/items", 400, &headers, &body).is_err());
    assert!(check("GET", &format!("/items/{id}"), 200, &headers, "{}").is_err());
    // 405 must name the spec's methods.
    let mut allow = headers.clone();
    allow.insert("allow", "GET, POST".parse().unwrap());
    let method_error = json!({"error": "x", "code": "METHOD_NOT_ALLOWED", "request_id": "r"});
    assert!(check("PATCH", "/items", 405, &allow, &method_error.to_string()).is_err());
    allow.insert("allow", "GET, POST, OPTIONS".parse().unwrap());
    check("PATCH", "/items", 405, &allow, &method_error.to_string()).unwrap();
}
