//! Field encryption at rest: the values a bank must not keep in clear in its database files
//! (tax ids, contact phones and e-mails) are sealed with XChaCha20-Poly1305 under a key held
//! outside the database; lookups by them go through a keyed hash (a blind index), so "find
//! the client with this phone" still works without the phone being stored.
//!
//! A sealed value is marked with a prefix no request can carry (requests refuse control
//! characters), so values written before encryption was on are read as they are, and
//! `crm reindex` seals them.

use std::{path::Path, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{ApiError, ApiResult};

/// Marks a sealed value: a control character (never in a request) and the format version.
const SEALED: &str = "\u{1}v1:";

/// Seals and opens field values, and computes their blind index. Cheap to clone; `Debug`
/// never shows the keys.
#[derive(Clone)]
pub struct FieldCipher {
    aead: Arc<XChaCha20Poly1305>,
    index_key: Arc<[u8]>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(**redacted**)")
    }
}

impl FieldCipher {
    /// A cipher from 64 bytes of key material: the first 32 seal, the last 32 index.
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(key.len() >= 64, "the field encryption key needs 64 bytes, got {}", key.len());
        let aead = XChaCha20Poly1305::new_from_slice(&key[..32]).map_err(|_| anyhow::anyhow!("bad key length"))?;
        Ok(Self { aead: Arc::new(aead), index_key: Arc::from(&key[32..64]) })
    }

    /// The cipher of the key file `path` (created with a random key, mode 0600, when
    /// `create` and it is missing).
    pub fn from_file(path: &Path, create: bool) -> anyhow::Result<Self> {
        let key = if create {
            crate::config::load_or_create_secret(path, 64)?
        } else {
            std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("reading the field encryption key {}: {e}", path.display()))?
        };
        Self::new(&key)
    }

    /// A cipher with a random key for the life of the process (tests).
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 64];
        rand::fill(&mut key[..]);
        Self::new(&key).unwrap_or_else(|_| unreachable!("64 bytes"))
    }

    /// `value` sealed (an empty value stays empty). `context` (e.g. `client.tax_id`) binds
    /// the ciphertext to its field: moved to another field, it does not open.
    pub fn seal(&self, context: &str, value: &str) -> String {
        if value.is_empty() || value.starts_with(SEALED) {
            return value.to_owned();
        }
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce[..]);
        let sealed = self
            .aead
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.as_bytes(), aad: context.as_bytes() })
            .unwrap_or_else(|_| unreachable!("encryption of a small value cannot fail"));
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{SEALED}{}", STANDARD_NO_PAD.encode(bytes))
    }

    /// The clear value of a sealed one (a value stored before encryption was on comes back
    /// as it is).
    pub fn open(&self, context: &str, stored: &str) -> ApiResult<String> {
        let Some(encoded) = stored.strip_prefix(SEALED) else { return Ok(stored.to_owned()) };
        let corrupt =
            || ApiError::internal(anyhow::anyhow!("a sealed {context} does not open with the configured key"));
        let bytes = STANDARD_NO_PAD.decode(encoded).map_err(|_| corrupt())?;
        if bytes.len() < 24 {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let clear = self
            .aead
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| corrupt())?;
        String::from_utf8(clear).map_err(|_| corrupt())
    }

    /// Whether `stored` is sealed.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED)
    }

    /// The blind index of `value` of `kind`: a keyed hash, equal for equal values, that
    /// reveals nothing without the key.
    pub fn blind(&self, kind: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).unwrap_or_else(|_| unreachable!("any length"));
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_in_their_field() {
        let cipher = FieldCipher::ephemeral();
        let sealed = cipher.seal("client.tax_id", "91310000MA1FL0XX12");
        assert!(FieldCipher::is_sealed(&sealed) && !sealed.contains("91310000"));
        assert_ne!(sealed, cipher.seal("client.tax_id", "91310000MA1FL0XX12"), "a fresh nonce each time");
        assert_eq!(cipher.open("client.tax_id", &sealed).expect("opens"), "91310000MA1FL0XX12");
        assert!(cipher.open("contact.phone", &sealed).is_err(), "bound to its field");
        assert!(FieldCipher::ephemeral().open("client.tax_id", &sealed).is_err(), "another key");
        assert_eq!(cipher.open("client.tax_id", "legacy-clear").expect("legacy"), "legacy-clear");
        assert_eq!(cipher.seal("client.tax_id", ""), "");
    }

    #[test]
    fn blind_indexes_match_equal_values_only() {
        let cipher = FieldCipher::ephemeral();
        assert_eq!(cipher.blind("phone", "+8613800138000"), cipher.blind("phone", "+8613800138000"));
        assert_ne!(cipher.blind("phone", "+8613800138000"), cipher.blind("email", "+8613800138000"));
        assert_ne!(cipher.blind("phone", "+8613800138000"), FieldCipher::ephemeral().blind("phone", "+8613800138000"));
    }
}
