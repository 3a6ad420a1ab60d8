//! `GET /items/{id}`: one item with its `ETag`, or 304 while the client's copy is current.

use domain::DomainError;
use lambda_http::{
    Body, Response,
    http::{StatusCode, header},
};

use super::Call;
use crate::{
    ApiError, headers,
    response::{self, with_header},
    store::ItemStore,
};

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    let item = call.store.get(id).await?.ok_or(DomainError::NotFound)?;
    let response = if headers::if_none_match(call.request.headers(), item.version)? {
        response::empty(StatusCode::NOT_MODIFIED)
    } else {
        response::json(StatusCode::OK, &item)
    };
    Ok(with_header(response, header::ETAG, &item.etag()))
}
