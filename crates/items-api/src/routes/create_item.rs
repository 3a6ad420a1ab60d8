//! `POST /items`: a new item (201 + `Location` + `ETag`); with an `Idempotency-Key` its id
//! is derived from the caller and the key, so a retry meets the first attempt.

use domain::{DomainError, ItemId, NewItem, Timestamp};
use lambda_http::{
    Body, Response,
    http::{StatusCode, header},
};

use super::Call;
use crate::{
    ApiError, headers,
    response::{self, check_body_size, with_header},
    store::{CreateOutcome, ItemStore},
};

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    check_body_size(call.body())?;
    let idempotency_key = headers::idempotency_key(call.request.headers())?;
    let new_item = NewItem::parse(call.body())?;
    let (id, fingerprint) = match idempotency_key {
        // Same caller + same key → same id, so a retry collides with the first attempt.
        Some(key) => (
            ItemId::from_idempotency_key(call.caller, key),
            Some(new_item.fingerprint()),
        ),
        None => (ItemId::new_random(), None),
    };
    let item = new_item.into_item(id, Timestamp::now());
    let (item, replayed) = match call.store.create(&item, fingerprint.as_deref()).await? {
        CreateOutcome::Created(item) => (item, false),
        CreateOutcome::Existing {
            item,
            fingerprint: stored,
        } if stored.is_some() && stored == fingerprint => (item, true),
        CreateOutcome::Existing { .. } if fingerprint.is_some() => {
            return Err(DomainError::IdempotencyKeyReused.into());
        }
        CreateOutcome::Existing { .. } => {
            return Err(ApiError::Internal("random item id collided".into()));
        }
    };
    // The path the client posted to, stage prefix included, so `Location` is right both
    // behind API Gateway (`/prod/items/…`) and locally.
    let collection_path = call.request.uri().path();
    let location = format!("{}/{}", collection_path.trim_end_matches('/'), item.id);
    let mut response = response::json(StatusCode::CREATED, &item);
    response = with_header(response, header::LOCATION, &location);
    response = with_header(response, header::ETAG, &item.etag());
    Ok(response::replayed_if(response, replayed))
}
