//! The Lambda handler: looks the request up in the route table, runs its handler, turns
//! errors into responses, adds the CORS headers and writes the one log line per request.

use std::time::{Instant, SystemTime};

use lambda_http::{
    Body, Error, Request, RequestExt, Response, http::HeaderValue, request::RequestContext,
};

use crate::{
    ApiError,
    archive_links::ArchiveLinks,
    cursor::CursorSigner,
    deadline, response,
    routes::{self, Call, Lookup, Route},
    store::ItemStore,
};

pub struct App<S> {
    store: S,
    cursors: CursorSigner,
    archive: ArchiveLinks,
    routes: Vec<Route<S>>,
    /// `Access-Control-Allow-Methods`: every method of the route table.
    cors_methods: HeaderValue,
}

/// Who and what a request is, for ids in responses and logs.
struct RequestInfo {
    /// API Gateway's request id (what the client can quote), else Lambda's.
    request_id: String,
    lambda_request_id: Option<String>,
    /// Scope of idempotency keys: the caller's API key, so two clients never share one.
    caller: String,
}

impl RequestInfo {
    fn of(request: &Request) -> Self {
        let lambda_request_id = request.lambda_context_ref().map(|c| c.request_id.clone());
        let (gateway_request_id, api_key) = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => {
                (context.request_id.clone(), context.identity.api_key.clone())
            }
            _ => (None, None),
        };
        Self {
            request_id: gateway_request_id
                .or_else(|| lambda_request_id.clone())
                .unwrap_or_else(|| "unknown".into()),
            lambda_request_id,
            caller: api_key.unwrap_or_default(),
        }
    }
}

impl<S: ItemStore> App<S> {
    pub fn new(store: S, cursors: CursorSigner, archive: ArchiveLinks) -> Self {
        let routes = routes::table();
        let methods = routes::join_methods(routes.iter().map(|route| &route.method), ",");
        Self {
            store,
            cursors,
            archive,
            routes,
            cors_methods: HeaderValue::from_str(&methods).expect("method names are header text"),
        }
    }

    /// Never fails: every error, ours or a dependency's, becomes a JSON response.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, Error> {
        let started = Instant::now();
        let info = RequestInfo::of(&request);
        let lookup = routes::find(&self.routes, request.method(), request.raw_http_path());
        let resource = match &lookup {
            Lookup::Found(route, _) => route.resource,
            Lookup::WrongMethod { resource, .. } => resource,
            Lookup::NoRoute => "unmatched",
        };
        let outcome = match lookup {
            Lookup::Found(route, params) => {
                let call = Call::new(
                    &self.store,
                    &self.cursors,
                    &self.archive,
                    &request,
                    &info.caller,
                    params,
                );
                let handled = (route.handler)(call);
                match deadline::time_left(&request, SystemTime::now()) {
                    Some(left) => tokio::time::timeout(left, handled)
                        .await
                        .unwrap_or_else(|_| {
                            Err(ApiError::Dependency(format!(
                                "no answer within the invocation's time ({} ms, its deadline less a margin)",
                                left.as_millis()
                            )))
                        }),
                    None => handled.await,
                }
            }
            Lookup::WrongMethod { allow, .. } => Err(ApiError::MethodNotAllowed { allow }),
            Lookup::NoRoute => Err(ApiError::RouteNotFound),
        };
        let mut response = outcome.unwrap_or_else(|error| {
            if let ApiError::Dependency(detail) | ApiError::Internal(detail) = &error {
                tracing::error!(request_id = %info.request_id, code = error.code(), %detail, "request failed");
            }
            response::error(&error, &info.request_id)
        });
        response::add_cors(&mut response, &self.cors_methods);
        tracing::info!(
            method = %request.method(),
            route = resource,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            request_id = %info.request_id,
            lambda_request_id = info.lambda_request_id.as_deref().unwrap_or_default(),
            "request"
        );
        Ok(response)
    }
}
