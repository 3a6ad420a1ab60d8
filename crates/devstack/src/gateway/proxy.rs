//! The Lambda proxy integration: the event API Gateway (REST) sends for a request, and the
//! HTTP response it makes of the function's answer.

use std::collections::BTreeMap;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::routes::percent_decode;
use crate::aws::ACCOUNT_ID;

/// What a REST proxy event is made of.
pub struct RestRequest<'a> {
    pub method: &'a str,
    /// The matched resource, e.g. `/items/{id}`.
    pub resource: &'a str,
    /// The path as requested, without the stage, e.g. `/items/0f8f…`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub path_parameters: &'a BTreeMap<String, String>,
    pub body: &'a [u8],
    pub stage: &'a str,
    pub request_id: &'a str,
    pub api_key: Option<&'a str>,
    pub source_ip: &'a str,
}

/// The event API Gateway (REST, Lambda proxy integration) sends for a request.
pub fn rest_event(request: RestRequest<'_>) -> Value {
    let mut single_headers = Map::new();
    let mut multi_headers = Map::new();
    for (name, value) in request.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single_headers.insert(name.to_string(), json!(value));
        push(&mut multi_headers, name.to_string(), value);
    }
    let (query, multi_query) = query_maps(request.query);
    let null_if_empty = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    // Text bodies go as they are; anything that is not UTF-8 is base64, as with binary media types.
    let (body, is_base64) = match std::str::from_utf8(request.body) {
        _ if request.body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(BASE64.encode(request.body)), true),
    };
    let now = Utc::now();
    let user_agent = request
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok());
    json!({
        "resource": request.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": null_if_empty(single_headers),
        "multiValueHeaders": null_if_empty(multi_headers),
        "queryStringParameters": null_if_empty(query),
        "multiValueQueryStringParameters": null_if_empty(multi_query),
        "pathParameters": if request.path_parameters.is_empty() { Value::Null } else { json!(request.path_parameters) },
        "stageVariables": null,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": request.resource,
            "httpMethod": request.method,
            "extendedRequestId": request.request_id,
            "requestTime": request_time(now),
            "path": format!("/{}{}", request.stage, request.path),
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": request.stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": now.timestamp_millis(),
            "requestId": request.request_id,
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": user_agent,
                "apiKey": request.api_key,
                "apiKeyId": request.api_key.map(|_| "local-key"),
            },
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn push(multi: &mut Map<String, Value>, name: String, value: String) {
    if let Value::Array(values) = multi.entry(name).or_insert_with(|| json!([])) {
        values.push(json!(value));
    }
}

/// `25/Mar/2024:05:00:00 +0000`, API Gateway's `requestTime` format.
fn request_time(at: DateTime<Utc>) -> String {
    at.format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}

/// Query string → (single-value map: last value wins, as API Gateway does; multi-value map).
fn query_maps(query: Option<&str>) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi = Map::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(&name.replace('+', " "));
        let value = percent_decode(&value.replace('+', " "));
        single.insert(name.clone(), json!(value));
        push(&mut multi, name, value);
    }
    (single, multi)
}

/// The function's proxy response as HTTP; `None` when it is not a valid proxy response
/// (API Gateway answers 502 then).
pub(super) fn response(reply: &Value, request_id: &str) -> Option<Response<Body>> {
    let status = StatusCode::from_u16(u16::try_from(reply["statusCode"].as_u64()?).ok()?).ok()?;
    let body = match reply["body"].as_str() {
        None => Vec::new(),
        Some(text) if reply["isBase64Encoded"].as_bool() == Some(true) => {
            BASE64.decode(text).ok()?
        }
        Some(text) => text.as_bytes().to_vec(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in reply["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::try_from(name.as_str()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    for (name, values) in reply["multiValueHeaders"].as_object().into_iter().flatten() {
        let Ok(name) = HeaderName::try_from(name.as_str()) else {
            continue;
        };
        headers.remove(&name);
        for value in values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(name.clone(), value);
            }
        }
    }
    headers.insert("x-amzn-requestid", HeaderValue::from_str(request_id).ok()?);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_time_is_api_gateway_formatted() {
        let at = |seconds| DateTime::from_timestamp(seconds, 0).unwrap();
        assert_eq!(
            request_time(at(1_711_342_800)),
            "25/Mar/2024:05:00:00 +0000"
        );
        assert_eq!(request_time(at(0)), "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn query_strings_decode_like_api_gateway() {
        let (single, multi) = query_maps(Some("email=a%40b.com&tag=x&tag=y+z&flag"));
        assert_eq!(single["email"], "a@b.com");
        assert_eq!(
            single["tag"], "y z",
            "the last value wins in the single-value map"
        );
        assert_eq!(multi["tag"], json!(["x", "y z"]));
        assert_eq!(single["flag"], "");
    }
}
