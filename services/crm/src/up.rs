//! `crm up` (every service in one process) and `crm serve <service>`.

use std::{
    fmt::Write as _,
    io::IsTerminal as _,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context as _;
use clap::Args;
use crm_kit::{
    auth::{Bearer, Role, TokenIssuer},
    config::Config,
    server::{self, Shutdown, shutdown_signal},
};
use crm_proto::crm::{
    profile::v1::{GetClientRequest, ListContactsRequest, client_profile_service_client::ClientProfileServiceClient},
    scoring::v1::{ListValueScoresRequest, Tier, value_scoring_service_client::ValueScoringServiceClient},
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    demo, relay, runtime, seeding,
    showcase::{self, DemoClient},
    suite::{self, Service, Suite},
};

/// Arguments of `crm up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Load a deterministic demo portfolio first (only into an empty database).
    #[arg(long)]
    demo: bool,
    /// Size of the demo portfolio.
    #[arg(long, default_value_t = 10_000)]
    demo_clients: u64,
}

/// Arguments of `crm serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which service.
    service: Service,
}

/// `crm up`.
pub async fn up(config: Config, args: UpArgs) -> anyhow::Result<()> {
    if args.demo {
        let db = runtime::profile_db(&config).await?;
        seeding::ensure_demo(&config, &db, args.demo_clients).await?;
        db.close().await;
    }
    let suite = Suite::start(&config).await?;
    if args.demo {
        // Ctrl-C while the demo loads stops the suite cleanly, as it would once it runs.
        let loaded = tokio::select! {
            loaded = demo::ensure(&config, &suite, args.demo_clients) => loaded,
            () = shutdown_signal() => return suite.stop().await,
        };
        if let Err(err) = loaded {
            let _ = suite.stop().await;
            return Err(err.context("loading the demo data of segmentation, scoring and interaction"));
        }
    }
    let console = if args.demo { Some(DemoSignIn::prepare(&config, &suite).await) } else { None };
    let (extras_stop, extras_shutdown) = Shutdown::new();
    let metrics = spawn_metrics(&config, &extras_shutdown).await?;
    let urls = suite.peer_urls(&config);
    let relays = match relay::spawn_configured(&config, &relay::FEEDS, &urls, &extras_shutdown).await {
        Ok(relays) => relays,
        Err(err) => {
            let _ = suite.stop().await;
            return Err(err.context("starting the change-feed relay"));
        }
    };
    let named = if args.demo { named_demo_clients(&config, &suite).await } else { Vec::new() };
    print_banner(&config, &suite, console.as_ref(), &named);
    let result = suite.run_until(shutdown_signal()).await;
    extras_stop.fire();
    for relay in relays {
        let _ = relay.await;
    }
    if let Some(metrics) = metrics {
        metrics.await??;
    }
    result
}

/// `crm serve <service>`: one service on its configured address; peers from configuration.
pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let listener = server::bind(args.service.listen(&config).resolve().await?).await?;
    let (trigger, shutdown) = Shutdown::new();
    let metrics = spawn_metrics(&config, &shutdown).await?;
    // The relay of this service's own feed, read from this process.
    let mut urls = runtime::PeerUrls::from_config(&config);
    let own = runtime::PeerUrls::local(listener.local_addr()?);
    match args.service {
        Service::Profile => urls.profile = own,
        Service::Scoring => urls.scoring = own,
        Service::Interaction => urls.interaction = own,
        _ => {}
    }
    let relays = relay::spawn_configured(&config, &[args.service], &urls, &shutdown).await?;
    let mut task = suite::spawn_service(args.service, &config, None, listener, shutdown).await?;
    let result = tokio::select! {
        () = shutdown_signal() => {
            trigger.fire();
            task.await?
        }
        result = &mut task => result?,
    };
    trigger.fire();
    for relay in relays {
        let _ = relay.await;
    }
    if let Some(metrics) = metrics {
        metrics.await??;
    }
    result
}

