//! `crm token`: mints a bearer token with the embedded signing key.

use std::time::Duration;

use clap::Args;
use crm_kit::{
    auth::{self, Role, TokenIssuer},
    config::Config,
};

/// Arguments of `crm token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Role: RELATIONSHIP_MANAGER, KEY_ACCOUNT_MANAGER, CONTACT_CENTRE_AGENT, RISK_ANALYST,
    /// MARKETING_ANALYST, ADMIN or CHANNEL.
    #[arg(long)]
    role: Role,
    /// Subject: staff id or service account.
    #[arg(long)]
    subject: String,
    /// Portfolio (defaults to the subject for relationship managers).
    #[arg(long)]
    portfolio: Option<String>,
    /// Lifetime in hours.
    #[arg(long, default_value_t = 8)]
    ttl_hours: u64,
}

/// Prints the bare token on stdout.
pub fn run(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.auth.key_file.is_none(),
        "crm token signs with the embedded key; this configuration verifies tokens from an external issuer"
    );
    let secret = auth::load_or_create_secret(&config.data_dir)?;
    let issuer = TokenIssuer::new(&secret)?.with_audience(config.auth.audience.clone());
    let ttl = Duration::from_secs(args.ttl_hours.max(1) * 3600);
    let token = issuer.mint(&args.subject, args.role, args.portfolio.as_deref(), ttl)?;
    println!("{token}");
    Ok(())
}
