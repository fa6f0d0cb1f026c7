//! `crm bench`: the suite's load generator (see BENCHMARKS.md for the figures it produced).
//!
//! `crm bench run [SCENARIO]...` measures scenarios ([`Scenario`]) over one path (`--via`),
//! closed loop (`--concurrency` callers back to back for `--seconds`) or open loop (`--rate`
//! iterations per second, latency from each one's due time). `crm bench ratios` measures,
//! against one suite, what the suite's performance targets compare. Both print a table and
//! can write a JSON record (`--json`); both either start the suite themselves (`--spawn`: the
//! server's CPU seconds and peak RSS are then those of its process) or call a running one
//! (`--server-pid` to sample it).
//!
//! Layout: [`scenario`] what is called, [`fixture`] about whom, [`call`], [`grpc`] and
//! [`rest`] how, [`driver`] how hard, [`sampler`] what the server spent, [`session`] ties them
//! together for one suite, [`spawn`] starts one, [`report`] writes the results, [`ratios`] and
//! [`postgres`] the ratio run.

pub mod call;
pub mod driver;
pub mod fixture;
pub mod grpc;
pub mod overload;
pub mod postgres;
mod progress;
pub mod ratios;
pub mod report;
pub mod rest;
pub mod sampler;
pub mod scenario;
pub mod session;
pub mod spawn;

use std::{path::PathBuf, time::Duration};

use clap::{Args, Subcommand};
use crm_kit::{auth::TokenIssuer, config::Config};
use serde::Serialize;

pub use driver::Load;
pub use scenario::{Scenario, Via};
pub use session::{Session, Targets};

use self::{
    report::{Machine, RunRecord},
    sampler::Probe,
    spawn::{SpawnSpec, Spawned},
};

/// Arguments of `crm bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Measure scenarios over one path (default: every scenario that path serves).
    Run(RunArgs),
    /// Measure everything the suite's performance ratios compare, in one run, and print them.
    Ratios(ratios::RatiosArgs),
    /// Offer a multiple of the measured capacity: admitted latency against unloaded, and
    /// the share of calls shed.
    Overload(overload::OverloadArgs),
}

/// Arguments of `crm bench run`.
#[derive(Debug, Args)]
struct RunArgs {
    /// Scenarios to run, in order.
    #[arg(value_enum)]
    scenarios: Vec<Scenario>,
    /// Path of the calls.
    #[arg(long, value_enum, default_value_t = Via::Direct)]
    via: Via,
    /// Iterations per second, open loop: latency is measured from each iteration's due
    /// time, and --concurrency callers take them (give enough to keep up); without it,
    /// closed loop.
    #[arg(long)]
    rate: Option<f64>,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    suite: SuiteArgs,
}

/// How hard and how long (shared by `run` and `ratios`).
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Unmeasured seconds before each run (connections, caches, pools).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Concurrent callers.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Clients sampled from the suite to call about.
    #[arg(long, default_value_t = 5_000)]
    pub sample: usize,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl LoadArgs {
    /// The load of one run with `concurrency` callers.
    pub fn load(&self, concurrency: usize, rate: Option<f64>) -> Load {
        Load {
            concurrency: concurrency.max(1),
            duration: Duration::from_secs_f64(self.seconds.max(0.01)),
            warmup: Duration::from_secs_f64(self.warmup.max(0.0)),
            rate,
            progress: true,
        }
    }
}

/// Which suite (shared by `run` and `ratios`).
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Start the suite as a child process (`crm up --data-dir <data dir>`) and stop it after.
    #[arg(long)]
    pub spawn: bool,
    /// With --spawn: load the demo portfolio first (only into an empty data directory).
    #[arg(long, requires = "spawn")]
    pub demo: bool,
    /// Size of the demo portfolio (--demo), and of the PostgreSQL suite's seed (ratios).
    #[arg(long, default_value_t = 10_000)]
    pub demo_clients: u64,
    /// Sample this process's CPU and memory (a suite started elsewhere).
    #[arg(long, conflicts_with = "spawn")]
    pub server_pid: Option<u32>,
    /// Address called: the profile service with --via direct, else the gateway (default:
    /// as configured). `--target` is accepted too.
    #[arg(long, alias = "target", conflicts_with = "spawn")]
    pub target_addr: Option<String>,
    /// The interaction service, for --via direct (default: as configured).
    #[arg(long, conflicts_with = "spawn")]
    pub interaction_addr: Option<String>,
}

