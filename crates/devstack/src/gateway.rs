//! A local API Gateway (REST, proxy integration) in front of one function host. It takes
//! its routes, API key requirement, CORS and usage-plan throttle and quota from the template,
//! answers what API Gateway answers on its own (403 `Missing Authentication Token` for an
//! unknown route, 403 `Forbidden` without the right key, 429 over the rate or quota, the
//! CORS preflight), and turns every other request into the exact proxy event API Gateway
//! sends, mapping the function's response back.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, Uri},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::{net::TcpListener, sync::watch};

use crate::{ApiDefinition, FunctionHost, aws::ACCOUNT_ID};

/// Requests allowed at once (`burst`) and per second afterwards (`rate`), per API key.
struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(burst: u64, rate: f64) -> Self {
        Self {
            capacity: burst.max(1) as f64,
            rate,
            tokens: burst.max(1) as f64,
            updated: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.updated).as_secs_f64() * self.rate)
            .min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Route {
    method: String,
    resource: String,
    segments: Vec<String>,
}

struct Gateway {
    api: ApiDefinition,
    api_key: String,
    routes: Vec<Route>,
    function: FunctionHost,
    bucket: Mutex<TokenBucket>,
    used: Mutex<u64>,
}

/// A gateway serving until the returned sender is dropped or set.
pub struct LocalGateway {
    pub address: SocketAddr,
    _stop: watch::Sender<bool>,
}

impl LocalGateway {
    pub async fn start(
        listener: TcpListener,
        api: ApiDefinition,
        routes: &[(String, String)],
        api_key: String,
        function: FunctionHost,
    ) -> std::io::Result<Self> {
        let routes = routes
            .iter()
            .map(|(method, path)| Route {
                method: method.clone(),
                resource: path.clone(),
                segments: path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_string)
                    .collect(),
            })
            .collect();
        let gateway = Arc::new(Gateway {
            bucket: Mutex::new(TokenBucket::new(api.throttle_burst, api.throttle_rate)),
            used: Mutex::new(0),
            api,
            api_key,
            routes,
            function,
        });
        let address = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let app = Router::new().fallback(handle).with_state(gateway);
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
        });
        Ok(Self {
            address,
            _stop: stop,
        })
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Gateway {
    /// API Gateway's own answers, with the CORS headers the template's gateway responses add.
    fn own_response(
        &self,
        status: StatusCode,
        error_type: &str,
        message: &str,
        request_id: &str,
    ) -> Response<Body> {
        let mut response = Response::new(Body::from(json!({ "message": message }).to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_str(error_type).unwrap(),
        );
        headers.insert(
            "x-amzn-requestid",
            HeaderValue::from_str(request_id).unwrap(),
        );
        self.add_cors(headers);
        response
    }

    fn add_cors(&self, headers: &mut HeaderMap) {
        if let Some(cors) = &self.api.cors {
            for (name, value) in [
                ("access-control-allow-origin", &cors.allow_origin),
                ("access-control-allow-headers", &cors.allow_headers),
                ("access-control-allow-methods", &cors.allow_methods),
            ] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.insert(name, value);
                }
            }
        }
    }

    /// The path without the stage prefix: clients may call `/items` or, as on AWS, `/prod/items`.
    fn strip_stage<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(&format!("/{}", self.api.stage))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path)
    }

    /// The resource, path parameters and allowed methods for a path (without the stage).
    fn match_path(&self, path: &str) -> Option<(&str, BTreeMap<String, String>, Vec<&str>)> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Option<(&str, BTreeMap<String, String>)> = None;
        let mut methods = Vec::new();
        for route in &self.routes {
            if route.segments.len() != segments.len() {
                continue;
            }
            let mut parameters = BTreeMap::new();
            let matched = route
                .segments
                .iter()
                .zip(&segments)
                .all(|(pattern, segment)| {
                    match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        Some(name) if !segment.is_empty() => {
                            parameters.insert(name.to_string(), percent_decode(segment));
                            true
                        }
                        Some(_) => false,
                        None => pattern == segment,
                    }
                });
            if matched {
                methods.push(route.method.as_str());
                found = Some((route.resource.as_str(), parameters));
            }
        }
        found.map(|(resource, parameters)| (resource, parameters, methods))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
        multi
            .entry(name)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(value));
    }
    (single, multi)
}

async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let request_id = request_id();
    let path = gateway.strip_stage(uri.path());
    let Some((resource, path_parameters, methods)) = gateway.match_path(path) else {
        return gateway.own_response(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            &request_id,
        );
    };
    if method == Method::OPTIONS && gateway.api.cors.is_some() {
        // The CORS preflight is API Gateway's own mock integration: no key, no function.
        let mut response = Response::new(Body::empty());
        gateway.add_cors(response.headers_mut());
        return response;
    }
    if !methods.contains(&method.as_str()) {
        return gateway.own_response(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            &request_id,
        );
    }
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if gateway.api.api_key_required && api_key.as_deref() != Some(gateway.api_key.as_str()) {
        return gateway.own_response(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Forbidden",
            &request_id,
        );
    }
    if let Some(limit) = gateway.api.quota_limit {
        let mut used = gateway.used.lock().unwrap();
        if *used >= limit {
            return gateway.own_response(
                StatusCode::TOO_MANY_REQUESTS,
                "LimitExceededException",
                "Limit Exceeded",
                &request_id,
            );
        }
        *used += 1;
    }
    if !gateway.bucket.lock().unwrap().take() {
        return gateway.own_response(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Too Many Requests",
            &request_id,
        );
    }

    let event = rest_event(RestRequest {
        method: method.as_str(),
        resource,
        path,
        query: uri.query(),
        headers: &headers,
        path_parameters: &path_parameters,
        body: &body,
        stage: &gateway.api.stage,
        request_id: &request_id,
        api_key: api_key.as_deref(),
        source_ip: &peer.ip().to_string(),
    });
    match gateway.function.invoke(event).await {
        Ok(reply) => proxy_response(&reply, &request_id).unwrap_or_else(|| {
            gateway.own_response(
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                "Internal server error",
                &request_id,
            )
        }),
        Err(_) => gateway.own_response(
            StatusCode::BAD_GATEWAY,
            "InternalServerErrorException",
            "Internal server error",
            &request_id,
        ),
    }
}

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
        multi_headers
            .entry(name.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(value));
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

/// `25/Mar/2024:05:00:00 +0000`, API Gateway's `requestTime` format.
fn request_time(at: DateTime<Utc>) -> String {
    at.format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}

/// The function's proxy response as HTTP; `None` when it is not a valid proxy response
/// (API Gateway answers 502 then).
fn proxy_response(reply: &Value, request_id: &str) -> Option<Response<Body>> {
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

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let mut bucket = TokenBucket::new(3, 0.0);
        assert!((0..3).all(|_| bucket.take()));
        assert!(!bucket.take());
    }
}
