//! `crm seed`: loads the deterministic synthetic portfolio of [`crm_synth`] through the
//! profile service's import (ImportClients, in process), in batches of one transaction
//! each, with a progress bar.
//!
//! Client ids are derived from the seed and the generator's key, so the same command gives
//! the same portfolio, names included. The true duplicate pairs are written to
//! `seed-duplicates.csv` in the data directory, to measure the duplicate finder against.

use std::{io::Write as _, sync::Arc, time::Instant};

use clap::Args;
use crm_kit::{
    audit::AuditSink, auth::Principal, call::Caller, config::Config, db::Db, server::Shutdown, write::Writer,
};
use crm_profile::{
    ProfileApp, ProfileStore,
    domain::{client::set_facts, import::MAX_CLIENTS},
};
use crm_proto::crm::profile::v1::{ClientImport, ImportClientsRequest, Provenance};

use crm_synth::{SeedClient, SeedConfig};

use crate::{progress, runtime};

/// Arguments of `crm seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Number of clients to generate.
    #[arg(long, default_value_t = 10_000)]
    clients: u64,
    /// Random seed: the same seed gives the same portfolio.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Clients per transaction (at most 1,000).
    #[arg(long, default_value_t = 500)]
    batch: usize,
}

/// What a load did.
#[derive(Debug)]
pub struct LoadReport {
    /// Clients written.
    pub clients: u64,
    /// Wall time.
    pub seconds: f64,
}

/// `crm seed`.
pub async fn run(config: &Config, args: SeedArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.clients <= crm_synth::MAX_UNIQUE_CLIENTS,
        "at most {} clients: beyond that generated identifiers are no longer unique",
        crm_synth::MAX_UNIQUE_CLIENTS
    );
    let db = runtime::profile_db(config).await?;
    let cfg = SeedConfig { clients: args.clients, seed: args.seed, ..SeedConfig::default() };
    load(config, &db, cfg, args.batch.clamp(1, MAX_CLIENTS)).await?;
    db.close().await;
    Ok(())
}

/// Loads the demo portfolio into an empty profile database.
pub async fn ensure_demo(config: &Config, db: &Db, clients: u64) -> anyhow::Result<()> {
    let store = ProfileStore::new(Writer::new(db.clone()), config.field_cipher()?);
    if !store.is_empty().await.map_err(|err| anyhow::anyhow!("reading the profile database: {err}"))? {
        tracing::info!("demo data already present");
        return Ok(());
    }
    load(config, db, SeedConfig { clients, ..SeedConfig::default() }, 500).await.map(|_| ())
}

/// Deterministic client id for a generated client.
pub(crate) fn seeded_id(seed: u64, key: u64) -> String {
    format!("{:08x}{:024x}", seed & 0xffff_ffff, key)
}

/// A generated client as an import record, named by its deterministic id (the profile
/// service parses it as it would any import).
fn bundle(seed: u64, generated: SeedClient) -> ClientImport {
    let SeedClient { key, mut client, parent_key, contacts, holdings, statements, .. } = generated;
    client.name = format!("clients/{}", seeded_id(seed, key));
    if let Some(parent) = parent_key {
        client.parent = format!("clients/{}", seeded_id(seed, parent));
    }
    // Keep the sources the generator states per field; every other fact is marked as seeded.
    for field in set_facts(&client) {
        let seeded = Provenance { source_name: "synthetic-seed".into(), ..Provenance::default() };
        client.provenance.entry(field.to_owned()).or_insert(seeded);
    }
    ClientImport { client: Some(client), contacts, holdings, statements }
}

/// The profile application over `db`, in this process.
fn profile_app(config: &Config, db: &Db, shutdown: Shutdown) -> anyhow::Result<ProfileApp> {
    let store = Arc::new(ProfileStore::new(Writer::new(db.clone()), config.field_cipher()?));
    let audit = AuditSink::spawn(db.clone());
    Ok(ProfileApp::new(
        store,
        audit,
        runtime::page_tokens(config)?,
        config.limits.clone(),
        config.feeds.clone(),
        shutdown,
    ))
}

/// Generates on a blocking thread and loads batch by batch.
pub async fn load(config: &Config, db: &Db, cfg: SeedConfig, batch: usize) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let (_running, shutdown) = Shutdown::new();
    let app = profile_app(config, db, shutdown)?;
    let request_id = format!("seed-{}-{}", cfg.seed, cfg.clients);
    let caller = Caller::new(Principal::system("seed"), "SeedPortfolio", request_id);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<ClientImport>>>(4);
    let truth_path = config.data_dir.join("seed-duplicates.csv");
    let (seed, cfg_clients) = (cfg.seed, cfg.clients);
    let generator = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut truth = std::io::BufWriter::new(std::fs::File::create(&truth_path)?);
        writeln!(truth, "duplicate,original")?;
        let mut chunk = Vec::with_capacity(batch);
        for generated in crm_synth::generate(&cfg) {
            if let Some(original) = generated.duplicate_of {
                writeln!(truth, "clients/{},clients/{}", seeded_id(seed, generated.key), seeded_id(seed, original))?;
            }
            chunk.push(bundle(seed, generated));
            if chunk.len() == batch && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
                return Ok(());
            }
        }
        truth.flush()?;
        if !chunk.is_empty() {
            let _ = tx.blocking_send(Ok(chunk));
        }
        Ok(())
    });
    let bar = progress::bar(cfg_clients, "seeding the portfolio", "clients");
    let mut loaded = 0u64;
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk?;
        let n = chunk.len() as u64;
        let request = ImportClientsRequest { clients: chunk, request_id: String::new() };
        app.import_clients(&caller, request)
            .await
            .map_err(|err| anyhow::anyhow!("loading clients {} to {}: {err}", loaded + 1, loaded + n))?;
        loaded += n;
        bar.bar.inc(n);
    }
    generator.await??;
    bar.finish();
    Ok(LoadReport { clients: loaded, seconds: started.elapsed().as_secs_f64() })
}

#[cfg(test)]
mod tests {
    use crm_profile::domain::{import, lei};

    use super::*;

    /// The generator and the profile service agree: every generated record passes the
    /// import's parsing (the rules of CreateClient), and every LEI the service's own check.
    #[test]
    fn every_generated_client_passes_the_profile_service_rules() {
        let seed = 13;
        for generated in crm_synth::generate(&SeedConfig { clients: 3000, seed, duplicate_rate: 0.01 }) {
            let key = generated.key;
            let client_lei = generated.client.lei.clone();
            assert!(client_lei.is_empty() || lei::validate(&client_lei).is_ok(), "client {key}: LEI {client_lei}");
            if let Err(err) = import::parse(vec![bundle(seed, generated)]) {
                panic!("client {key}: {:?}", err.violations());
            }
        }
    }
}
