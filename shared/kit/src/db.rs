//! Database pools and migrations for both backends behind `sqlx::Any`.
//!
//! One SQL body serves SQLite (embedded default) and PostgreSQL (scale-out). SQLite runs in
//! WAL mode with one writer connection and a pool of readers, so writers queue in-process
//! instead of failing with SQLITE_BUSY; PostgreSQL uses one pool for both.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use sqlx::{
    AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::Migrator,
};

/// Which SQL engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Detects the backend from a `sqlite:` or `postgres://` URL.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite: or postgres://)")
        }
    }

    /// Lower-case name, for logs and test reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A service's migrations for each backend (`sqlx::migrate!` of its two folders).
#[derive(Debug)]
pub struct Migrations {
    /// SQLite dialect.
    pub sqlite: Migrator,
    /// PostgreSQL dialect.
    pub postgres: Migrator,
}

/// The [`Migrations`] of the crate this expands in: its `migrations/sqlite` and
/// `migrations/postgres` folders (`sqlx::migrate!` resolves paths against the crate being
/// compiled, which must depend on `sqlx`).
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::db::Migrations {
            sqlite: ::sqlx::migrate!("migrations/sqlite"),
            postgres: ::sqlx::migrate!("migrations/postgres"),
        }
    };
}

/// Pool settings of one service database.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DbConfig {
    /// The database's name in metrics (`profile`); empty: `db`.
    pub name: String,
    /// `sqlite:/path/file.db` or `postgres://user@host/db`. Never logged.
    pub url: String,
    /// Maximum reader connections (PostgreSQL: total connections).
    pub max_connections: u32,
    /// How long a request waits for a connection before UNAVAILABLE.
    pub acquire_timeout_ms: u64,
    /// The seal of this database's audit trail (a random one for the process when unset).
    #[serde(skip)]
    pub audit: Option<crate::audit::AuditSeal>,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self { name: String::new(), url: String::new(), max_connections: 8, acquire_timeout_ms: 5_000, audit: None }
    }
}

/// A service's database: a writer pool and a reader pool (the same pool on PostgreSQL).
#[derive(Clone, Debug)]
pub struct Db {
    name: std::sync::Arc<str>,
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    seal: crate::audit::AuditSeal,
}

impl Db {
    /// Connects (creating the SQLite file if missing) without migrating.
    pub async fn connect(cfg: &DbConfig) -> anyhow::Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(&cfg.url)?;
        let timeout = Duration::from_millis(cfg.acquire_timeout_ms);
        let seal = cfg.audit.clone().unwrap_or_else(crate::audit::AuditSeal::ephemeral);
        let name: std::sync::Arc<str> = if cfg.name.is_empty() { "db".into() } else { cfg.name.as_str().into() };
        let db = match backend {
            Backend::Postgres => {
                // No ping before each acquire: it is a round trip per statement; a connection
                // the server dropped fails its statement and is discarded by the pool.
                let pool = AnyPoolOptions::new()
                    .max_connections(cfg.max_connections.max(2))
                    .test_before_acquire(false)
                    .acquire_timeout(timeout)
                    .connect(&cfg.url)
                    .await
                    .context("connecting to PostgreSQL")?;
                Self { name, backend, writer: pool.clone(), reader: pool, seal }
            }
            Backend::Sqlite => {
                restrict_sqlite_file(&cfg.url)?;
                let url = sqlite_url(&cfg.url);
                let writer = sqlite_pool(&url, 1, timeout, WRITER_PRAGMAS).await?;
                // WAL is a property of the file: set once by the writer, seen by readers.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                let reader = sqlite_pool(&url, cfg.max_connections.max(1), timeout, "").await?;
                Self { name, backend, writer, reader, seal }
            }
        };
        if db.backend == Backend::Postgres {
            crate::metrics::register_pool(&db.name, "pool", &db.writer);
        } else {
            crate::metrics::register_pool(&db.name, "writer", &db.writer);
            crate::metrics::register_pool(&db.name, "reader", &db.reader);
        }
        Ok(db)
    }

    /// Connects and applies the kit's and the service's migrations.
    pub async fn connect_and_migrate(cfg: &DbConfig, service: Migrations) -> anyhow::Result<Self> {
        let db = Self::connect(cfg).await?;
        db.migrate(service).await?;
        Ok(db)
    }

    /// Applies the kit's tables (versions below 1000), then the service's (1000 and up).
    pub async fn migrate(&self, service: Migrations) -> anyhow::Result<()> {
        let (mut kit, mut own) = match self.backend {
            Backend::Sqlite => (sqlx::migrate!("migrations/sqlite"), service.sqlite),
            Backend::Postgres => (sqlx::migrate!("migrations/postgres"), service.postgres),
        };
        // Each migrator sees the other's versions as "missing": that is expected here.
        kit.set_ignore_missing(true);
        own.set_ignore_missing(true);
        kit.run(&self.writer).await.context("applying kit migrations")?;
        own.run(&self.writer).await.context("applying service migrations")?;
        Ok(())
    }

    /// The database's name in metrics and spans (`profile`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `statement` (a future running one of the kit's statements), recording its
    /// latency as `crm_db_statement_seconds{db, statement}`.
    pub async fn timed<T>(&self, statement: &'static str, run: impl std::future::Future<Output = T>) -> T {
        let start = std::time::Instant::now();
        let out = run.await;
        ::metrics::histogram!("crm_db_statement_seconds", "db" => self.name.to_string(), "statement" => statement)
            .record(crate::metrics::seconds_since(start));
        out
    }

    /// Which engine this is, for the few statements whose dialect differs.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The seal of this database's audit trail.
    pub fn seal(&self) -> &crate::audit::AuditSeal {
        &self.seal
    }

    /// Pool for transactions that write.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so that two processes can never deadlock upgrading a read lock.
    ///
    /// The wait for the connection and the write lock is `crm_db_acquire_seconds`.
    pub async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        let start = std::time::Instant::now();
        let (pool, tx) = match self.backend {
            Backend::Sqlite => ("writer", self.writer.begin_with("BEGIN IMMEDIATE").await),
            Backend::Postgres => ("pool", self.writer.begin().await),
        };
        ::metrics::histogram!("crm_db_acquire_seconds", "db" => self.name.to_string(), "pool" => pool)
            .record(crate::metrics::seconds_since(start));
        tx
    }

    /// Whether the database answers a trivial query (for health checks).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// Decodes the `doc` column of a row: records are stored as encoded protobuf.
