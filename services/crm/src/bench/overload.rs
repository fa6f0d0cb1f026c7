//! `crm bench overload`: what callers who are let in see when the suite is offered more than
//! it can serve, and how many are turned away.
//!
//! Three runs of one scenario over one path: *unloaded* (one caller, closed loop: the
//! latency of a call that has the suite to itself), *capacity* (`--concurrency` callers,
//! closed loop: the successful calls per second the suite sustains), and *overload* (open
//! loop at `--factor` times that capacity, with enough callers that the load generator never
//! waits for a free one, so the offered rate is really offered). It prints the admitted
//! calls' p99 against the unloaded p99 and the share of calls shed with RESOURCE_EXHAUSTED
//! (HTTP 429 over REST).

use clap::Args;
use crm_kit::config::Config;
use serde::Serialize;

use super::{
    LoadArgs, Scenario, Session, Suite, SuiteArgs, Via, issuer,
    ratios::Ratio,
    report::{self, Machine, RunRecord},
};

/// Arguments of `crm bench overload`.
#[derive(Debug, Args)]
pub struct OverloadArgs {
    /// The scenario offered.
    #[arg(long, value_enum, default_value_t = Scenario::GetClient)]
    scenario: Scenario,
    /// Path of the calls.
    #[arg(long, value_enum, default_value_t = Via::Gateway)]
    via: Via,
    /// Offered rate as a multiple of the measured capacity.
    #[arg(long, default_value_t = 2.0)]
    factor: f64,
    /// Callers of the open loop (enough that none is ever waited for).
    #[arg(long, default_value_t = 512)]
    callers: usize,
    /// The admitted calls' p99 may be at most this multiple of the unloaded p99.
    #[arg(long, default_value_t = 5.0)]
    target: f64,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    suite: SuiteArgs,
}

/// The JSON record of `crm bench overload`.
#[derive(Serialize)]
struct OverloadFile {
    command: &'static str,
    unix_time: u64,
    version: &'static str,
    machine: Machine,
    factor: f64,
    offered_per_second: f64,
    shed_share: f64,
    ratio: Ratio,
    runs: Vec<RunRecord>,
}

/// `crm bench overload`.
pub async fn run(config: &Config, args: OverloadArgs) -> anyhow::Result<()> {
    args.scenario.check(args.via).map_err(|why| anyhow::anyhow!("{}: {why}", args.scenario.name()))?;
    let suite = Suite::open(config, &args.suite, args.via).await?;
    let measured = measure(config, &suite, &args).await;
    suite.close().await?;
    let file = measured?;
    println!();
    println!(
        "offered {:.0}/s ({}× capacity): {:.1}% shed",
        file.offered_per_second,
        args.factor,
        file.shed_share * 100.0
    );
    println!("{}", Ratio::header());
    println!("{}", file.ratio.row());
    if let Some(path) = &args.load.json {
        report::write_json(path, &file)?;
    }
    Ok(())
}

async fn measure(config: &Config, suite: &Suite, args: &OverloadArgs) -> anyhow::Result<OverloadFile> {
    let session =
        Session::prepare(suite.targets.clone(), issuer(config, &config.data_dir)?, args.load.sample, suite.probe)
            .await?;
    println!("{}", report::header());
    let run = async |load| -> anyhow::Result<RunRecord> {
        let record = session.run(args.scenario, args.via, &load).await?;
        println!("{}", report::row(&record));
        Ok(record)
    };
    let unloaded = run(args.load.load(1, None)).await?;
    let capacity = run(args.load.load(args.load.concurrency, None)).await?;
    let offered = capacity.throughput * args.factor.max(0.01);
    let overload = run(args.load.load(args.callers, Some(offered))).await?;
    let shed = overload.errors.get("RESOURCE_EXHAUSTED").copied().unwrap_or(0)
        + overload.errors.get("HTTP 429").copied().unwrap_or(0);
    let shed_share = shed as f64 / overload.iterations.max(1) as f64;
    let ratio = Ratio::at_most(
        "admitted p99 at the offered rate / unloaded p99 (ms)",
        overload.latency_ms.p99,
        unloaded.latency_ms.p99,
        args.target,
    );
    Ok(OverloadFile {
        command: "overload",
        unix_time: report::unix_time(),
        version: env!("CARGO_PKG_VERSION"),
        machine: Machine::this(),
        factor: args.factor,
        offered_per_second: offered,
        shed_share,
        ratio,
        runs: vec![unloaded, capacity, overload],
    })
}