/// Serves `/metrics`, `/livez` and `/readyz` on `[metrics] listen`, when set, until `shutdown`.
pub async fn spawn_metrics(
    config: &Config,
    shutdown: &Shutdown,
) -> anyhow::Result<Option<tokio::task::JoinHandle<anyhow::Result<()>>>> {
    let Some(addr) = &config.metrics.listen else { return Ok(None) };
    let listener = server::bind(addr.resolve().await?).await.context("the metrics address ([metrics] listen)")?;
    Ok(Some(tokio::spawn(crm_kit::metrics::serve(listener, shutdown.clone()))))
}

/// The demo clients the banner names (none, with a warning, if they cannot be read).
async fn named_demo_clients(config: &Config, suite: &Suite) -> Vec<DemoClient> {
    showcase::find(config, suite).await.unwrap_or_else(|err| {
        tracing::warn!(error = %format!("{err:#}"), "could not read the named demo clients");
        Vec::new()
    })
}

/// Prints where the suite listens and ready-to-paste calls. Working tokens are printed only
/// to a terminal: piped or redirected output (logs, CI) gets the path of the 0600 file that
/// holds them, or the command that mints one.
fn print_banner(config: &Config, suite: &Suite, console: Option<&DemoSignIn>, named: &[DemoClient]) {
    let unbound = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let addr_of = |service: Service| suite.addr(service).unwrap_or(unbound);
    let (addr, gateway) = (addr_of(Service::Profile), addr_of(Service::Gateway));
    let data_dir = config.data_dir.display();
    // Paste-ready addresses: a wildcard listen address is reachable on loopback.
    let local = |a: std::net::SocketAddr| {
        if a.ip().is_unspecified() { std::net::SocketAddr::from(([127, 0, 0, 1], a.port())) } else { a }
    };
    let gw = local(gateway);
    let mut b = String::new();
    let _ = writeln!(b, "crm suite is up");
    let _ = writeln!(b, "  gateway  http://{gateway}  (gRPC, gRPC-Web and REST on one port; /openapi.json, /metrics)");
    for service in &Service::ALL[..4] {
        let name = service.as_str();
        let _ = writeln!(b, "  {name:<8} grpc://{}  ({}, health, reflection)", addr_of(*service), service.grpc_name());
    }
    let _ = writeln!(b, "  data     {data_dir}");
    let _ = writeln!(b);
    let terminal = std::io::stdout().is_terminal();
    if let Some(console) = console {
        console.write_banner(&mut b, gw, terminal);
    }
    showcase::banner(named, &mut b);
    let _ = writeln!(b, "try it (a demo ADMIN token, valid 8 hours):");
    match demo_token(config).filter(|_| terminal) {
        Some(token) => {
            let _ = writeln!(b, "  TOKEN={token}");
        }
        None if console.is_some_and(|c| c.file.exists()) => {
            let file = console.map(|c| c.file.display().to_string()).unwrap_or_default();
            let _ = writeln!(b, "  TOKEN=$(sed -n 's/^ADMIN=//p' {file})");
        }
        None => {
            let _ = writeln!(
                b,
                "  TOKEN=$(cargo run --release -q -p crm -- token --data-dir {data_dir} --role ADMIN --subject demo-admin)"
            );
        }
    }
    let _ = writeln!(b, "  grpcurl -plaintext {gw} list");
    let _ = writeln!(b, "  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"page_size\": 3}}' \\");
    let _ = writeln!(b, "      {gw} crm.profile.v1.ClientProfileService/ListClients");
    let _ = writeln!(b, "  curl -s -H \"authorization: Bearer $TOKEN\" 'http://{gw}/v1/clients?page_size=3'");
    let _ = writeln!(
        b,
        "  curl -s -H \"authorization: Bearer $TOKEN\" 'http://{gw}/v1/clients:lookup?registration_number={}&country_code={}'",
        named.first().map_or("...", |c| c.registration_number.as_str()),
        named.first().map_or("CN", |c| c.country_code.as_str()),
    );
    if let Some(client) = named.first() {
        let _ = writeln!(b, "  curl -s -H \"authorization: Bearer $TOKEN\" 'http://{gw}/v1/{}:view360'", client.name);
    }
    let _ = writeln!(b, "  curl -s http://{gw}/openapi.json");
    let _ = writeln!(b, "  grpcurl -plaintext {addr} grpc.health.v1.Health/Check");
    // A closed stdout (`crm up | head`) must not take the servers down with it.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), b.as_bytes());
}

