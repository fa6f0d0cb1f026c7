//! What every command that touches the suite's state needs: keys, databases, peers, and the
//! dependencies of each service.

use std::net::SocketAddr;

use anyhow::Context as _;
use crm_gateway::GatewayDeps;
use crm_interaction::InteractionDeps;
use crm_kit::{
    auth::{self, TokenVerifier},
    config::{Config, ServiceConfig, load_or_create_secret},
    db::{Db, Migrations},
    paging::PageTokens,
    peer::{self, PeerAuth},
    relay::StreamFollow,
};
use crm_profile::ProfileDeps;
use crm_scoring::ScoringDeps;
use crm_segmentation::SegmentationDeps;

/// SQLite file of the profile service in the data directory.
pub const PROFILE_DB_FILE: &str = "profile.db";
const SEGMENTATION_DB_FILE: &str = "segmentation.db";
const SCORING_DB_FILE: &str = "scoring.db";
const INTERACTION_DB_FILE: &str = "interaction.db";

/// Where a service's settings are in the configuration.
pub type ServiceOf = fn(&Config) -> &ServiceConfig;

/// Every service database: its service's short name, its configuration, its file in the
/// data directory.
pub const DATABASES: [(&str, ServiceOf, &str); 4] = [
    ("profile", |c| &c.profile, PROFILE_DB_FILE),
    ("segmentation", |c| &c.segmentation, SEGMENTATION_DB_FILE),
    ("scoring", |c| &c.scoring, SCORING_DB_FILE),
    ("interaction", |c| &c.interaction, INTERACTION_DB_FILE),
];

/// Token verifier: the embedded HS256 key in the data directory unless a key file is configured.
pub fn verifier(config: &Config) -> anyhow::Result<TokenVerifier> {
    if embedded_key(config) {
        let secret = auth::load_or_create_secret(&config.data_dir)?;
        TokenVerifier::from_secret(&secret, &config.auth)
    } else {
        TokenVerifier::from_config(&config.auth)
    }
}

fn embedded_key(config: &Config) -> bool {
    config.auth.key_file.is_none() && config.auth.algorithm.eq_ignore_ascii_case("HS256")
}

/// The token `service` presents to its peers: the configured service token file, else one it
/// mints with the embedded key.
pub fn peer_auth(config: &Config, service: &str) -> anyhow::Result<PeerAuth> {
    if let Some(path) = &config.auth.service_token_file {
        return Ok(PeerAuth::from_file(path.clone()));
    }
    anyhow::ensure!(
        embedded_key(config),
        "with an external token issuer, set auth.service_token_file (CRM__AUTH__SERVICE_TOKEN_FILE) to a CHANNEL \
         token for the services' calls to each other"
    );
    PeerAuth::minted(&auth::load_or_create_secret(&config.data_dir)?, service)
}

/// Page-token signing key (`page-token.key` in the data directory; share it across replicas).
pub fn page_tokens(config: &Config) -> anyhow::Result<PageTokens> {
    let key = load_or_create_secret(&config.data_dir.join("page-token.key"), 32)?;
    Ok(PageTokens::new(&key))
}

async fn open_db(config: &Config, service: &ServiceConfig, file: &str, migrations: Migrations) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let db_config = config.database(service, file)?;
    Db::connect_and_migrate(&db_config, migrations).await.with_context(|| format!("database {file}"))
}

/// Opens and migrates the profile database.
pub async fn profile_db(config: &Config) -> anyhow::Result<Db> {
    open_db(config, &config.profile, PROFILE_DB_FILE, crm_profile::store::migrations()).await
}

/// Where each service is reached by its peers and the gateway, as `http://host:port`.
#[derive(Clone, Debug)]
pub struct PeerUrls {
    pub profile: String,
    pub segmentation: String,
    pub scoring: String,
    pub interaction: String,
}

impl PeerUrls {
    /// The URLs from configuration (`url`, else the listen address).
    pub fn from_config(config: &Config) -> Self {
        Self {
            profile: config.profile.peer_url(),
            segmentation: config.segmentation.peer_url(),
            scoring: config.scoring.peer_url(),
            interaction: config.interaction.peer_url(),
        }
    }

    /// The URL of a service bound in this process at `addr`.
    pub fn local(addr: SocketAddr) -> String {
        let addr = if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr };
        format!("http://{addr}")
    }
}

