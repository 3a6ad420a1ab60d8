//! `OPTIONS` on a resource: the CORS preflight. API Gateway answers it itself (the
//! template's `Cors`), but a direct invoke of the function may not go through it.

use lambda_http::{Body, Response, http::StatusCode};

use super::Call;
use crate::{ApiError, response};

pub async fn handle<S>(_call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    Ok(response::empty(StatusCode::NO_CONTENT))
}
