//! `crm bench ratios`: in one run against one suite, everything the suite's performance
//! ratios compare, and the ratios with their targets. With `--postgres-url`, a second suite
//! with every service on PostgreSQL is measured against `pgbench` on the same server.

use std::path::PathBuf;

use clap::Args;
use crm_kit::config::Config;
use serde::Serialize;

use super::{
    Load, LoadArgs, Scenario, Session, Suite, SuiteArgs, Via, issuer, postgres,
    report::{self, Machine, RunRecord},
    session,
};

/// Arguments of `crm bench ratios`.
#[derive(Debug, Args)]
pub struct RatiosArgs {
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    suite: SuiteArgs,
    /// PostgreSQL to measure on too (a role that may create databases), e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres: databases crm_bench_<service> are
    /// created there, seeded once and kept for the next run; crm_bench_pgbench is rebuilt
    /// by `pgbench -i` every run.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Slices each run is cut into: the runs take turns slice by slice, so that load from
    /// elsewhere on the machine weighs on both sides of a ratio alike.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Data directory of the PostgreSQL suite (its keys; default: <data dir>/postgres).
    #[arg(long)]
    postgres_data_dir: Option<PathBuf>,
}

/// One ratio, its target and whether it is met.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    /// What is compared.
    pub name: &'static str,
    /// The measured figure divided (throughput per second, or p99 milliseconds).
    pub numerator: f64,
    /// The figure it is divided by.
    pub denominator: f64,
    /// Their ratio.
    pub value: f64,
    /// Target.
    pub target: f64,
    /// `>=` or `<=`.
    pub want: &'static str,
    /// Whether the measured value meets the target.
    pub met: bool,
}

impl Ratio {
    /// `numerator / denominator`, which should be at least `target`.
    pub fn at_least(name: &'static str, numerator: f64, denominator: f64, target: f64) -> Self {
        let value = numerator / denominator.max(1e-9);
        Self { name, numerator, denominator, value, target, want: ">=", met: value >= target }
    }

    /// `numerator / denominator`, which should be at most `target`.
    pub fn at_most(name: &'static str, numerator: f64, denominator: f64, target: f64) -> Self {
        let value = numerator / denominator.max(1e-9);
        Self { name, numerator, denominator, value, target, want: "<=", met: value <= target }
    }

    /// One line of the ratio table (four decimals: a ratio just under its target must not
    /// print as the target).
    pub fn row(&self) -> String {
        let verdict = if self.met { "met" } else { "NOT MET" };
        let of = format!("{:.2} / {:.2}", self.numerator, self.denominator);
        format!("{:<76} {:>7.4}  {} {:<4} {verdict:<8} {of}", self.name, self.value, self.want, self.target)
    }

    /// The header of [`Ratio::row`].
    pub fn header() -> String {
        format!("{:<76} {:>7}  target   verdict  measured", "ratio", "value")
    }
}

/// Runs and ratios of one suite (SQLite, or whatever its configuration says).
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Every run, in order.
    pub runs: Vec<RunRecord>,
    /// The ratios they give.
    pub ratios: Vec<Ratio>,
}