/// An ADMIN token for the banner, when tokens are signed with the embedded key.
fn demo_token(config: &Config) -> Option<String> {
    demo_issuer(config)?.mint("demo-admin", Role::Admin, None, DEMO_TOKEN_TTL).ok()
}

/// How long the banner's demo tokens are valid.
const DEMO_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

/// The browser console's sign-in for `crm up --demo`: one token per role, the relationship
/// and key-account managers' for the book of a demo manager who has a key account, and a
/// caller-ID link that pops one of that book's clients.
struct DemoSignIn {
    /// `(role, token)` in the order printed.
    tokens: Vec<(Role, String)>,
    /// The demo managers' book (`relationship_manager`).
    portfolio: String,
    /// A contact phone (E.164) of a client in that book, for the screen-pop link.
    phone: Option<String>,
    /// Where the tokens are written when stdout is not a terminal.
    file: PathBuf,
}

/// File in the data directory (mode 0600) that holds the demo tokens.
const TOKENS_FILE: &str = "console-demo-tokens.env";

/// The book used when no scored key account can be found (the demo's first manager).
const FALLBACK_PORTFOLIO: &str = "rm-0001";

impl DemoSignIn {
    async fn prepare(config: &Config, suite: &Suite) -> Self {
        let (portfolio, phone) = match demo_book(config, suite).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "no demo book with a key account; using {FALLBACK_PORTFOLIO}");
                (FALLBACK_PORTFOLIO.to_owned(), None)
            }
        };
        let mut tokens = Vec::new();
        if let Some(issuer) = demo_issuer(config) {
            for (role, subject) in CONSOLE_ROLES {
                let book =
                    matches!(role, Role::RelationshipManager | Role::KeyAccountManager).then_some(portfolio.as_str());
                if let Ok(token) = issuer.mint(subject, role, book, DEMO_TOKEN_TTL) {
                    tokens.push((role, token));
                }
            }
        }
        Self { tokens, portfolio, phone, file: config.data_dir.join(TOKENS_FILE) }
    }

    /// Adds the console's lines to the banner: the tokens themselves on a terminal, else the
    /// path of the file they were written to.
    fn write_banner(&self, b: &mut String, gateway: SocketAddr, terminal: bool) {
        let url = format!("http://{gateway}/console");
        let _ = writeln!(b, "console  {url}  (sign in by pasting a token; press / to search)");
        if let Some(phone) = &self.phone {
            let _ = writeln!(b, "  screen pop:  {url}/pop?phone={}", phone.replace('+', "%2B"));
        }
        if self.tokens.is_empty() {
            let _ =
                writeln!(b, "  (tokens: `crm token --role ROLE --subject NAME`; this suite's keys are not embedded)");
        } else if terminal {
            let _ = writeln!(b, "  demo tokens, valid 8 hours (managers' book: {}):", self.portfolio);
            for (role, token) in &self.tokens {
                let _ = writeln!(b, "  {:<21} {token}", role.as_str());
            }
        } else {
            match self.write_file(&url) {
                Ok(()) => {
                    let _ = writeln!(b, "  demo tokens per role (valid 8 hours): {}", self.file.display());
                }
                Err(err) => {
                    let _ = writeln!(b, "  demo tokens not written to {}: {err:#}", self.file.display());
                }
            }
        }
        let _ = writeln!(b);
    }

    /// `ROLE=token` lines (shell-sourceable), in a file only its owner can read.
    fn write_file(&self, url: &str) -> anyhow::Result<()> {
        let mut text = format!("# crm up --demo: console sign-in tokens, valid 8 hours\nCONSOLE_URL={url}\n");
        let _ = writeln!(text, "PORTFOLIO={}", self.portfolio);
        if let Some(phone) = &self.phone {
            let _ = writeln!(text, "POP_PHONE={phone}");
        }
        for (role, token) in &self.tokens {
            let _ = writeln!(text, "{}={token}", role.as_str());
        }
        write_private(&self.file, text.as_bytes())
    }
}