pub fn doc<M: prost::Message + Default>(row: &sqlx::any::AnyRow) -> crate::ApiResult<M> {
    let bytes: Vec<u8> = sqlx::Row::try_get(row, "doc")?;
    M::decode(bytes.as_slice())
        .map_err(|err| crate::ApiError::internal(anyhow::anyhow!("corrupt stored record: {err}")))
}

/// Decodes the `doc` column of every row.
pub fn docs<M: prost::Message + Default>(rows: &[sqlx::any::AnyRow]) -> crate::ApiResult<Vec<M>> {
    rows.iter().map(doc).collect()
}

/// The file of a `sqlite:` URL (`None` for an in-memory database).
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite:")?;
    let path = path.strip_prefix("//").unwrap_or(path);
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Creates the database file readable by its owner only (0600), or restricts an existing
/// one: it holds client data. SQLite gives its WAL and shared-memory files the same mode.
fn restrict_sqlite_file(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_path(url) else { return Ok(()) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
        for suffix in ["-wal", "-shm"] {
            let side = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("restricting {}", side.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Adds `mode=rwc` so SQLite creates the file on first start.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The single writer keeps more pages cached (index inserts into large tables) and
/// checkpoints the WAL every 64 MiB instead of every 4 MiB.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -524288; PRAGMA wal_autocheckpoint = 16384;";

async fn sqlite_pool(url: &str, max: u32, timeout: Duration, extra: &'static str) -> anyhow::Result<AnyPool> {
    // A local file's connection cannot go stale: no ping (a hop to its worker thread and
    // back) before each acquire.
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
                     PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 268435456;",
                )
                .await?;
                if !extra.is_empty() {
                    conn.execute(extra).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("opening SQLite database")?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_backends_and_rejects_others() {
        assert_eq!(Backend::from_url("sqlite:/tmp/x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgres://u@h/db").ok(), Some(Backend::Postgres));
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn sqlite_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("crm-db-mode-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("p.db");
        let cfg = DbConfig { url: format!("sqlite:{}", file.display()), ..DbConfig::default() };
        let db = Db::connect(&cfg).await.expect("connect");
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(db.writer()).await.expect("write");
        for path in [file.clone(), dir.join("p.db-wal"), dir.join("p.db-shm")] {
            let mode = std::fs::metadata(&path).expect("exists").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path("sqlite:/d/p.db?mode=rwc"), Some("/d/p.db".into()));
        assert_eq!(sqlite_path("sqlite:///d/p.db"), Some("/d/p.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn sqlite_url_gets_create_mode_once() {
        assert_eq!(sqlite_url("sqlite:/d/p.db"), "sqlite:/d/p.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite:/d/p.db?mode=ro"), "sqlite:/d/p.db?mode=ro");
    }
}
