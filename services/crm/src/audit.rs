//! `crm audit verify`: checks every service's audit trail — each record against its
//! predecessor and its keyed hash, the head row, and the checkpoints written outside the
//! database — and names the first bad record. Exits non-zero when any trail fails.

use clap::{Args, Subcommand};
use crm_kit::{audit, config::Config, db::Db};

use crate::runtime::DATABASES;

/// Arguments of `crm audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify every service's audit trail.
    Verify,
}

/// `crm audit verify`.
pub async fn run(config: &Config, args: AuditArgs) -> anyhow::Result<()> {
    let AuditCommand::Verify = args.command;
    let mut failed = Vec::new();
    for (name, service, file) in DATABASES {
        let db_config = config.database(service(config), file)?;
        if let Some(path) = db_config.url.strip_prefix("sqlite:") {
            anyhow::ensure!(
                std::path::Path::new(path).exists(),
                "{name}: no database at {path}; is --data-dir the suite's data directory?"
            );
        }
        let db = Db::connect(&db_config).await?;
        let report = audit::verify(db.reader(), db.seal(), None).await;
        db.close().await;
        let report = report.map_err(|err| {
            anyhow::anyhow!("{name}: cannot read the audit trail ({err}); is the database migrated (crm migrate)?")
        })?;
        let checkpoints = match report.last_checkpoint {
            Some(last) => format!("{} checkpoints (last at record {last})", report.checkpoints),
            None => "no checkpoint yet".to_owned(),
        };
        match report.first_bad() {
            None => println!(
                "{name:<13} ok      {} records ({} unkeyed), {checkpoints}",
                report.records, report.legacy_records
            ),
            Some(finding) => {
                println!("{name:<13} FAILED  record {}: {}", finding.sequence, finding.problem);
                failed.push(name);
            }
        }
    }
    anyhow::ensure!(failed.is_empty(), "the audit trail of {} failed verification", failed.join(", "));
    Ok(())
}
