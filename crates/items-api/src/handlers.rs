//! One function per route. Each takes what it needs (already routed and typed) and
//! returns a response or a [`ServiceError`]; turning errors into HTTP is not their job.

use domain::{CursorSigner, ItemId, ItemPatch, NewItem, ServiceError, Timestamp};
use lambda_http::{
    Body, Response,
    http::{HeaderMap, StatusCode, header},
};
use serde::Serialize;

use crate::{
    headers,
    query::ListQuery,
    response::{self, with_header},
    store::{CreateOutcome, ItemStore},
};

/// Larger bodies are refused with 413 before parsing. An item is far smaller: the
/// largest valid one is about 25 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn check_body_size(body: &[u8]) -> Result<(), ServiceError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ServiceError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(())
}

#[derive(Serialize)]
struct ListBody {
    items: Vec<domain::Item>,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_key: Option<String>,
}

pub async fn list_items(
    store: &impl ItemStore,
    cursors: &CursorSigner,
    query: ListQuery,
) -> Result<Response<Body>, ServiceError> {
    let scope = query.filter.scope();
    let start = query
        .last_key
        .map(|token| cursors.decode(&token, &scope))
        .transpose()?;
    let page = store.list(&query.filter, query.limit, start).await?;
    let body = ListBody {
        count: page.items.len(),
        items: page.items,
        last_key: page.next.map(|key| cursors.encode(&scope, &key)),
    };
    Ok(response::json(StatusCode::OK, &body))
}

pub async fn get_item(
    store: &impl ItemStore,
    id: ItemId,
    request_headers: &HeaderMap,
) -> Result<Response<Body>, ServiceError> {
    let item = store.get(id).await?.ok_or(ServiceError::NotFound)?;
    let response = if headers::if_none_match(request_headers, item.version)? {
        response::empty(StatusCode::NOT_MODIFIED)
    } else {
        response::json(StatusCode::OK, &item)
    };
    Ok(with_header(response, header::ETAG, &item.etag()))
}

/// `collection_path` is the path the client posted to, stage prefix included, so
/// `Location` is right both behind API Gateway (`/prod/items/…`) and locally.
pub async fn create_item(
    store: &impl ItemStore,
    body: &[u8],
    request_headers: &HeaderMap,
    caller: &str,
    collection_path: &str,
) -> Result<Response<Body>, ServiceError> {
    check_body_size(body)?;
    let idempotency_key = headers::idempotency_key(request_headers)?;
    let new_item = NewItem::parse(body)?;
    let (id, fingerprint) = match idempotency_key {
        // Same caller + same key → same id, so a retry collides with the first attempt.
        Some(key) => (
            ItemId::from_idempotency_key(caller, key),
            Some(new_item.fingerprint()),
        ),
        None => (ItemId::new_random(), None),
    };
    let item = new_item.into_item(id, Timestamp::now());
    let (item, replayed) = match store.create(&item, fingerprint.as_deref()).await? {
        CreateOutcome::Created(item) => (item, false),
        CreateOutcome::Existing {
            item,
            fingerprint: stored,
        } if stored.is_some() && stored == fingerprint => (item, true),
        CreateOutcome::Existing { .. } if fingerprint.is_some() => {
            return Err(ServiceError::IdempotencyKeyReused);
        }
        CreateOutcome::Existing { .. } => {
            return Err(ServiceError::Internal("random item id collided".into()));
        }
    };
    let location = format!("{}/{}", collection_path.trim_end_matches('/'), item.id);
    let mut response = response::json(StatusCode::CREATED, &item);
    response = with_header(response, header::LOCATION, &location);
    response = with_header(response, header::ETAG, &item.etag());
    if replayed {
        response = with_header(
            response,
            header::HeaderName::from_static("idempotent-replayed"),
            "true",
        );
    }
    Ok(response)
}

pub async fn update_item(
    store: &impl ItemStore,
    id: ItemId,
    body: &[u8],
    request_headers: &HeaderMap,
) -> Result<Response<Body>, ServiceError> {
    check_body_size(body)?;
    let precondition = headers::if_match(request_headers)?;
    let patch = ItemPatch::parse(body)?;
    let item = store
        .update(id, &patch, precondition, Timestamp::now())
        .await?;
    Ok(with_header(
        response::json(StatusCode::OK, &item),
        header::ETAG,
        &item.etag(),
    ))
}

pub async fn delete_item(
    store: &impl ItemStore,
    id: ItemId,
    request_headers: &HeaderMap,
) -> Result<Response<Body>, ServiceError> {
    let precondition = headers::if_match(request_headers)?;
    store.delete(id, precondition).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}
