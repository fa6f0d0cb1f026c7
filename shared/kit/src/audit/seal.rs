//! The key that seals the audit chain. Each record's hash is an HMAC-SHA256, under a key
//! held outside the database, of the record and its predecessor's hash: someone who can
//! write the database but not read the key can neither edit a record and re-hash the rest
//! nor forge a record. The key's id (a hash of the key) is stored with each record, so a
//! verifier knows which key sealed it. Records written before the trail was keyed carry no
//! key id and a plain SHA-256.

use std::{path::PathBuf, sync::Arc};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The audit key and where the chain's head is checkpointed. Cheap to clone; `Debug` never
/// shows the key.
#[derive(Clone)]
pub struct AuditSeal {
    key: Arc<[u8]>,
    key_id: String,
    checkpoints: Option<PathBuf>,
}

impl std::fmt::Debug for AuditSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSeal").field("key_id", &self.key_id).field("checkpoints", &self.checkpoints).finish()
    }
}

impl AuditSeal {
    /// A seal with `key`, checkpointing to the file `checkpoints` (JSON lines) if given.
    pub fn new(key: &[u8], checkpoints: Option<PathBuf>) -> Self {
        let key_id = hex(&Sha256::digest(key)[..8]);
        Self { key: Arc::from(key), key_id, checkpoints }
    }

    /// A seal with a random key that lives as long as the process (tests, tools): what it
    /// seals cannot be verified after a restart.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key[..]);
        Self::new(&key, None)
    }

    /// The id stored with each record it seals.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The file the chain's head is checkpointed to.
    pub fn checkpoints(&self) -> Option<&std::path::Path> {
        self.checkpoints.as_deref()
    }

    /// The keyed hash of `content` (hex).
    pub fn mac(&self, content: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(content);
        hex(&mac.finalize().into_bytes())
    }
}

/// The plain SHA-256 of records written before the trail was keyed (hex).
pub fn legacy_hash(content: &[u8]) -> String {
    hex(&Sha256::digest(content))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
