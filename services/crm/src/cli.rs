//! The command line: parse, load configuration, run the command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{audit, bench, check, eval, reindex, relay, runtime, seeding, token, up};

/// The corporate client management suite.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about)]
pub(crate) struct Cli {
    /// Configuration file (default: ./crm.toml when present).
    #[arg(long, global = true, env = "CRM_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory for embedded databases and the dev signing key (overrides config).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run every service in one process (embedded SQLite by default).
    Up(up::UpArgs),
    /// Run one service.
    Serve(up::ServeArgs),
    /// Print a signed bearer token for the embedded signing key.
    Token(token::TokenArgs),
    /// Create or upgrade every service database.
    Migrate,
    /// Rebuild the profile search index and duplicate keys of every record.
    Reindex,
    /// Measure duplicate finding (precision, recall) or search against a seeded suite.
    Eval(eval::EvalArgs),
    /// Load a deterministic synthetic portfolio.
    Seed(seeding::SeedArgs),
    /// Load generator: scenarios over gRPC, through the gateway or REST, and the performance ratios.
    Bench(bench::BenchArgs),
    /// Check the audit trails (`crm audit verify`).
    Audit(audit::AuditArgs),
    /// Check the configuration and what it names: keys, databases (reachable, migrated), peers, NATS.
    Check(check::CheckArgs),
    /// Relay the services' change feeds to NATS JetStream (`[nats]` in the configuration).
    Relay(relay::RelayArgs),
}

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = crm_kit::config::Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Token(args) => token::run(&config, args),
            command => {
                // Log lines are written around the progress bars, never through them.
                let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
                let _telemetry =
                    crm_kit::telemetry::init_with_writer(&config.telemetry, || crate::progress::LogWriter, ansi)?;
                match command {
                    Command::Up(args) => up::up(config, args).await,
                    Command::Serve(args) => up::serve(config, args).await,
                    Command::Migrate => runtime::migrate(&config).await,
                    Command::Reindex => reindex::run(&config).await,
                    Command::Eval(args) => eval::run(&config, args).await,
                    Command::Seed(args) => seeding::run(&config, args).await,
                    Command::Bench(args) => bench::run(&config, args).await,
                    Command::Audit(args) => audit::run(&config, args).await,
                    Command::Relay(args) => relay::run(&config, args).await,
                    Command::Check(args) => check::run(&config, args).await,
                    Command::Token(_) => Ok(()),
                }
            }
        }
    })
}