/// Everything the profile service needs.
pub async fn profile_deps(config: &Config) -> anyhow::Result<ProfileDeps> {
    Ok(ProfileDeps {
        db: profile_db(config).await?,
        verifier: verifier(config)?,
        page_tokens: page_tokens(config)?,
        limits: config.limits.clone(),
        feeds: config.feeds.clone(),
        cipher: config.field_cipher()?,
        phone_region: config.phone_region.clone(),
    })
}

/// Everything the segmentation service needs.
pub async fn segmentation_deps(config: &Config, peers: &PeerUrls) -> anyhow::Result<SegmentationDeps> {
    Ok(SegmentationDeps {
        db: open_db(config, &config.segmentation, SEGMENTATION_DB_FILE, crm_segmentation::migrations()).await?,
        verifier: verifier(config)?,
        page_tokens: page_tokens(config)?,
        limits: config.limits.clone(),
        profile: peer::channel(&peers.profile)?,
        scoring: Some(peer::channel(&peers.scoring)?),
        interaction: Some(peer::channel(&peers.interaction)?),
        peer_auth: peer_auth(config, "segmentation")?,
        stream: StreamFollow::configured(&config.nats).await?,
    })
}

/// Everything the scoring service needs.
pub async fn scoring_deps(config: &Config, peers: &PeerUrls) -> anyhow::Result<ScoringDeps> {
    Ok(ScoringDeps {
        db: open_db(config, &config.scoring, SCORING_DB_FILE, crm_scoring::migrations()).await?,
        verifier: verifier(config)?,
        page_tokens: page_tokens(config)?,
        limits: config.limits.clone(),
        profile: peer::channel(&peers.profile)?,
        peer_auth: peer_auth(config, "scoring")?,
        stream: StreamFollow::configured(&config.nats).await?,
    })
}

/// Everything the interaction service needs.
pub async fn interaction_deps(config: &Config, peers: &PeerUrls) -> anyhow::Result<InteractionDeps> {
    Ok(InteractionDeps {
        db: open_db(config, &config.interaction, INTERACTION_DB_FILE, crm_interaction::migrations()).await?,
        verifier: verifier(config)?,
        page_tokens: page_tokens(config)?,
        limits: config.limits.clone(),
        profile: peer::channel(&peers.profile)?,
        segmentation: peer::channel(&peers.segmentation)?,
        scoring: Some(peer::channel(&peers.scoring)?),
        peer_auth: peer_auth(config, "interaction")?,
        stream: StreamFollow::configured(&config.nats).await?,
    })
}

/// Everything the gateway needs; with `peers` (services bound in this process), each
/// configured backend serving one of the suite's services is pointed at where it really is.
pub fn gateway_deps(config: &Config, peers: Option<&PeerUrls>) -> anyhow::Result<GatewayDeps> {
    let mut gateway = config.gateway.clone();
    if let Some(peers) = peers {
        let local = [
            (crm_profile::SERVICE_NAME, &peers.profile),
            (crm_segmentation::SERVICE_NAME, &peers.segmentation),
            (crm_scoring::SERVICE_NAME, &peers.scoring),
            (crm_interaction::SERVICE_NAME, &peers.interaction),
        ];
        for backend in gateway.backends.values_mut() {
            if let Some((_, url)) = local.iter().find(|(service, _)| backend.services.iter().any(|s| s == service)) {
                backend.url = (*url).clone();
            }
        }
    }
    Ok(GatewayDeps { config: gateway, verifier: verifier(config)?, limits: config.limits.clone() })
}

/// `crm migrate`: creates or upgrades every service database.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let databases = [
        (&config.profile, PROFILE_DB_FILE, crm_profile::store::migrations()),
        (&config.segmentation, SEGMENTATION_DB_FILE, crm_segmentation::migrations()),
        (&config.scoring, SCORING_DB_FILE, crm_scoring::migrations()),
        (&config.interaction, INTERACTION_DB_FILE, crm_interaction::migrations()),
    ];
    for (service, file, migrations) in databases {
        let db = open_db(config, service, file, migrations).await?;
        tracing::info!(database = file, backend = db.backend().as_str(), "database is up to date");
        db.close().await;
    }
    Ok(())
}
