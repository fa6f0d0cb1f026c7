//! The PostgreSQL ratio: GetClient end to end (gRPC to the profile service, which reads
//! PostgreSQL) against `pgbench -S -M prepared` (one primary-key SELECT per transaction,
//! prepared) with the same number of clients, on the same server.
//!
//! A second suite is spawned with every service on its own database (`crm_bench_profile`,
//! ...), created if missing and seeded with `crm seed` while empty (only the profile is
//! read here). pgbench gets its own small database (`crm_bench_pgbench`, scale 1, rebuilt
//! by `pgbench -i` each run). The two are interleaved in rounds, as the other ratios are;
//! the suite idles while pgbench runs, so neither competes with the other for the cores.

use std::{path::Path, process::Command};

use anyhow::Context as _;
use crm_kit::config::Config;
use serde::Serialize;
use sqlx::Connection as _;

use super::{
    Load, Scenario, Session, Suite, Via, issuer,
    ratios::Ratio,
    report::{self, RunRecord},
    session::Measured as Slice,
    spawn::SpawnSpec,
};

/// Prefix of every database the bench creates.
const PREFIX: &str = "crm_bench";
/// The services and their configuration sections.
const SERVICES: [&str; 4] = ["profile", "segmentation", "scoring", "interaction"];

/// A pgbench run.
#[derive(Clone, Debug, Serialize)]
pub struct PgBench {
    /// `-c`.
    pub clients: usize,
    /// `-j`.
    pub threads: usize,
    /// `-T`.
    pub seconds: u64,
    /// Transactions per second (without initial connection time).
    pub tps: f64,
}

/// GetClient on PostgreSQL, pgbench, and their ratio.
#[derive(Debug, Serialize)]
pub struct Measured {
    /// GetClient (contact-centre agent, direct) on the PostgreSQL suite.
    pub get_client: RunRecord,
    /// pgbench with the same client count.
    pub pgbench: PgBench,
    /// Their ratio.
    pub ratio: Ratio,
}

/// Measures GetClient on PostgreSQL at `url` and pgbench there; `clients` is the portfolio
/// seeded into an empty profile database.
pub async fn measure(
    config: &Config,
    url: &str,
    data_dir: &Path,
    clients: u64,
    sample: usize,
    load: &Load,
    rounds: u32,
) -> anyhow::Result<Measured> {
    let mut env = Vec::new();
    for service in SERVICES {
        let name = format!("{PREFIX}_{service}");
        ensure_database(url, &name).await?;
        env.push((format!("CRM__{}__DATABASE_URL", service.to_uppercase()), with_database(url, &name)?));
    }
    let profile_url = with_database(url, &format!("{PREFIX}_profile"))?;
    if count_clients(&profile_url).await == 0 {
        seed(data_dir, &env, clients)?;
    }
    let exe = std::env::current_exe()?;
    let spec = SpawnSpec { exe, data_dir: data_dir.to_owned(), demo_clients: None, env };
    let suite = Suite::spawn(&spec).await?;
    let measured = async {
        let session = Session::prepare(suite.targets.clone(), issuer(config, data_dir)?, sample, suite.probe).await?;
        interleaved(&session, url, load, rounds).await
    }
    .await;
    suite.close().await?;
    let (get_client, pgbench) = measured?;
    println!("{}", report::header());
    println!("{}", report::row(&get_client));
    println!("pgbench -S -M prepared -c {} -j {}: {:.0} tps", pgbench.clients, pgbench.threads, pgbench.tps);
    let name = "GetClient on PostgreSQL / pgbench -S -M prepared, same clients (throughput)";
    let ratio = Ratio::at_least(name, get_client.throughput, pgbench.tps, 0.3);
    Ok(Measured { get_client, pgbench, ratio })
}

/// GetClient and pgbench in turn, `rounds` times, each slice a `rounds`-th of the run (the
/// suite idles while pgbench runs); pgbench's TPS is the mean of its slices' (of equal length).
async fn interleaved(session: &Session, url: &str, load: &Load, rounds: u32) -> anyhow::Result<(RunRecord, PgBench)> {
    let rounds = rounds.max(1);
    let slice = Load { duration: load.duration / rounds, warmup: load.warmup / rounds, ..load.clone() };
    let seconds = slice.duration.as_secs_f64().ceil().max(1.0) as u64;
    init_pgbench(url).await?;
    let mut get_client: Option<Slice> = None;
    let mut tps = Vec::with_capacity(rounds as usize);
    for round in 0..rounds {
        let measured = session.measure(Scenario::GetClient, Via::Direct, &slice, u64::from(round)).await?;
        match &mut get_client {
            Some(total) => total.append(measured)?,
            None => get_client = Some(measured),
        }
        let (url, clients) = (url.to_owned(), load.concurrency);
        tps.push(tokio::task::spawn_blocking(move || pgbench(&url, clients, seconds)).await??.tps);
    }
    let measured = get_client.context("at least one round")?;
    let record = RunRecord::new(
        Scenario::GetClient,
        Via::Direct,
        Scenario::GetClient.role(),
        load,
        &measured.outcome,
        measured.usage,
    );
    let mean = tps.iter().sum::<f64>() / tps.len() as f64;
    let (clients, threads) = (load.concurrency, load.concurrency.clamp(1, 2));
    Ok((record, PgBench { clients, threads, seconds: seconds * u64::from(rounds), tps: mean }))
}

