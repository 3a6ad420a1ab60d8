//! `DELETE /items/{id}`: one conditional delete, honouring `If-Match`.

use lambda_http::{Body, Response, http::StatusCode};

use super::Call;
use crate::{ApiError, headers, response, store::ItemStore};

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    let precondition = headers::if_match(call.request.headers())?;
    call.store.delete(id, precondition).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}
