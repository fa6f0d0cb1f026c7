//! AIP-158 pagination: page sizes and signed, opaque keyset page tokens.
//!
//! A token carries the last key of the page it ends and a fingerprint of the query that
//! produced it, signed with HMAC-SHA256. A tampered token, or one reused with another
//! filter or order, is INVALID_ARGUMENT on `page_token`.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Serialize, de::DeserializeOwned};
use sha2::Sha256;

use crate::error::{ApiError, ApiResult};

/// Default page size when the request says 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page size honoured.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Validates `page_size`: 0 → default, above max → max, negative → INVALID_ARGUMENT.
pub fn page_size(requested: i32) -> ApiResult<usize> {
    match usize::try_from(requested) {
        Err(_) => Err(ApiError::invalid("page_size", "page_size must not be negative")),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
    }
}

/// Signs and verifies page tokens.
#[derive(Clone)]
pub struct PageTokens {
    key: Arc<[u8]>,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageTokens(**redacted**)")
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<C> {
    q: String,
    c: C,
}

impl PageTokens {
    /// Uses `key` (at least 32 bytes recommended) to sign tokens.
    pub fn new(key: &[u8]) -> Self {
        Self { key: Arc::from(key) }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("hmac takes any key length"))
    }

    /// Encodes `cursor` for the query identified by `query`.
    pub fn encode<C: Serialize>(&self, query: &str, cursor: &C) -> String {
        let body = serde_json::to_vec(&Envelope { q: query.to_owned(), c: cursor }).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&body);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&body), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The cursor of a request's `page_token`: `None` when it is empty (the first page),
    /// else [`PageTokens::decode`].
    pub fn cursor<C: DeserializeOwned>(&self, query: &str, token: &str) -> ApiResult<Option<C>> {
        if token.is_empty() { Ok(None) } else { self.decode(query, token).map(Some) }
    }

    /// Decodes a token made by [`PageTokens::encode`] for the same `query`.
    pub fn decode<C: DeserializeOwned>(&self, query: &str, token: &str) -> ApiResult<C> {
        let invalid = || ApiError::invalid("page_token", "page_token is malformed or was not issued by this service");
        let (body, tag) = token.split_once('.').ok_or_else(invalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(&body);
        mac.verify_slice(&tag).map_err(|_| invalid())?;
        let envelope: Envelope<C> = serde_json::from_slice(&body).map_err(|_| invalid())?;
        if envelope.q != query {
            return Err(ApiError::invalid(
                "page_token",
                "page_token belongs to a different query; keep filter, order_by and show_deleted unchanged while paging",
            ));
        }
        Ok(envelope.c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_caps_and_rejects_negative() {
        assert_eq!(page_size(0).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7).ok(), Some(7));
        assert_eq!(page_size(5_000).ok(), Some(MAX_PAGE_SIZE));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering_and_other_queries() {
        let tokens = PageTokens::new(b"0123456789abcdef0123456789abcdef");
        let token = tokens.encode("q1", &("Acme", 42_i64));
        assert_eq!(tokens.decode::<(String, i64)>("q1", &token).ok(), Some(("Acme".to_owned(), 42)));
        assert!(tokens.decode::<(String, i64)>("q2", &token).is_err());
        let mut tampered = token.clone();
        tampered.insert(1, 'x');
        assert!(tokens.decode::<(String, i64)>("q1", &tampered).is_err());
        let other = PageTokens::new(b"another key entirely, 32 bytes!!");
        assert!(other.decode::<(String, i64)>("q1", &token).is_err());
    }
}
