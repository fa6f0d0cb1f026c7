//! `crm check`: validates the configuration (loaded strictly before any command runs) and
//! what it names: the keys are readable, every service database is reachable and fully
//! migrated, every peer answers SERVING, the NATS server answers when one is configured.
//! Each check prints one line; the first problem stops it with a non-zero exit, so it can
//! run as an init container.

use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use crm_kit::{
    config::Config,
    db::{Backend, Db, Migrations},
};

use crate::runtime::{self, PeerUrls};

/// Arguments of `crm check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Do not call the peers (e.g. in an init container started before them).
    #[arg(long)]
    no_peers: bool,
}

/// How long a peer may take to answer its health check.
const PEER_TIMEOUT: Duration = Duration::from_secs(3);

/// `crm check`.
pub async fn run(config: &Config, args: CheckArgs) -> anyhow::Result<()> {
    runtime::verifier(config).context("the token verification key")?;
    println!("ok    token verification ({})", config.auth.algorithm);
    config.field_cipher().context("the field-encryption key")?;
    println!("ok    field-encryption key");
    for (name, service_of, file) in runtime::DATABASES {
        let db_config = config.database(service_of(config), file).with_context(|| format!("{name}: the audit key"))?;
        if Backend::from_url(&db_config.url)? == Backend::Sqlite {
            let path = db_config.url.trim_start_matches("sqlite:");
            anyhow::ensure!(
                std::path::Path::new(path).exists(),
                "{name}: the database {path} does not exist (run `crm migrate`)"
            );
        }
        let db = Db::connect(&db_config).await.with_context(|| format!("{name}: the database is unreachable"))?;
        let missing = missing_migrations(&db, migrations(name)).await;
        db.close().await;
        let missing = missing.with_context(|| format!("{name}: reading the applied migrations"))?;
        anyhow::ensure!(missing.is_empty(), "{name}: migrations {missing:?} are not applied (run `crm migrate`)");
        println!("ok    {name} database ({}, migrated)", db.backend().as_str());
    }
    if !args.no_peers {
        let urls = PeerUrls::from_config(config);
        let peers = [
            ("profile", &urls.profile, crm_profile::SERVICE_NAME),
            ("segmentation", &urls.segmentation, crm_segmentation::SERVICE_NAME),
            ("scoring", &urls.scoring, crm_scoring::SERVICE_NAME),
            ("interaction", &urls.interaction, crm_interaction::SERVICE_NAME),
        ];
        for (name, url, service) in peers {
            let channel = crm_kit::peer::channel(url)?;
            crm_kit::server::wait_serving(channel, service, PEER_TIMEOUT)
                .await
                .with_context(|| format!("{name} at {url} is not SERVING"))?;
            println!("ok    {name} at {url} is SERVING");
        }
    }
    if config.nats.enabled() {
        crm_kit::relay::connect(&config.nats).await.context("NATS JetStream")?;
        println!("ok    NATS JetStream at {} (stream {})", config.nats.url, config.nats.stream);
    }
    println!("configuration checked");
    Ok(())
}

fn migrations(name: &str) -> Migrations {
    match name {
        "profile" => crm_profile::store::migrations(),
        "segmentation" => crm_segmentation::migrations(),
        "scoring" => crm_scoring::migrations(),
        _ => crm_interaction::migrations(),
    }
}

/// The service's migration versions its database has not applied.
async fn missing_migrations(db: &Db, migrations: Migrations) -> anyhow::Result<Vec<i64>> {
    let migrator = if db.backend() == Backend::Sqlite { migrations.sqlite } else { migrations.postgres };
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(db.reader()).await?;
    Ok(migrator.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect())
}
