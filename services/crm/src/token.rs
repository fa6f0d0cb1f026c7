//! `crm token`: mints a bearer token with the embedded signing key of a running suite's
//! data directory.

use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use crm_kit::{
    auth::{Role, SECRET_FILE_NAME, SecretKey, TokenIssuer},
    config::Config,
};

/// Arguments of `crm token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Role, exactly as written here: RELATIONSHIP_MANAGER, KEY_ACCOUNT_MANAGER,
    /// CONTACT_CENTRE_AGENT, RISK_ANALYST, MARKETING_ANALYST, ADMIN or CHANNEL.
    #[arg(long)]
    role: Role,
    /// Staff id or service account.
    #[arg(long)]
    subject: String,
    /// The book of clients a manager writes in (defaults to the subject).
    #[arg(long)]
    portfolio: Option<String>,
    /// Lifetime in hours (at most the configured `auth.max_lifetime_seconds`).
    #[arg(long, default_value_t = 8)]
    ttl_hours: u64,
}

/// Prints the bare token on stdout.
pub fn run(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.auth.key_file.is_none(),
        "crm token signs with the embedded key; this configuration verifies tokens from an external issuer"
    );
    let ttl = Duration::from_secs(args.ttl_hours.max(1) * 3600);
    anyhow::ensure!(
        ttl.as_secs() <= config.auth.max_lifetime_seconds,
        "--ttl-hours {} is longer than the suite accepts (auth.max_lifetime_seconds = {})",
        args.ttl_hours,
        config.auth.max_lifetime_seconds
    );
    let key_file = config.data_dir.join(SECRET_FILE_NAME);
    // Never create a key here: a token signed with a new key is one the running suite rejects.
    anyhow::ensure!(
        key_file.exists(),
        "no signing key in the data directory {} (looked for {}); start the suite first with `crm up`, \
         or point at its data directory with --data-dir (or CRM__DATA_DIR)",
        display_dir(config),
        key_file.display()
    );
    let secret = SecretKey::read_file(&key_file).context("reading the suite's signing key")?;
    let issuer = TokenIssuer::new(&secret)?.with_audience(config.auth.audience.clone());
    let token = issuer.mint(&args.subject, args.role, args.portfolio.as_deref(), ttl)?;
    println!("{token}");
    Ok(())
}

fn display_dir(config: &Config) -> String {
    std::fs::canonicalize(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone()).display().to_string()
}
