//! The answers a failing AWS service gives, in each service's own wire shape.

use http_body_util::Full;
use hyper::{
    Response, StatusCode,
    body::Bytes,
    header::{CONTENT_TYPE, HeaderValue},
};

use super::Service;
pub(super) use crate::http::Answer;

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The service's throttling answer, as AWS sends it.
pub(super) fn throttled(service: Service, call: u64) -> Answer {
    match service {
        Service::DynamoDb => {
            // Both codes DynamoDB uses: per-table capacity, and the account/control-plane one.
            let code = if call.is_multiple_of(2) {
                "ProvisionedThroughputExceededException"
            } else {
                "ThrottlingException"
            };
            dynamodb_error(
                StatusCode::BAD_REQUEST,
                code,
                "The level of configured provisioned throughput for the table was exceeded.",
            )
        }
        Service::S3 => s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Service::Sns => sns_error(
            StatusCode::BAD_REQUEST,
            "Sender",
            "Throttling",
            "Rate exceeded",
        ),
    }
}

/// The service's internal error answer.
pub(super) fn internal_error(service: Service) -> Answer {
    match service {
        Service::DynamoDb => dynamodb_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal server error",
        ),
        Service::S3 => s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        Service::Sns => sns_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Receiver",
            "InternalError",
            "An internal error occurred.",
        ),
    }
}

/// DynamoDB's JSON 1.0 error: the code in `__type` and in `x-amzn-ErrorType`.
fn dynamodb_error(status: StatusCode, code: &str, message: &str) -> Answer {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": message,
    });
    let mut response = answer(status, "application/x-amz-json-1.0", body.to_string());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(code) {
        headers.insert("x-amzn-errortype", value);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// S3's REST-XML error.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Answer {
    answer(
        status,
        "application/xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{}</RequestId></Error>",
            request_id()
        ),
    )
}

/// SNS's query-protocol XML error.
fn sns_error(status: StatusCode, fault: &str, code: &str, message: &str) -> Answer {
    answer(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            request_id()
        ),
    )
}
