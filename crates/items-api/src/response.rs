//! Building responses: JSON bodies, error bodies, and the seed's CORS headers that every
//! response carries.

use lambda_http::{
    Body, Response,
    http::{HeaderValue, StatusCode, header},
};
use serde::Serialize;

use crate::{ApiError, batch::OperationFailure};

/// The seed's CORS headers, plus the conditional and idempotency headers this API reads.
const ALLOW_HEADERS: &str = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,If-Match,If-None-Match,Idempotency-Key";
const EXPOSE_HEADERS: &str = "ETag,Location,Retry-After,Idempotent-Replayed";
/// Seconds a throttled client should wait before retrying.
const RETRY_AFTER_SECS: &str = "1";

/// Larger bodies are refused with 413 before parsing. An item is far smaller: the
/// largest valid one is about 25 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn check_body_size(body: &[u8]) -> Result<(), ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(())
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    /// The seed's human-readable message.
    error: String,
    /// Stable, machine-readable.
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [domain::FieldError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<&'a [OperationFailure]>,
    request_id: &'a str,
}

pub fn error(error: &ApiError, request_id: &str) -> Response<Body> {
    let body = ErrorBody {
        error: error.to_string(),
        code: error.code(),
        fields: error.fields(),
        current_version: error.current_version(),
        failures: error.failures(),
        request_id,
    };
    let mut response = json(error.status(), &body);
    match error {
        ApiError::MethodNotAllowed { allow } => {
            response = with_header(response, header::ALLOW, allow);
        }
        ApiError::Throttled | ApiError::HistoryPending => {
            response = with_header(response, header::RETRY_AFTER, RETRY_AFTER_SECS);
        }
        _ => {}
    }
    response
}

pub fn json(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(body).expect("response bodies serialize");
    let mut response = empty(status);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    *response.body_mut() = Body::Text(body);
    response
}

/// A response with no body (204, 304).
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// Adds a header whose value we built ourselves (ids, versions, method lists: always
/// valid header text).
pub fn with_header(
    mut response: Response<Body>,
    name: header::HeaderName,
    value: &str,
) -> Response<Body> {
    let value = HeaderValue::from_str(value).expect("generated header values are visible ASCII");
    response.headers_mut().insert(name, value);
    response
}

/// Marks the answer to a request retried with an `Idempotency-Key` as the first answer given
/// again (`Idempotent-Replayed: true`); a first answer is left as it is.
pub fn replayed_if(response: Response<Body>, replayed: bool) -> Response<Body> {
    if !replayed {
        return response;
    }
    with_header(
        response,
        header::HeaderName::from_static("idempotent-replayed"),
        "true",
    )
}

/// The CORS headers every response carries; `allow_methods` is every method of the route
/// table.
pub fn add_cors(response: &mut Response<Body>, allow_methods: &HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow_methods.clone());
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let response = error(&ApiError::Dependency("secret SDK text".into()), "req-1");
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = body_json(&response);
        assert_eq!(body["code"], "DEPENDENCY_FAILURE");
        assert_eq!(body["request_id"], "req-1");
        assert!(!body.to_string().contains("secret"));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let response = error(&ApiError::Throttled, "r");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn precondition_failures_carry_the_current_version() {
        let conflict = domain::DomainError::VersionConflict {
            current_version: Some(4),
        };
        let response = error(&conflict.into(), "r");
        assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(body_json(&response)["current_version"], 4);
    }
}
