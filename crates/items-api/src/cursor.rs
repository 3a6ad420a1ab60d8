//! The `last_key` cursor of `GET /items`: DynamoDB's LastEvaluatedKey made opaque and
//! tamper-evident. The token is `base64url(payload).base64url(mac)` where the payload
//! names the query it belongs to (its scope, e.g. `status=active`) and the mac is a
//! truncated HMAC-SHA256 under the service's cursor key. A token edited by hand, cut short,
//! signed with another key or taken from another query is refused with 400, never handed
//! to DynamoDB.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ApiError;

/// A table or index key: attribute name → string value (every key attribute of the
/// table and its indexes is a string).
pub type CursorKey = BTreeMap<String, String>;

const MAC_BYTES: usize = 16;
/// Well above any token of a key our items give (a 255-character id of 4-byte characters
/// and a 254-character e-mail, in the key and the scope: about 2 200 characters, over the
/// 2048 this was), and of most keys other tools' items give (a left-out item can end a
/// page); refused before any decoding or MAC work. API Gateway limits a request line to
/// about 10 KB anyway.
const MAX_TOKEN_CHARS: usize = 8192;

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    s: String,
    k: CursorKey,
}

/// Signs and checks cursors. Built once at start from the configured secret.
#[derive(Clone)]
pub struct CursorSigner {
    key: Vec<u8>,
}

impl CursorSigner {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: secret.to_vec(),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    pub fn encode(&self, scope: &str, key: &CursorKey) -> String {
        let payload = Payload {
            v: 1,
            s: scope.to_owned(),
            k: key.clone(),
        };
        let payload = serde_json::to_vec(&payload).expect("cursor payload serializes");
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
        )
    }

    /// The key inside `token`, if the token is intact, ours, and for the query `scope`.
    pub fn decode(&self, token: &str, scope: &str) -> Result<CursorKey, ApiError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(ApiError::InvalidCursor);
        }
        let (payload, tag) = token.split_once('.').ok_or(ApiError::InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| ApiError::InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        let mut mac = self.mac();
        mac.update(&payload);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(&tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        if tag.len() != MAC_BYTES {
            return Err(ApiError::InvalidCursor);
        }
        let payload: Payload =
            serde_json::from_slice(&payload).map_err(|_| ApiError::InvalidCursor)?;
        if payload.v != 1 || payload.s != scope {
            return Err(ApiError::InvalidCursor);
        }
        Ok(payload.k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(id: &str) -> CursorKey {
        CursorKey::from([
            ("id".to_string(), id.to_string()),
            ("status".to_string(), "active".to_string()),
            (
                "created_at".to_string(),
                "2024-03-25T05:00:00.000Z".to_string(),
            ),
        ])
    }

    #[test]
    fn round_trips_within_its_scope() {
        let signer = CursorSigner::new(b"secret");
        let token = signer.encode("status=active", &key("a"));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
        assert_eq!(signer.decode(&token, "status=active").unwrap(), key("a"));
    }

    /// The longest key our own items give, read back: was over the earlier 2048-character cap.
    #[test]
    fn the_longest_key_of_our_items_round_trips() {
        let signer = CursorSigner::new(b"secret");
        let id = "\u{1F600}".repeat(255);
        let labels = ["b".repeat(63), "c".repeat(63), "d".repeat(57)].join(".");
        let email = format!("{}@{labels}.com", "a".repeat(64));
        assert_eq!(email.len(), 254);
        assert!(domain::Email::parse(&email).is_ok() && domain::ItemId::parse(&id).is_ok());
        let scope = format!("email={email}&status=*");
        let key = CursorKey::from([("id".to_string(), id), ("email".to_string(), email)]);
        let token = signer.encode(&scope, &key);
        assert!(token.len() > 2048, "{}", token.len());
        assert_eq!(signer.decode(&token, &scope).unwrap(), key);
    }

    #[test]
    fn refuses_foreign_scope_and_foreign_key() {
        let signer = CursorSigner::new(b"secret");
        let token = signer.encode("status=active", &key("a"));
        assert!(signer.decode(&token, "status=archived").is_err());
        assert!(
            CursorSigner::new(b"other")
                .decode(&token, "status=active")
                .is_err()
        );
    }

    #[test]
    fn refuses_forged_payload_with_old_tag() {
        let signer = CursorSigner::new(b"secret");
        let token = signer.encode("status=active", &key("a"));
        let (_, tag) = token.split_once('.').unwrap();
        let forged = serde_json::to_vec(&Payload {
            v: 1,
            s: "status=active".into(),
            k: key("b"),
        });
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode(forged.unwrap()), tag);
        assert!(signer.decode(&forged, "status=active").is_err());
    }

    #[test]
    fn refuses_garbage() {
        let signer = CursorSigner::new(b"secret");
        for bad in ["", ".", "abc", "abc.def", "!!!.???", &"a".repeat(5000)] {
            assert!(
                matches!(signer.decode(bad, "s"), Err(ApiError::InvalidCursor)),
                "{bad}"
            );
        }
        let token = signer.encode("s", &key("a"));
        assert!(
            signer.decode(&token[..token.len() - 2], "s").is_err(),
            "short tag"
        );
    }

    proptest! {
        #[test]
        fn any_single_character_edit_is_detected(position in 0usize..200, replacement in "[A-Za-z0-9_.-]") {
            let signer = CursorSigner::new(b"secret");
            let token = signer.encode("status=active", &key("0f8fad5b-d9cb-469f-a165-70867728950e"));
            let position = position % token.len();
            let mut edited = token.clone().into_bytes();
            edited[position] = replacement.as_bytes()[0];
            let edited = String::from_utf8(edited).unwrap();
            prop_assume!(edited != token);
            prop_assert!(signer.decode(&edited, "status=active").is_err());
        }
    }
}
