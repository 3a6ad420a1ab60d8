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
    let entry = match call.param("version")?.parse::<u64>() {
        Ok(version) => call.store.version(id.clone(), version).await?,
        Err(_) => None,
    };
    let Some(entry) = entry else {
        return Err(not_found(&call, id).await);
    };
    let archive_url = call.archive.url(&entry.archive_key, SystemTime::now())?;
    let (version, event, at) = (entry.version, entry.event.as_str(), entry.at.clone());
    let body = VersionBody {
        version,
        event,
        at,
        item: crate::store::decode_image(entry.into_image()?)?,
        archive_url,
    };
    Ok(response::json(StatusCode::OK, &body))
}

/// No such version: 404 `VERSION_NOT_FOUND` when the id has a history, `ITEM_NOT_FOUND` when
/// it has none (as `GET /items/{id}/versions` answers). One more read, on this path only.
async fn not_found<S: ItemStore>(call: &Call<'_, S>, id: domain::ItemId) -> ApiError {
    match call.store.versions(id, 1, None).await {
        Ok(_) => ApiError::VersionNotFound,
        Err(error) => error,
    }
}
