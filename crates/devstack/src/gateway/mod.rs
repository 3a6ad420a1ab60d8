//! A local API Gateway (REST, proxy integration) in front of one function host. It takes
//! its routes, API key requirement, CORS and usage-plan throttle and quota from the template,
//! answers what API Gateway answers on its own (403 `Missing Authentication Token` for an
//! unknown route, 403 `Forbidden` without the right key, 429 over the rate or quota, 413
//! `Request Too Long` over its 10 MB payload limit, the CORS preflight), and turns every
//! other request into the exact proxy event API Gateway sends ([`proxy`]), mapping the
//! function's response back.

mod proxy;
mod routes;
mod usage_plan;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri},
};
use serde_json::json;
use tokio::{net::TcpListener, sync::watch};

use crate::{ApiDefinition, FunctionHost};
pub use proxy::{RestRequest, rest_event};
use routes::Routes;
use usage_plan::{Refusal, UsagePlan};

/// A REST API's payload limit (10 MB, not adjustable): API Gateway refuses a larger request
/// itself, and the function never sees it.
const PAYLOAD_LIMIT: usize = 10 * 1024 * 1024;

struct Gateway {
    api: ApiDefinition,
    api_key: String,
    routes: Routes,
    function: FunctionHost,
    usage: Mutex<UsagePlan>,
}

/// A gateway serving until dropped.
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
        let gateway = Arc::new(Gateway {
            usage: Mutex::new(UsagePlan::new(&api)),
            routes: Routes::new(routes),
            api,
            api_key,
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

impl Gateway {
    /// API Gateway's own answers, with the CORS headers the template's gateway responses add.
    /// `error_type` is the `x-amzn-ErrorType` header, for the answers whose type is known.
    fn own_response(
        &self,
        status: StatusCode,
        error_type: Option<&str>,
        message: &str,
        request_id: &str,
    ) -> Response<Body> {
        let mut response = Response::new(Body::from(json!({ "message": message }).to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Some(error_type) = error_type {
            headers.insert(
                "x-amzn-errortype",
                HeaderValue::from_str(error_type).unwrap(),
            );
        }
        headers.insert(
            "x-amzn-requestid",
            HeaderValue::from_str(request_id).unwrap(),
        );
        self.add_cors(headers);
        response
    }

    fn missing_token(&self, request_id: &str) -> Response<Body> {
        self.own_response(
            StatusCode::FORBIDDEN,
            Some("MissingAuthenticationTokenException"),
            "Missing Authentication Token",
            request_id,
        )
    }

    fn bad_gateway(&self, request_id: &str) -> Response<Body> {
        self.own_response(
            StatusCode::BAD_GATEWAY,
            Some("InternalServerErrorException"),
            "Internal server error",
            request_id,
        )
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
}

async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Ok(body) = axum::body::to_bytes(body, PAYLOAD_LIMIT).await else {
        return gateway.own_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            "Request Too Long",
            &request_id,
        );
    };
    let path = gateway.strip_stage(uri.path());
    let Some(matched) = gateway.routes.find(path) else {
        return gateway.missing_token(&request_id);
    };
    if method == Method::OPTIONS && gateway.api.cors.is_some() {
        // The CORS preflight is API Gateway's own mock integration: no key, no function.
        let mut response = Response::new(Body::empty());
        gateway.add_cors(response.headers_mut());
        return response;
    }
    if !matched.methods.contains(&method.as_str()) {
        return gateway.missing_token(&request_id);
    }
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if gateway.api.api_key_required && api_key != Some(gateway.api_key.as_str()) {
        return gateway.own_response(
            StatusCode::FORBIDDEN,
            Some("ForbiddenException"),
            "Forbidden",
            &request_id,
        );
    }
    let admitted = gateway.usage.lock().unwrap().admit();
    if let Err(refusal) = admitted {
        let (error_type, message) = match refusal {
            Refusal::OverQuota => ("LimitExceededException", "Limit Exceeded"),
            Refusal::Throttled => ("TooManyRequestsException", "Too Many Requests"),
        };
        return gateway.own_response(
            StatusCode::TOO_MANY_REQUESTS,
            Some(error_type),
            message,
            &request_id,
        );
    }

    let event = rest_event(RestRequest {
        method: method.as_str(),
        resource: matched.resource,
        path,
        query: uri.query(),
        headers: &headers,
        path_parameters: &matched.parameters,
        body: &body,
        stage: &gateway.api.stage,
        request_id: &request_id,
        api_key,
        source_ip: &peer.ip().to_string(),
    });
    match gateway.function.invoke(event).await {
        Ok(reply) => {
            proxy::response(&reply, &request_id).unwrap_or_else(|| gateway.bad_gateway(&request_id))
        }
        Err(_) => gateway.bad_gateway(&request_id),
    }
}
