//! Test support shared by every service's conformance suite: a fresh database on either
//! backend (removed afterwards), token minting, servers under test on free ports (the real
//! profile service among them), polling, and the details of a `Status`.
//!
//! A service suite declares each scenario once with [`conformance!`]; it runs on SQLite and,
//! when the crate is built with `CRM_TEST_POSTGRES_URL` set (cfg `crm_pg`, from the
//! service's build script), on PostgreSQL.
//!
//! What a test creates outside its process (databases, directories) is named after the
//! process, and what a crashed run left behind is removed by the next one (see [`scratch`]).

pub mod http;
mod profile;
pub mod scratch;
mod server;

use std::time::Duration;

use crm_kit::{
    auth::{Bearer, Role, SecretKey, TokenIssuer, TokenVerifier},
    db::{Db, DbConfig, Migrations},
    paging::PageTokens,
    peer::PeerAuth,
};
use tonic::Status;

pub use profile::{ProfileClient, TestProfile};
pub use scratch::scratch_dir;
pub use server::{
    POLL_TIMEOUT, SERVING_TIMEOUT, TestServer, channel, eventually, nowhere, poll_until, serving_channel, wait_serving,
};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file in a fresh temporary directory.
    Sqlite,
    /// A fresh database on the server of `CRM_TEST_POSTGRES_URL`.
    Postgres,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// A migrated database that is removed by [`TestDb::remove`].
pub struct TestDb {
    /// The pools.
    pub db: Db,
    cleanup: Cleanup,
}

/// Replaces the database of a PostgreSQL URL.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("url has a database path");
    format!("{base}/{name}")
}

impl TestDb {
    /// Creates and migrates a fresh database named after `file` (SQLite file name).
    ///
    /// The first PostgreSQL database of a process first drops the test databases that
    /// processes now gone left behind; likewise the first directory (see [`scratch`]).
    pub async fn create(backend: Backend, file: &str, migrations: Migrations) -> Self {
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = scratch_dir("db");
                (format!("sqlite:{}", dir.join(file).display()), Cleanup::Dir(dir))
            }
            Backend::Postgres => {
                let scratch = ScratchDatabase::create().await;
                (scratch.url.clone(), Cleanup::Database { admin_url: scratch.admin_url, name: scratch.name })
            }
        };
        let db = Db::connect_and_migrate(&DbConfig { url, max_connections: 8, ..DbConfig::default() }, migrations)
            .await
            .expect("migrated database");
        Self { db, cleanup }
    }

    /// Closes the pools and removes the database. A removal that fails is reported on
    /// stderr (the next test process removes the leftover), never silently dropped.
    pub async fn remove(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => {
                if let Err(err) = std::fs::remove_dir_all(&dir) {
                    scratch::report(&format!("cannot remove {}: {err}", dir.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                ScratchDatabase { url: String::new(), admin_url, name }.remove().await;
            }
        }
    }
}

/// An empty PostgreSQL database on the server of `CRM_TEST_POSTGRES_URL`, for a process
/// under test that migrates it itself (e.g. the `crm` binary); dropped by
/// [`ScratchDatabase::remove`], or by a later test run if this one dies first.
pub struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    /// Creates it; panics when `CRM_TEST_POSTGRES_URL` is unset or the server is unreachable.
    pub async fn create() -> Self {
        let admin_url = std::env::var("CRM_TEST_POSTGRES_URL")
            .expect("CRM_TEST_POSTGRES_URL is set (a PostgreSQL test was built with it)");
        let name = scratch::database_name();
        let admin = Db::connect(&DbConfig { url: admin_url.clone(), max_connections: 2, ..DbConfig::default() })
            .await
            .unwrap_or_else(|err| panic!("connect to PostgreSQL at CRM_TEST_POSTGRES_URL: {err:#}"));
        scratch::sweep_databases_once(&admin).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.writer())
            .await
            .expect("create test database");
        admin.close().await;
        Self { url: with_database(&admin_url, &name), admin_url, name }
    }

    /// Drops it (forcing out any session left). A drop that fails is reported on stderr
    /// (the next test process removes the leftover), never silently ignored.
    pub async fn remove(self) {
        let Self { admin_url, name, .. } = self;
        let dropped = async {
            let admin = Db::connect(&DbConfig { url: admin_url, max_connections: 1, ..DbConfig::default() }).await?;
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let dropped = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(admin.writer()).await;
            admin.close().await;
            anyhow::Ok(dropped?)
        };
        if let Err(err) = dropped.await {
            scratch::report(&format!("cannot drop test database {name}: {err:#}"));
        }
    }
}

/// A signing key with its issuer and verifier, for servers under test and their callers.
pub struct TestKeys {
    /// The raw key (e.g. for a service's own peer tokens).
    pub secret: SecretKey,
    /// Mints caller tokens.
    pub issuer: TokenIssuer,
    /// Given to the servers.
    pub verifier: TokenVerifier,
}

impl TestKeys {
    /// A fresh random key.
    pub fn new() -> Self {
        Self::from_secret(SecretKey::generate().expect("secret"))
    }

    /// The keys of `secret` (e.g. the key a suite under test created for itself).
    pub fn from_secret(secret: SecretKey) -> Self {
        let issuer = TokenIssuer::new(&secret).expect("issuer");
        let verifier = TokenVerifier::from_secret(&secret, &Default::default()).expect("verifier");
        Self { secret, issuer, verifier }
    }

    /// A token for `role` / `subject` (valid ten minutes).
    pub fn token(&self, role: Role, subject: &str, portfolio: Option<&str>) -> String {
        self.issuer.mint(subject, role, portfolio, Duration::from_secs(600)).expect("token")
    }

    /// A bearer interceptor for `role` / `subject` (valid ten minutes).
    pub fn bearer(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Bearer {
        Bearer::new(&self.token(role, subject, portfolio)).expect("header")
    }

    /// Peer credentials with which `service` calls the others (tokens minted with this key).
    pub fn peer_auth(&self, service: &str) -> PeerAuth {
        PeerAuth::minted(&self.secret, service).expect("peer auth")
    }
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// Page tokens signed with a fresh random key.
pub fn page_tokens() -> PageTokens {
    PageTokens::new(uuid::Uuid::new_v4().as_bytes())
}

/// The field paths of a status's BadRequest violations.
pub fn violations(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The ErrorInfo reason of a status.
pub fn reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status.get_details_error_info().map(|i| i.reason).unwrap_or_default()
}

/// Declares a scenario once for each backend: `conformance!(name, async |app: &TestApp| ..)`.
///
/// The calling module must have a `TestApp` with `async fn spawn(Backend) -> Self` and
/// `async fn finish(self)` in scope.
#[macro_export]
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn($crate::Backend::Sqlite).await;
                ($body)(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(crm_pg), ignore = "set CRM_TEST_POSTGRES_URL to run the PostgreSQL conformance suite")]
            async fn postgres() {
                let app = TestApp::spawn($crate::Backend::Postgres).await;
                ($body)(&app).await;
                app.finish().await;
            }
        }
    };
}
