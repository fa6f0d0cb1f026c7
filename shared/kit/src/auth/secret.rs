//! The embedded-mode HS256 signing secret, kept in the data directory.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::TryRngCore;

/// Name of the secret file inside the data directory.
pub const SECRET_FILE_NAME: &str = "jwt-hs256.key";

/// Length in bytes of a generated secret.
const SECRET_LEN: usize = 32;

/// An HS256 signing secret (at least 32 bytes).
///
/// Deliberately has no `Display`, and its `Debug` prints `SecretKey(**redacted**)`, so it
/// cannot end up in logs by accident.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// A fresh random secret from the operating system's CSPRNG.
    pub fn generate() -> anyhow::Result<Self> {
        let mut bytes = vec![0u8; SECRET_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|err| anyhow::anyhow!("the operating system's random source failed: {err}"))?;
        Ok(Self(bytes))
    }

    /// Wraps raw secret bytes; rejects secrets shorter than 32 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Self> {
        if bytes.len() < SECRET_LEN {
            bail!("an HS256 secret needs at least {SECRET_LEN} bytes, got {}", bytes.len());
        }
        Ok(Self(bytes))
    }

    /// Parses the key-file format: standard base64, surrounding whitespace ignored.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD.decode(text.trim()).context("the HS256 secret is not valid base64")?;
        Self::from_bytes(bytes)
    }

    /// Reads a key file written by [`load_or_create_secret`] (or by hand, same format).
    pub fn read_file(path: &Path) -> anyhow::Result<Self> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the HS256 secret file {}", path.display()))?;
        warn_if_readable_by_others(path);
        Self::from_base64(&text).with_context(|| format!("bad HS256 secret file {}", path.display()))
    }

    /// The raw secret, for the signing and verifying keys of this module only.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }

    fn to_file_text(&self) -> String {
        let mut text = STANDARD.encode(&self.0);
        text.push('\n');
        text
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(**redacted**)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is released.
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

/// Loads the embedded-mode signing secret from `data_dir/jwt-hs256.key`, creating it on first
/// use: 32 random bytes, base64, file mode 0600 (and the directory, mode 0700, if missing).
///
/// Creation is atomic: the secret is written to a private temporary file and hard-linked into
/// place, so concurrent first starts agree on one key and never see a half-written file.
pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join(SECRET_FILE_NAME);
    if path.exists() {
        return SecretKey::read_file(&path);
    }
    create_dir_private(data_dir)?;
    let key = SecretKey::generate()?;
    let tmp = data_dir.join(format!(".{SECRET_FILE_NAME}.{}.tmp", uuid::Uuid::new_v4().simple()));
    write_private(&tmp, key.to_file_text().as_bytes())
        .with_context(|| format!("cannot write the HS256 secret file {}", tmp.display()))?;
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created the token signing secret");
            Ok(key)
        }
        // Someone else created it first: theirs wins.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => SecretKey::read_file(&path),
        // Filesystems without hard links: fall back to an exclusive create.
        Err(_) => match write_private(&path, key.to_file_text().as_bytes()) {
            Ok(()) => Ok(key),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => SecretKey::read_file(&path),
            Err(err) => Err(err).with_context(|| format!("cannot create the HS256 secret file {}", path.display())),
        },
    }
}

fn create_dir_private(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Creates `path` exclusively with mode 0600 and writes `contents` durably.
fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{mode:o}"),
                    "the token signing secret is readable by other users; chmod 600 it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TestDir(pub PathBuf);

    impl TestDir {
        pub(crate) fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "crm-kit-{tag}-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            Self(dir)
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn secret_file_is_created_private_and_reused() {
        let dir = TestDir::new("secret");
        let data_dir = dir.0.join("nested").join("data");
        let first = load_or_create_secret(&data_dir).expect("create");
        let path = data_dir.join(SECRET_FILE_NAME);
        assert!(path.is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "mode {mode:o}");
        }
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(STANDARD.decode(text.trim()).expect("base64").len(), 32);

        let second = load_or_create_secret(&data_dir).expect("reuse");
        assert_eq!(first.expose(), second.expose());
        // No temporary files left behind.
        let entries = fs::read_dir(&data_dir).expect("list").count();
        assert_eq!(entries, 1);
    }

    #[test]
    fn concurrent_first_calls_agree_on_one_secret() {
        let dir = TestDir::new("secret-race");
        let keys: Vec<SecretKey> = std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..4).map(|_| scope.spawn(|| load_or_create_secret(&dir.0).expect("load"))).collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        for key in &keys[1..] {
            assert_eq!(key.expose(), keys[0].expose());
        }
    }

    #[test]
    fn debug_is_redacted() {
        let key = SecretKey::from_bytes(vec![7u8; 32]).expect("key");
        assert_eq!(format!("{key:?}"), "SecretKey(**redacted**)");
    }

    #[test]
    fn short_or_garbled_secrets_are_rejected() {
        assert!(SecretKey::from_bytes(vec![1u8; 16]).is_err());
        assert!(SecretKey::from_base64("not base64 !!").is_err());
        assert!(SecretKey::from_base64(&STANDARD.encode([1u8; 32])).is_ok());
    }
}
