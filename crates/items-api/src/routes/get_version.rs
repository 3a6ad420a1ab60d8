//! `GET /items/{id}/versions/{version}`: one version as it was (for a deleted version, the
//! last image before the deletion), with a presigned URL of its archive object.

use std::time::SystemTime;

use domain::Item;
use lambda_http::{Body, Response, http::StatusCode};
use serde::Serialize;

use super::Call;
use crate::{ApiError, response, store::ItemStore};

#[derive(Serialize)]
struct VersionBody {
    version: u64,
    event: &'static str,
    at: String,
    item: Item,
    archive_url: String,
}

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    // Anything but a version number names no version.
    let version = call
        .param("version")?
        .parse::<u64>()
        .map_err(|_| ApiError::VersionNotFound)?;
    let entry = call
        .store
        .version(id, version)
        .await?
        .ok_or(ApiError::VersionNotFound)?;
    let image = entry
        .image
        .ok_or_else(|| ApiError::Internal("history entry without its item image".into()))?;
    let body = VersionBody {
        version: entry.version,
        event: entry.event.as_str(),
        at: entry.at,
        item: crate::store::decode_image(image)?,
        archive_url: call.archive.url(&entry.archive_key, SystemTime::now())?,
    };
    Ok(response::json(StatusCode::OK, &body))
}
