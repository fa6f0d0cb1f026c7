//! What every command that touches the suite's state needs: keys and databases.

use anyhow::Context as _;
use crm_gateway::GatewayDeps;
use crm_kit::{
    auth::{self, TokenVerifier},
    config::{Config, load_or_create_secret},
    db::Db,
    paging::PageTokens,
};
use crm_profile::ProfileDeps;

/// SQLite file of the profile service in the data directory.
pub const PROFILE_DB_FILE: &str = "profile.db";

/// Token verifier: the embedded HS256 key in the data directory unless a key file is configured.
pub fn verifier(config: &Config) -> anyhow::Result<TokenVerifier> {
    if config.auth.key_file.is_none() && config.auth.algorithm.eq_ignore_ascii_case("HS256") {
        let secret = auth::load_or_create_secret(&config.data_dir)?;
        TokenVerifier::from_secret(&secret, &config.auth)
    } else {
        TokenVerifier::from_config(&config.auth)
    }
}

/// Page-token signing key (`page-token.key` in the data directory; share it across replicas).
pub fn page_tokens(config: &Config) -> anyhow::Result<PageTokens> {
    let key = load_or_create_secret(&config.data_dir.join("page-token.key"), 32)?;
    Ok(PageTokens::new(&key))
}

/// Opens and migrates the profile database.
pub async fn profile_db(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let db_config = config.database(&config.profile, PROFILE_DB_FILE);
    Db::connect_and_migrate(&db_config, crm_profile::store::migrations()).await.context("profile database")
}

/// Everything the profile service needs.
pub async fn profile_deps(config: &Config) -> anyhow::Result<ProfileDeps> {
    Ok(ProfileDeps {
        db: profile_db(config).await?,
        verifier: verifier(config)?,
        page_tokens: page_tokens(config)?,
        limits: config.limits.clone(),
    })
}

/// Everything the gateway needs; with `profile_addr`, its profile backend is pointed at the
/// address the profile service actually bound (`crm up`).
pub fn gateway_deps(config: &Config, profile_addr: Option<std::net::SocketAddr>) -> anyhow::Result<GatewayDeps> {
    let mut gateway = config.gateway.clone();
    if let Some(addr) = profile_addr {
        let host =
            if addr.ip().is_unspecified() { std::net::SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr };
        for backend in gateway.backends.values_mut() {
            if backend.services.iter().any(|s| s == crm_profile::SERVICE_NAME) {
                backend.url = format!("http://{host}");
            }
        }
    }
    Ok(GatewayDeps { config: gateway, verifier: verifier(config)?, limits: config.limits.clone() })
}

/// `crm migrate`: creates or upgrades every service database.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = profile_db(config).await?;
    tracing::info!(backend = db.backend().as_str(), "profile database is up to date");
    db.close().await;
    Ok(())
}
