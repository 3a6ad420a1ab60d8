//! `POST /items/{id}/restore`: a version from the history (body `{"version": n}`, or by
//! default the last version before the deletion) written back in one conditional write: a
//! deleted item is recreated (201, at the highest version so far + 1, `created_at` kept), an
//! existing one gets the version's fields as its next version (200, honouring `If-Match`).
//! With an `Idempotency-Key`, a retry is answered again instead of applied again.

use domain::{DomainError, FieldError, Timestamp};
use lambda_http::{
    Body, Response,
    http::{StatusCode, header},
};
use serde_json::Value;

use super::Call;
use crate::{
    ApiError, headers,
    response::{self, check_body_size, with_header},
    store::{ItemStore, RestoreMark, RestoreOutcome, RestoreRequest},
};

/// The body: empty, or an object with at most `version`, a whole number.
fn requested_version(body: &[u8]) -> Result<Option<u64>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| DomainError::InvalidJson)?;
    let invalid = |field: &str, reason: &str| -> ApiError {
        DomainError::Validation(vec![FieldError::new(field, reason)]).into()
    };
    let Value::Object(mut fields) = value else {
        return Err(invalid("body", "must be a JSON object"));
    };
    let version = fields.remove("version");
    if let Some(unknown) = fields.keys().next() {
        return Err(invalid(unknown, "unknown field: only version may be given"));
    }
    // `null` is not a version (the contract's `version` is an integer): refused, not taken for
    // "the last one", which would restore something else than a client with a bug meant.
    match version {
        None => Ok(None),
        Some(version) => version
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid("version", "must be a whole number ≥ 0")),
    }
}

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    let id = call.item_id()?;
    check_body_size(call.body())?;
    let precondition = headers::if_match(call.request.headers())?;
    let idempotency_key = headers::idempotency_key(call.request.headers())?;
    let version = requested_version(call.body())?;
    let request = RestoreRequest {
        version,
        precondition,
        mark: idempotency_key.map(|key| RestoreMark::new(call.caller, key, version)),
    };
    let outcome = call.store.restore(id, &request, Timestamp::now()).await?;
    let (item, created, replayed) = match outcome {
        RestoreOutcome::Recreated(item) => (item, true, false),
        RestoreOutcome::Rewritten(item) => (item, false, false),
        RestoreOutcome::Replayed { item, created } => (item, created, true),
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = with_header(response::json(status, &item), header::ETAG, &item.etag());
    if created {
        response = with_header(
            response,
            header::LOCATION,
            item_path(call.request.uri().path()),
        );
    }
    Ok(response::replayed_if(response, replayed))
}

/// The item's own path, stage prefix included: the restore's path without its one last
/// `/restore` (an item may be called `restore` itself).
fn item_path(restore_path: &str) -> &str {
    let path = restore_path.trim_end_matches('/');
    path.strip_suffix("/restore").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_is_the_item_path() {
        assert_eq!(item_path("/prod/items/a1/restore"), "/prod/items/a1");
        assert_eq!(item_path("/prod/items/a1/restore/"), "/prod/items/a1");
        assert_eq!(
            item_path("/prod/items/restore/restore"),
            "/prod/items/restore"
        );
    }

    #[test]
    fn the_body_is_optional_and_names_a_version_only() {
        assert_eq!(requested_version(b"").unwrap(), None);
        assert_eq!(requested_version(b" \n").unwrap(), None);
        assert_eq!(requested_version(b"{}").unwrap(), None);
        assert_eq!(requested_version(br#"{"version": 2}"#).unwrap(), Some(2));
        assert!(matches!(
            requested_version(b"{"),
            Err(ApiError::Domain(DomainError::InvalidJson))
        ));
        for bad in [
            &br#"{"version": -1}"#[..],
            br#"{"version": 1.5}"#,
            br#"{"version": "2"}"#,
            br#"{"version": null}"#,
            br#"{"version": 2, "name": "x"}"#,
            b"[2]",
        ] {
            assert!(
                matches!(
                    requested_version(bad),
                    Err(ApiError::Domain(DomainError::Validation(_)))
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