/// Creates database `name` unless it exists.
async fn ensure_database(url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(url).await.context("connecting to --postgres-url")?;
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut conn).await?;
    if exists.is_none() {
        // `name` is one of the bench's own constant identifiers, never input.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(())
}

/// Clients in the profile database (0 before it is migrated).
async fn count_clients(url: &str) -> i64 {
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else { return 0 };
    sqlx::query_scalar("SELECT COUNT(*) FROM clients").fetch_one(&mut conn).await.unwrap_or(0)
}

/// `crm seed --clients N` into the PostgreSQL profile database.
fn seed(data_dir: &Path, env: &[(String, String)], clients: u64) -> anyhow::Result<()> {
    eprintln!("seeding {clients} clients into {PREFIX}_profile ...");
    let status = Command::new(std::env::current_exe()?)
        .args(["seed", "--clients", &clients.to_string(), "--data-dir"])
        .arg(data_dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .status()?;
    anyhow::ensure!(status.success(), "crm seed failed ({status})");
    Ok(())
}

/// Creates and initialises pgbench's own database (scale 1: 100,000 accounts).
async fn init_pgbench(url: &str) -> anyhow::Result<()> {
    let name = format!("{PREFIX}_pgbench");
    ensure_database(url, &name).await?;
    let db = with_database(url, &name)?;
    let init = Command::new("pgbench").args(["-i", "-q", "-s", "1", &db]).output().context("running pgbench -i")?;
    anyhow::ensure!(init.status.success(), "pgbench -i failed: {}", String::from_utf8_lossy(&init.stderr));
    Ok(())
}

/// One select-only pgbench run on the initialised database.
fn pgbench(url: &str, clients: usize, seconds: u64) -> anyhow::Result<PgBench> {
    let db = with_database(url, &format!("{PREFIX}_pgbench"))?;
    let threads = clients.clamp(1, 2);
    let args = ["-S", "-M", "prepared", "-c", &clients.to_string(), "-j", &threads.to_string()];
    let out = Command::new("pgbench").args(args).args(["-T", &seconds.max(1).to_string(), &db]).output()?;
    anyhow::ensure!(out.status.success(), "pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    let tps = parse_tps(&String::from_utf8_lossy(&out.stdout)).context("pgbench printed no tps")?;
    Ok(PgBench { clients, threads, seconds, tps })
}

/// The `tps = N (without initial connection time)` of pgbench's report (older versions
/// print `excluding connections establishing`; either is taken, else the first `tps`).
fn parse_tps(report: &str) -> Option<f64> {
    let lines: Vec<&str> = report.lines().filter(|l| l.trim_start().starts_with("tps = ")).collect();
    let line = lines.iter().find(|l| l.contains("without") || l.contains("excluding")).or(lines.first())?;
    line.trim_start().trim_start_matches("tps = ").split_whitespace().next()?.parse().ok()
}

/// `url` with its database (the path) replaced by `db`; the query is kept.
fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").context("--postgres-url is not a URL")? + 3;
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    Ok(match query {
        Some(query) => format!("{}/{db}?{query}", &base[..path]),
        None => format!("{}/{db}", &base[..path]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_keep_everything_but_the_database() {
        let url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
        assert_eq!(
            with_database(url, "crm_bench_profile").ok().as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/crm_bench_profile?sslmode=disable")
        );
        assert_eq!(with_database("postgres://db", "x").ok().as_deref(), Some("postgres://db/x"));
        assert!(with_database("not a url", "x").is_err());
    }

    #[test]
    fn tps_is_read_without_connection_time() {
        let report = "number of failed transactions: 0 (0.000%)\nlatency average = 0.6 ms\n\
                      initial connection time = 3.1 ms\ntps = 26520.125 (without initial connection time)\n";
        assert_eq!(parse_tps(report), Some(26520.125));
        let old =
            "tps = 100.5 (including connections establishing)\ntps = 101.5 (excluding connections establishing)\n";
        assert_eq!(parse_tps(old), Some(101.5));
        assert_eq!(parse_tps("no figures"), None);
    }
}