/// Measures every ratio but PostgreSQL's against the suite of `session`: each run with
/// `load.concurrency` callers, but the 360-versus-GetClient latency with one caller.
///
/// The runs are interleaved: each is cut into `rounds` slices (of its seconds and its
/// warm-up) and the rounds run every slice in turn, so that whatever else the machine does
/// meanwhile weighs on both sides of a ratio alike instead of on whichever run it hit.
pub async fn measure(session: &Session, load: &Load, rounds: u32) -> anyhow::Result<Outcome> {
    let one = Load { concurrency: 1, ..load.clone() };
    let plan = [
        (Scenario::Health, Via::Direct, load),
        (Scenario::GetClient, Via::Direct, load),
        (Scenario::GetClient, Via::Gateway, load),
        (Scenario::GetClient, Via::Rest, load),
        (Scenario::GetClientAudited, Via::Direct, load),
        (Scenario::Client360, Via::Gateway, &one),
        (Scenario::GetClient, Via::Gateway, &one),
    ];
    let rounds = rounds.max(1);
    let mut merged: Vec<Option<session::Measured>> = plan.iter().map(|_| None).collect();
    for round in 0..rounds {
        for ((scenario, via, load), total) in plan.iter().zip(&mut merged) {
            let slice = Load { duration: load.duration / rounds, warmup: load.warmup / rounds, ..(*load).clone() };
            let measured = session.measure(*scenario, *via, &slice, u64::from(round)).await?;
            match total {
                Some(total) => total.append(measured)?,
                None => *total = Some(measured),
            }
        }
    }
    println!("{}", report::header());
    let mut runs = Vec::with_capacity(plan.len());
    for ((scenario, via, load), measured) in plan.into_iter().zip(merged.into_iter().flatten()) {
        let record = RunRecord::new(scenario, via, scenario.role(), load, &measured.outcome, measured.usage);
        println!("{}", report::row(&record));
        runs.push(record);
    }
    let thr = |i: usize| runs[i].throughput;
    let p99 = |i: usize| runs[i].latency_ms.p99;
    let ratios = vec![
        Ratio::at_least("GetClient direct / Health.Check, same server (throughput)", thr(1), thr(0), 0.5),
        Ratio::at_least("GetClient gateway gRPC / direct (throughput)", thr(2), thr(1), 0.7),
        Ratio::at_least("GetClient gateway REST / gateway gRPC (throughput)", thr(3), thr(2), 0.9),
        Ratio::at_most("GetClient360 p99 / GetClient p99 ms, gateway, 1 caller", p99(5), p99(6), 3.0),
        Ratio::at_least("GetClient as RM (audited) / as agent (masked), direct (throughput)", thr(4), thr(1), 0.6),
    ];
    Ok(Outcome { runs, ratios })
}

/// The JSON record of `crm bench ratios`.
#[derive(Serialize)]
struct RatiosFile {
    command: &'static str,
    unix_time: u64,
    version: &'static str,
    machine: Machine,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
    ratios: Vec<Ratio>,
    rounds: u32,
    suite: Outcome,
    postgres: Option<postgres::Measured>,
}

/// `crm bench ratios`.
pub async fn run(config: &Config, args: RatiosArgs) -> anyhow::Result<()> {
    let load = args.load.load(args.load.concurrency, None);
    let suite = Suite::open(config, &args.suite, Via::Gateway).await?;
    let measured = async {
        let issuer = issuer(config, &config.data_dir)?;
        let session = Session::prepare(suite.targets.clone(), issuer, args.load.sample, suite.probe).await?;
        measure(&session, &load, args.rounds).await
    }
    .await;
    suite.close().await?;
    let measured = measured?;
    let mut ratios = measured.ratios.clone();
    let on_postgres = match &args.postgres_url {
        Some(url) => {
            let data_dir = args.postgres_data_dir.clone().unwrap_or_else(|| config.data_dir.join("postgres"));
            let clients = args.suite.demo_clients;
            let pg = postgres::measure(config, url, &data_dir, clients, args.load.sample, &load, args.rounds).await?;
            ratios.push(pg.ratio.clone());
            Some(pg)
        }
        None => None,
    };
    println!();
    println!("{}", Ratio::header());
    for ratio in &ratios {
        println!("{}", ratio.row());
    }
    if let Some(path) = &args.load.json {
        let file = RatiosFile {
            command: "ratios",
            unix_time: report::unix_time(),
            version: env!("CARGO_PKG_VERSION"),
            machine: Machine::this(),
            concurrency: load.concurrency,
            seconds: args.load.seconds,
            warmup: args.load.warmup,
            rounds: args.rounds,
            ratios,
            suite: measured,
            postgres: on_postgres,
        };
        report::write_json(path, &file)?;
    }
    Ok(())
}
