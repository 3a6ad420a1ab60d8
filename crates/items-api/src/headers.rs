//! The request headers this API reads: `If-Match`, `If-None-Match`, `Idempotency-Key`.

use crate::ApiError;
use lambda_http::http::HeaderMap;

use crate::store::Precondition;

/// The header `name` (looked up case-insensitively; errors name it as written here).
fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => {
            value
                .to_str()
                .map(|v| Some(v.trim()))
                .map_err(|_| ApiError::InvalidHeader {
                    header: name,
                    reason: "must be visible ASCII".into(),
                })
        }
    }
}

/// A version from an entity tag: `"3"` (the form we send), `W/"3"` when `weak` is allowed,
/// or a bare `3` (a common hand-typed form).
fn version_of(tag: &str, weak: bool) -> Option<u64> {
    let tag = if weak {
        tag.strip_prefix("W/").unwrap_or(tag)
    } else {
        tag
    };
    let unquoted = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    unquoted.parse().ok()
}

/// `If-Match`: `*` (must exist) or one strong ETag (must be that version).
pub fn if_match(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let Some(value) = header(headers, "If-Match")? else {
        return Ok(Precondition::None);
    };
    if value == "*" {
        return Ok(Precondition::Exists);
    }
    version_of(value, false)
        .map(Precondition::Version)
        .ok_or_else(|| ApiError::InvalidHeader {
            header: "If-Match",
            reason: "must be * or one ETag like \"3\"".into(),
        })
}

/// `If-None-Match` against the current version: true when the client's copy is current.
pub fn if_none_match(headers: &HeaderMap, current: u64) -> Result<bool, ApiError> {
    let Some(value) = header(headers, "If-None-Match")? else {
        return Ok(false);
    };
    if value == "*" {
        return Ok(true);
    }
    let mut matched = false;
    for tag in value.split(',').map(str::trim) {
        let version = version_of(tag, true).ok_or_else(|| ApiError::InvalidHeader {
            header: "If-None-Match",
            reason: "must be * or a list of ETags like \"3\"".into(),
        })?;
        matched |= version == current;
    }
    Ok(matched)
}

/// `Idempotency-Key`: 1..=255 visible ASCII characters, or absent.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    match header(headers, "Idempotency-Key")? {
        None => Ok(None),
        Some(key)
            if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key))
        }
        Some(_) => Err(ApiError::InvalidHeader {
            header: "Idempotency-Key",
            reason: "must be 1 to 255 visible ASCII characters".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), Precondition::None);
        assert_eq!(
            if_match(&with("if-match", "*")).unwrap(),
            Precondition::Exists
        );
        assert_eq!(
            if_match(&with("if-match", "\"7\"")).unwrap(),
            Precondition::Version(7)
        );
        assert_eq!(
            if_match(&with("if-match", "7")).unwrap(),
            Precondition::Version(7)
        );
        assert!(
            if_match(&with("if-match", "W/\"7\"")).is_err(),
            "weak tags never match If-Match"
        );
        assert!(if_match(&with("if-match", "\"abc\"")).is_err());
    }

    #[test]
    fn if_none_match_forms() {
        assert!(!if_none_match(&HeaderMap::new(), 1).unwrap());
        assert!(if_none_match(&with("if-none-match", "\"1\", W/\"2\""), 2).unwrap());
        assert!(!if_none_match(&with("if-none-match", "\"1\""), 2).unwrap());
        assert!(if_none_match(&with("if-none-match", "*"), 9).unwrap());
        assert!(if_none_match(&with("if-none-match", "nope"), 1).is_err());
    }

    #[test]
    fn idempotency_key_bounds() {
        assert_eq!(
            idempotency_key(&with("idempotency-key", "order-17")).unwrap(),
            Some("order-17")
        );
        assert!(idempotency_key(&with("idempotency-key", &"k".repeat(256))).is_err());
        assert!(idempotency_key(&with("idempotency-key", "has space")).is_err());
    }

    #[test]
    fn a_header_that_is_not_ascii_is_named_as_clients_write_it() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "idempotency-key",
            HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        match idempotency_key(&headers) {
            Err(ApiError::InvalidHeader { header, .. }) => assert_eq!(header, "Idempotency-Key"),
            other => panic!("{other:?}"),
        }
    }
}
