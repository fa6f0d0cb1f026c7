//! `crm seed`: loads the deterministic synthetic portfolio of [`crm_synth`] through the
//! profile store, in batches of one transaction each, with a progress bar.
//!
//! Client ids are derived from the seed and the generator's key, so the same command gives
//! the same portfolio, names included. The true duplicate pairs are written to
//! `seed-duplicates.csv` in the data directory, to measure the duplicate finder against.

use std::{io::Write as _, time::Instant};

use anyhow::Context as _;
use clap::Args;
use crm_kit::{auth::Principal, config::Config, db::Db};
use crm_profile::{
    domain::{children, client as rules},
    store::{ClientBundle, SqlProfileStore, WriteCtx},
};
use crm_synth::{SeedClient, SeedConfig};
use indicatif::{ProgressBar, ProgressStyle};

use crate::runtime;

/// Arguments of `crm seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Number of clients to generate.
    #[arg(long, default_value_t = 10_000)]
    clients: u64,
    /// Random seed: the same seed gives the same portfolio.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Clients per transaction.
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
    let report = load(config, &db, cfg, args.batch.clamp(1, 10_000)).await?;
    db.close().await;
    println!(
        "loaded {} clients in {:.1} s ({:.0} clients/s)",
        report.clients,
        report.seconds,
        report.clients as f64 / report.seconds.max(0.001)
    );
    Ok(())
}

/// Loads the demo portfolio into an empty profile database.
pub async fn ensure_demo(config: &Config, db: &Db, clients: u64) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients").fetch_one(db.reader()).await?;
    if existing > 0 {
        tracing::info!(existing, "demo data already present");
        return Ok(());
    }
    load(config, db, SeedConfig { clients, ..SeedConfig::default() }, 500).await.map(|_| ())
}

/// Deterministic client id for a generated client.
fn seeded_id(seed: u64, key: u64) -> String {
    format!("{:08x}{:024x}", seed & 0xffff_ffff, key)
}

/// Turns a generated client into a validated bundle (the same rules as the API).
fn bundle(seed: u64, generated: SeedClient) -> anyhow::Result<ClientBundle> {
    let SeedClient { key, mut client, parent_key, mut contacts, mut holdings, mut statements, .. } = generated;
    client.name = format!("clients/{}", seeded_id(seed, key));
    if let Some(parent) = parent_key {
        client.parent = format!("clients/{}", seeded_id(seed, parent));
    }
    rules::normalize(&mut client);
    // Keep the sources the generator states per field; anything else is marked as seeded.
    let stated = std::mem::take(&mut client.provenance);
    let written = rules::written_on_create(&client);
    rules::stamp_provenance(&mut client, &written, &stated, "synthetic-seed");
    rules::validate(&client).with_context(|| format!("generated client {key} is invalid"))?;
    for contact in &mut contacts {
        children::contact(contact).with_context(|| format!("contact of client {key}"))?;
    }
    for holding in &mut holdings {
        children::holding(holding).with_context(|| format!("holding of client {key}"))?;
    }
    for statement in &mut statements {
        children::statement(statement).with_context(|| format!("statement of client {key}"))?;
    }
    Ok(ClientBundle { client, contacts, holdings, statements })
}

/// Generates on a blocking thread and loads batch by batch.
pub async fn load(config: &Config, db: &Db, cfg: SeedConfig, batch: usize) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let store = SqlProfileStore::new(db.clone());
    let principal = Principal::system("seed");
    let request_id = format!("seed-{}-{}", cfg.seed, cfg.clients);
    let ctx = WriteCtx::internal(&principal, "SeedPortfolio", &request_id);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<ClientBundle>>>(4);
    let truth_path = config.data_dir.join("seed-duplicates.csv");
    let seed = cfg.seed;
    let generator = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut truth = std::io::BufWriter::new(std::fs::File::create(&truth_path)?);
        writeln!(truth, "duplicate,original")?;
        let mut chunk = Vec::with_capacity(batch);
        for generated in crm_synth::generate(&cfg) {
            if let Some(original) = generated.duplicate_of {
                writeln!(truth, "clients/{},clients/{}", seeded_id(seed, generated.key), seeded_id(seed, original))?;
            }
            chunk.push(bundle(seed, generated)?);
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
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} seeding [{elapsed_precise}] {pos:>9} clients {per_sec:>14} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut loaded = 0u64;
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk?;
        let n = chunk.len() as u64;
        store.bulk_load(ctx, chunk).await.map_err(|err| anyhow::anyhow!("loading batch: {err}"))?;
        loaded += n;
        bar.inc(n);
    }
    generator.await??;
    bar.finish_with_message("done");
    Ok(LoadReport { clients: loaded, seconds: started.elapsed().as_secs_f64() })
}

#[cfg(test)]
mod tests {
    use crm_profile::domain::lei;

    use super::*;

    /// The generator and the profile service agree: every generated record passes the rules
    /// the loader applies, and every LEI passes the service's own check.
    #[test]
    fn every_generated_client_passes_the_profile_service_rules() {
        let seed = 13;
        for generated in crm_synth::generate(&SeedConfig { clients: 3000, seed, duplicate_rate: 0.01 }) {
            let key = generated.key;
            let client_lei = generated.client.lei.clone();
            assert!(client_lei.is_empty() || lei::validate(&client_lei).is_ok(), "client {key}: LEI {client_lei}");
            if let Err(err) = bundle(seed, generated) {
                panic!("client {key}: {err:#}");
            }
        }
    }
}
