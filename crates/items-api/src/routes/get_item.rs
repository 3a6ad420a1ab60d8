//! `GET /items/{id}`: one item (or its `fields=`) with its `ETag`, or 304 while the
//! client's copy is current.

use domain::DomainError;
use lambda_http::{
    Body, RequestExt, Response,
    http::{StatusCode, header},
};

use super::Call;
use crate::{
    ApiError, headers,
    projection::Projection,
    response::{self, with_header},
    store::ItemStore,
};

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    let projection = Projection::from_query(&call.request.query_string_parameters())?;
    let item = call
        .store
        .get(id, &projection)
        .await?
        .ok_or(DomainError::NotFound)?;
    let response = if headers::if_none_match(call.request.headers(), item.version())? {
        response::empty(StatusCode::NOT_MODIFIED)
    } else {
        response::json(StatusCode::OK, &item)
    };
    Ok(with_header(response, header::ETAG, &item.etag()))
}