/// A suite to measure: spawned (stopped when done) or already running.
pub struct Suite {
    /// Where it listens.
    pub targets: Targets,
    /// Its process, when known.
    pub probe: Option<Probe>,
    spawned: Option<Spawned>,
}

impl Suite {
    /// Spawns the suite or finds the configured one, as `args` say.
    pub async fn open(config: &Config, args: &SuiteArgs, via: Via) -> anyhow::Result<Self> {
        if args.spawn {
            let spec = SpawnSpec {
                exe: std::env::current_exe()?,
                data_dir: config.data_dir.clone(),
                demo_clients: args.demo.then_some(args.demo_clients),
                env: Vec::new(),
            };
            return Self::spawn(&spec).await;
        }
        let addr = |listen: &crm_kit::config::ListenAddr| listen.url().trim_start_matches("http://").to_owned();
        let mut targets = Targets {
            profile: addr(&config.profile.listen),
            interaction: addr(&config.interaction.listen),
            gateway: addr(&config.gateway.listen),
        };
        if let Some(target) = &args.target_addr {
            *(if via == Via::Direct { &mut targets.profile } else { &mut targets.gateway }) = target.clone();
        }
        if let Some(interaction) = &args.interaction_addr {
            targets.interaction = interaction.clone();
        }
        Ok(Self { targets, probe: args.server_pid.map(Probe::new).transpose()?, spawned: None })
    }

    /// Starts a suite as `spec` says.
    pub async fn spawn(spec: &SpawnSpec) -> anyhow::Result<Self> {
        eprintln!("starting the suite (crm up --data-dir {}) ...", spec.data_dir.display());
        let spawned = Spawned::start(spec).await?;
        let probe = Some(Probe::new(spawned.pid())?);
        Ok(Self { targets: spawned.targets.clone(), probe, spawned: Some(spawned) })
    }

    /// Stops it if it was spawned.
    pub async fn close(self) -> anyhow::Result<()> {
        match self.spawned {
            Some(spawned) => spawned.stop().await,
            None => Ok(()),
        }
    }
}

/// The token issuer of the suite whose data directory is `data_dir`.
pub fn issuer(config: &Config, data_dir: &std::path::Path) -> anyhow::Result<TokenIssuer> {
    let secret = crm_kit::auth::load_or_create_secret(data_dir)?;
    Ok(TokenIssuer::new(&secret)?.with_audience(config.auth.audience.clone()))
}

/// `crm bench`.
pub async fn run(config: &Config, args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Run(args) => run_scenarios(config, args).await,
        BenchCommand::Ratios(args) => ratios::run(config, args).await,
        BenchCommand::Overload(args) => overload::run(config, args).await,
    }
}

/// The JSON record of `crm bench run`.
#[derive(Serialize)]
struct RunFile<'a> {
    command: &'static str,
    unix_time: u64,
    version: &'static str,
    machine: Machine,
    runs: &'a [RunRecord],
}

async fn run_scenarios(config: &Config, args: RunArgs) -> anyhow::Result<()> {
    let scenarios: Vec<Scenario> = if args.scenarios.is_empty() {
        Scenario::ALL.into_iter().filter(|s| s.check(args.via).is_ok()).collect()
    } else {
        args.scenarios.clone()
    };
    for scenario in &scenarios {
        scenario.check(args.via).map_err(|why| anyhow::anyhow!("{}: {why}", scenario.name()))?;
    }
    let suite = Suite::open(config, &args.suite, args.via).await?;
    let result = measure(config, &suite, &scenarios, &args).await;
    suite.close().await?;
    let records = result?;
    if let Some(path) = &args.load.json {
        let file = RunFile {
            command: "run",
            unix_time: report::unix_time(),
            version: env!("CARGO_PKG_VERSION"),
            machine: Machine::this(),
            runs: &records,
        };
        report::write_json(path, &file)?;
    }
    Ok(())
}

async fn measure(
    config: &Config,
    suite: &Suite,
    scenarios: &[Scenario],
    args: &RunArgs,
) -> anyhow::Result<Vec<RunRecord>> {
    let session =
        Session::prepare(suite.targets.clone(), issuer(config, &config.data_dir)?, args.load.sample, suite.probe)
            .await?;
    let load = args.load.load(args.load.concurrency, args.rate);
    println!("{}", report::header());
    let mut records = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let record = session.run(*scenario, args.via, &load).await?;
        println!("{}", report::row(&record));
        records.push(record);
    }
    Ok(records)
}
