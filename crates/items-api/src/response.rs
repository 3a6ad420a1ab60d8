//! Building responses: JSON bodies, the seed's CORS headers on every response, and the one
//! mapping from [`ServiceError`] to an HTTP status.

use domain::ServiceError;
use lambda_http::{
    Body, Response,
    http::{HeaderValue, StatusCode, header},
};
use serde::Serialize;

/// The seed's CORS headers, plus the conditional and idempotency headers this API reads.
const ALLOW_HEADERS: &str = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,If-Match,If-None-Match,Idempotency-Key";
const ALLOW_METHODS: &str = "GET,POST,PUT,DELETE,OPTIONS";
const EXPOSE_HEADERS: &str = "ETag,Location,Retry-After,Idempotent-Replayed";
/// Seconds a throttled client should wait before retrying.
const RETRY_AFTER_SECS: &str = "1";

pub fn status_of(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Validation(_)
        | ServiceError::InvalidJson
        | ServiceError::InvalidQuery(_)
        | ServiceError::InvalidCursor
        | ServiceError::InvalidHeader { .. }
        | ServiceError::InvalidId => StatusCode::BAD_REQUEST,
        ServiceError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServiceError::NotFound | ServiceError::RouteNotFound => StatusCode::NOT_FOUND,
        ServiceError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        ServiceError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        ServiceError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Throttled => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Dependency(_) => StatusCode::BAD_GATEWAY,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
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
    request_id: &'a str,
}

pub fn error(error: &ServiceError, request_id: &str) -> Response<Body> {
    let current_version = match error {
        ServiceError::PreconditionFailed { current_version } => *current_version,
        _ => None,
    };
    let body = ErrorBody {
        error: error.to_string(),
        code: error.code(),
        fields: error.fields(),
        current_version,
        request_id,
    };
    let mut response = json(status_of(error), &body);
    let headers = response.headers_mut();
    match error {
        ServiceError::MethodNotAllowed { allow } => {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        ServiceError::Throttled => {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
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

/// A response with no body (204, 304), still carrying the CORS headers.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    response
}

/// Adds a header whose value we built ourselves (ids, versions: always valid header text).
pub fn with_header(
    mut response: Response<Body>,
    name: header::HeaderName,
    value: &str,
) -> Response<Body> {
    let value = HeaderValue::from_str(value).expect("generated header values are visible ASCII");
    response.headers_mut().insert(name, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let response = error(&ServiceError::Dependency("secret SDK text".into()), "req-1");
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = body_json(&response);
        assert_eq!(body["code"], "DEPENDENCY_FAILURE");
        assert_eq!(body["request_id"], "req-1");
        assert!(!body.to_string().contains("secret"));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let response = error(&ServiceError::Throttled, "r");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn every_response_has_cors_headers() {
        for response in [
            empty(StatusCode::NO_CONTENT),
            error(&ServiceError::NotFound, "r"),
        ] {
            assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
            assert!(
                response.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
                    .to_str()
                    .unwrap()
                    .starts_with("Content-Type,X-Amz-Date,Authorization,X-Api-Key")
            );
        }
    }
}
