//! The Lambda handler: routes a request, runs its handler, turns errors into responses
//! and writes the one log line per request.

use std::time::Instant;

use domain::{CursorSigner, ServiceError};
use lambda_http::{
    Body, Error, Request, RequestExt, Response, http::StatusCode, request::RequestContext,
};

use crate::{
    handlers,
    query::ListQuery,
    response,
    router::{self, Route},
    store::ItemStore,
};

pub struct App<S> {
    store: S,
    cursors: CursorSigner,
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
    pub fn new(store: S, cursors: CursorSigner) -> Self {
        Self { store, cursors }
    }

    /// Never fails: every error, ours or a dependency's, becomes a JSON response.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, Error> {
        let started = Instant::now();
        let info = RequestInfo::of(&request);
        let response = match self.dispatch(&request, &info).await {
            Ok(response) => response,
            Err(error) => {
                if let ServiceError::Dependency(detail) | ServiceError::Internal(detail) = &error {
                    tracing::error!(request_id = %info.request_id, code = error.code(), %detail, "request failed");
                }
                response::error(&error, &info.request_id)
            }
        };
        tracing::info!(
            method = %request.method(),
            route = router::resource_of(request.raw_http_path()),
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            request_id = %info.request_id,
            lambda_request_id = info.lambda_request_id.as_deref().unwrap_or_default(),
            "request"
        );
        Ok(response)
    }

    async fn dispatch(
        &self,
        request: &Request,
        info: &RequestInfo,
    ) -> Result<Response<Body>, ServiceError> {
        let route = router::route(request.method(), request.raw_http_path())?;
        let headers = request.headers();
        let body = request.body().as_ref();
        match route {
            Route::ListItems => {
                let query = ListQuery::parse(&request.query_string_parameters())?;
                handlers::list_items(&self.store, &self.cursors, query).await
            }
            Route::GetItem(id) => handlers::get_item(&self.store, id, headers).await,
            Route::CreateItem => {
                handlers::create_item(
                    &self.store,
                    body,
                    headers,
                    &info.caller,
                    request.uri().path(),
                )
                .await
            }
            Route::UpdateItem(id) => handlers::update_item(&self.store, id, body, headers).await,
            Route::DeleteItem(id) => handlers::delete_item(&self.store, id, headers).await,
            Route::Preflight => Ok(response::empty(StatusCode::NO_CONTENT)),
        }
    }
}
