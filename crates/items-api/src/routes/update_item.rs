//! `PUT /items/{id}`: a partial update in one conditional write, honouring `If-Match`.

use domain::{ItemPatch, Timestamp};
use lambda_http::{
    Body, Response,
    http::{StatusCode, header},
};

use super::Call;
use crate::{
    ApiError, headers,
    response::{self, check_body_size, with_header},
    store::ItemStore,
};

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    check_body_size(call.body())?;
    let precondition = headers::if_match(call.request.headers())?;
    let patch = ItemPatch::parse(call.body())?;
    let item = call
        .store
        .update(id, &patch, precondition, Timestamp::now())
        .await?;
    Ok(with_header(
        response::json(StatusCode::OK, &item),
        header::ETAG,
        &item.etag(),
    ))
}
