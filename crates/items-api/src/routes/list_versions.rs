//! `GET /items/{id}/versions`: one page of the item's history, newest first, with the signed
//! cursor of `GET /items` for the next page. Works after the item is deleted; an id without
//! history is 404. The history follows the table's stream, so a change shows here a second
//! or two after it is made.

use lambda_http::{Body, RequestExt, Response, http::StatusCode};
use serde::Serialize;

use super::Call;
use crate::{ApiError, query::PageQuery, response, store::ItemStore};

#[derive(Serialize)]
struct Version {
    version: u64,
    event: &'static str,
    at: String,
    changed_fields: Vec<String>,
}

#[derive(Serialize)]
struct VersionsBody {
    versions: Vec<Version>,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_key: Option<String>,
}

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    let query = PageQuery::parse(&call.request.query_string_parameters())?;
    // A cursor belongs to one item's history.
    let scope = format!("versions:{id}");
    let start = query
        .last_key
        .map(|token| call.cursors.decode(&token, &scope))
        .transpose()?;
    let page = call.store.versions(id, query.limit, start).await?;
    let versions: Vec<Version> = page
        .entries
        .into_iter()
        .map(|entry| Version {
            version: entry.version,
            event: entry.event.as_str(),
            at: entry.at,
            changed_fields: entry.changed_fields,
        })
        .collect();
    let body = VersionsBody {
        count: versions.len(),
        versions,
        last_key: page.next.map(|key| call.cursors.encode(&scope, &key)),
    };
    Ok(response::json(StatusCode::OK, &body))
}