/// The roles the console is for, with the subject of each demo user.
const CONSOLE_ROLES: [(Role, &str); 6] = [
    (Role::ContactCentreAgent, "demo-agent"),
    (Role::RelationshipManager, "demo-rm"),
    (Role::KeyAccountManager, "demo-kam"),
    (Role::MarketingAnalyst, "demo-marketing"),
    (Role::RiskAnalyst, "demo-risk"),
    (Role::Admin, "demo-admin"),
];

fn demo_issuer(config: &Config) -> Option<TokenIssuer> {
    if config.auth.key_file.is_some() || !config.auth.algorithm.eq_ignore_ascii_case("HS256") {
        return None;
    }
    let secret = crm_kit::auth::load_or_create_secret(&config.data_dir).ok()?;
    Some(TokenIssuer::new(&secret).ok()?.with_audience(config.auth.audience.clone()))
}

/// The manager of a scored key account, and a contact phone of that client.
async fn demo_book(config: &Config, suite: &Suite) -> anyhow::Result<(String, Option<String>)> {
    let issuer = demo_issuer(config).context("tokens are not signed with the embedded key")?;
    let bearer = Bearer::new(&issuer.mint("system:console-demo", Role::Admin, None, Duration::from_secs(60))?)?;
    let channel = |service: Service| -> anyhow::Result<InterceptedService<Channel, Bearer>> {
        let addr = suite.addr(service).context("service not running")?;
        Ok(InterceptedService::new(Channel::from_shared(format!("http://{addr}"))?.connect_lazy(), bearer.clone()))
    };
    let mut scoring = ValueScoringServiceClient::new(channel(Service::Scoring)?);
    let mut profiles = ClientProfileServiceClient::new(channel(Service::Profile)?);
    let request = ListValueScoresRequest { page_size: 20, tier: Tier::KeyAccount as i32, ..Default::default() };
    for score in scoring.list_value_scores(request).await?.into_inner().value_scores {
        let client = profiles.get_client(GetClientRequest { name: score.client.clone(), ..Default::default() }).await?;
        let rm = client.into_inner().relationship_manager;
        if rm.is_empty() {
            continue;
        }
        let contacts = ListContactsRequest { parent: score.client, page_size: 5, ..Default::default() };
        let phone = profiles
            .list_contacts(contacts)
            .await?
            .into_inner()
            .contacts
            .into_iter()
            .map(|c| c.phone)
            .find(|p| !p.is_empty());
        return Ok((rm, phone));
    }
    anyhow::bail!("no scored key account has a relationship manager")
}

/// Replaces `path` with `contents`, readable and writable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, contents)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(dir: &Path) -> DemoSignIn {
        DemoSignIn {
            tokens: vec![(Role::Admin, "header.claims.signature".into())],
            portfolio: "rm-0042".into(),
            phone: Some("+8613800138000".into()),
            file: dir.join(TOKENS_FILE),
        }
    }

    #[test]
    fn tokens_reach_a_terminal_but_only_a_private_file_otherwise() {
        let dir = std::env::temp_dir().join(format!("crm-console-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let demo = sign_in(&dir);
        let gateway = SocketAddr::from(([127, 0, 0, 1], 8080));

        let mut shown = String::new();
        demo.write_banner(&mut shown, gateway, true);
        assert!(shown.contains("header.claims.signature"), "{shown}");
        assert!(shown.contains("http://127.0.0.1:8080/console/pop?phone=%2B8613800138000"), "{shown}");
        assert!(!demo.file.exists(), "nothing written when the tokens were shown");

        let mut piped = String::new();
        demo.write_banner(&mut piped, gateway, false);
        assert!(!piped.contains("header.claims.signature"), "{piped}");
        assert!(piped.contains(&demo.file.display().to_string()), "{piped}");
        let text = std::fs::read_to_string(&demo.file).expect("tokens file");
        assert!(text.contains("ADMIN=header.claims.signature\n"), "{text}");
        assert!(text.contains("PORTFOLIO=rm-0042\n"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&demo.file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // A second start replaces the file (new tokens), still private.
        demo.write_banner(&mut String::new(), gateway, false);
        assert!(demo.file.exists());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
