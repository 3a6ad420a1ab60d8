//! `GET /items`: one page of a status (CreatedAtIndex) or an e-mail (EmailIndex), newest
//! first, with a signed cursor for the next page. A stored item that cannot be represented
//! never breaks a page: it is left out, logged, and counted.

use lambda_http::{Body, RequestExt, Response, http::StatusCode};
use serde::Serialize;

use super::Call;
use crate::{ApiError, projection::ItemView, query::ListQuery, response, store::ItemStore};

#[derive(Serialize)]
struct ListBody {
    items: Vec<ItemView>,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_key: Option<String>,
}

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let query = ListQuery::parse(&call.request.query_string_parameters())?;
    let scope = query.filter.scope();
    let start = query
        .last_key
        .map(|token| call.cursors.decode(&token, &scope))
        .transpose()?;
    let page = call
        .store
        .list(&query.filter, query.limit, start, &query.projection)
        .await?;
    if page.left_out > 0 {
        // What template.yaml's metric filter counts (`ItemsLeftOut`).
        tracing::warn!(
            left_out = page.left_out,
            "list page served without stored items that cannot be represented"
        );
    }
    let body = ListBody {
        count: page.items.len(),
        items: page.items,
        last_key: page.next.map(|key| call.cursors.encode(&scope, &key)),
    };
    Ok(response::json(StatusCode::OK, &body))
}
