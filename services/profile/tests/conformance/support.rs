//! A profile server on port 0 over a fresh database of either backend, with typed clients.

use std::time::Duration;

use crm_kit::{
    auth::{Bearer, Role, SecretKey, TokenIssuer, TokenVerifier},
    config::Limits,
    db::{Db, DbConfig},
    paging::PageTokens,
    server::{Shutdown, ShutdownTrigger},
};
use crm_profile::ProfileDeps;
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
use tonic::{Status, service::interceptor::InterceptedService, transport::Channel};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub type Client = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// A running profile service.
pub struct TestApp {
    pub channel: Channel,
    pub db: Db,
    issuer: TokenIssuer,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

fn postgres_url() -> String {
    std::env::var("CRM_TEST_POSTGRES_URL").expect("CRM_TEST_POSTGRES_URL is set for postgres tests")
}

/// Replaces the database of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("url has a database path");
    format!("{base}/{name}")
}

impl TestApp {
    /// Starts a profile server on a fresh database and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("crm-test-{unique}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                (format!("sqlite:{}", dir.join("profile.db").display()), Cleanup::Dir(dir))
            }
            Backend::Postgres => {
                let admin_url = postgres_url();
                let name = format!("crm_t_{unique}");
                let admin =
                    Db::connect(&DbConfig { url: admin_url.clone(), max_connections: 2, ..DbConfig::default() })
                        .await
                        .expect("connect to PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(admin.writer())
                    .await
                    .expect("create test database");
                admin.close().await;
                (with_database(&admin_url, &name), Cleanup::Database { admin_url, name })
            }
        };
        let db = Db::connect_and_migrate(
            &DbConfig { url, max_connections: 8, ..DbConfig::default() },
            crm_profile::store::migrations(),
        )
        .await
        .expect("migrated database");
        let secret = SecretKey::generate().expect("secret");
        let issuer = TokenIssuer::new(&secret).expect("issuer");
        let verifier = TokenVerifier::from_secret(&secret, &Default::default()).expect("verifier");
        let deps = ProfileDeps {
            db: db.clone(),
            verifier,
            page_tokens: PageTokens::new(unique.as_bytes()),
            limits: Limits::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("addr");
        let (trigger, shutdown) = Shutdown::new();
        let server = tokio::spawn(crm_profile::serve(listener, deps, shutdown));
        let channel = Channel::from_shared(format!("http://{addr}")).expect("uri").connect_lazy();
        crm_kit::server::wait_serving(channel.clone(), crm_profile::SERVICE_NAME, Duration::from_secs(30))
            .await
            .expect("service became SERVING");
        Self { channel, db, issuer, trigger, server, cleanup }
    }

    /// A client acting as `role`/`subject`.
    pub fn client_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Client {
        let token = self.issuer.mint(subject, role, portfolio, Duration::from_secs(600)).expect("token");
        ClientProfileServiceClient::with_interceptor(self.channel.clone(), Bearer::new(&token).expect("header"))
    }

    pub fn admin(&self) -> Client {
        self.client_as(Role::Admin, "admin-1", None)
    }

    pub fn rm(&self, subject: &str) -> Client {
        self.client_as(Role::RelationshipManager, subject, None)
    }

    /// Stops the server (draining) and removes the database.
    pub async fn finish(self) {
        self.trigger.fire();
        self.server.await.expect("server task").expect("server ran cleanly");
        self.db.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(admin) =
                    Db::connect(&DbConfig { url: admin_url, max_connections: 1, ..DbConfig::default() }).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(admin.writer())
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}

/// The field violations of a status.
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

/// Declares a test once for each backend.
#[macro_export]
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                ($body)(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(crm_pg), ignore = "set CRM_TEST_POSTGRES_URL to run the PostgreSQL conformance suite")]
            async fn postgres() {
                let app = TestApp::spawn(Backend::Postgres).await;
                ($body)(&app).await;
                app.finish().await;
            }
        }
    };
}
