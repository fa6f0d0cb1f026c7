//! Checkpoints of the chain's head, written outside the database: a file of JSON lines
//! (and the log). Each names the last record's sequence and hash at a moment and is itself
//! sealed with the audit key, so whoever can rewrite the database can neither cut the
//! chain's tail (a checkpoint names a record that is gone) nor rewrite it wholesale (a
//! checkpoint names a record whose hash changed) without being found by verification.

use std::{
    io::{BufRead as _, Write as _},
    path::Path,
    time::Duration,
};

use serde::{Deserialize, Serialize};

use super::AuditSeal;
use crate::{db::Db, server::Shutdown, time::now_micros};

/// How often a service checkpoints its chain's head (when it has changed).
pub const INTERVAL: Duration = Duration::from_secs(10);

/// One checkpoint line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last record's sequence.
    pub sequence: i64,
    /// Its hash.
    pub hash: String,
    /// When the checkpoint was taken (micros).
    pub time: i64,
    /// The key that sealed it.
    pub key_id: String,
    /// Its seal.
    pub mac: String,
}

impl Checkpoint {
    fn content(sequence: i64, hash: &str, time: i64) -> Vec<u8> {
        serde_json::json!(["checkpoint", sequence, hash, time]).to_string().into_bytes()
    }

    /// A sealed checkpoint of record `sequence` with `hash`.
    pub fn new(seal: &AuditSeal, sequence: i64, hash: &str) -> Self {
        let time = now_micros();
        let mac = seal.mac(&Self::content(sequence, hash, time));
        Self { sequence, hash: hash.to_owned(), time, key_id: seal.key_id().to_owned(), mac }
    }

    /// Whether `seal` sealed it as it reads.
    pub fn is_authentic(&self, seal: &AuditSeal) -> bool {
        self.key_id == seal.key_id() && seal.mac(&Self::content(self.sequence, &self.hash, self.time)) == self.mac
    }

    /// Every checkpoint in `path`, oldest first (none when the file does not exist).
    pub fn read_all(path: &Path) -> anyhow::Result<Vec<Self>> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        };
        std::io::BufReader::new(file)
            .lines()
            .filter(|line| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
            .map(|line| Ok(serde_json::from_str(&line?)?))
            .collect()
    }

    /// Appends it to `path` durably (created 0600 with its folder).
    pub fn append_to(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        writeln!(file, "{}", serde_json::to_string(self)?)?;
        file.sync_all()?;
        Ok(())
    }
}

/// Checkpoints `db`'s chain head every [`INTERVAL`] while it changes, and once more at
/// shutdown, to the seal's file and the log.
pub async fn run(db: Db, shutdown: Shutdown) {
    let path = db.seal().checkpoints().map(Path::to_path_buf);
    let mut last = path.as_deref().and_then(|p| Checkpoint::read_all(p).ok()).and_then(|all| all.last().cloned());
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(INTERVAL) => false,
            () = shutdown.cancelled() => true,
        };
        match take(&db, last.as_ref(), path.as_deref()).await {
            Ok(Some(taken)) => last = Some(taken),
            Ok(None) => {}
            Err(err) => crate::throttled!(1, warn!(error = %err, "could not checkpoint the audit trail")),
        }
        if stopping {
            return;
        }
    }
}

async fn take(db: &Db, last: Option<&Checkpoint>, path: Option<&Path>) -> anyhow::Result<Option<Checkpoint>> {
    let (sequence, hash): (i64, String) =
        sqlx::query_as("SELECT last_sequence, last_hash FROM audit_head WHERE id = 1").fetch_one(db.reader()).await?;
    if sequence == 0 || last.is_some_and(|l| l.sequence == sequence) {
        return Ok(None);
    }
    let checkpoint = Checkpoint::new(db.seal(), sequence, &hash);
    if let Some(path) = path {
        checkpoint.append_to(path)?;
    }
    tracing::info!(target: "audit", sequence, hash = %checkpoint.hash, mac = %checkpoint.mac, "audit checkpoint");
    Ok(Some(checkpoint))
}
