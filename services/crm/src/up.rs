//! `crm up` (every service in one process) and `crm serve <service>`.

use std::fmt::Write as _;

use clap::Args;
use crm_kit::{
    config::Config,
    server::{self, Shutdown, shutdown_signal},
};

use crate::{
    demo, runtime, seeding,
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
    print_banner(&config, &suite);
    suite.run_until(shutdown_signal()).await
}

/// `crm serve <service>`: one service on its configured address; peers from configuration.
pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let listener = server::bind(args.service.listen(&config).resolve().await?).await?;
    let (trigger, shutdown) = Shutdown::new();
    let mut task = suite::spawn_service(args.service, &config, None, listener, shutdown).await?;
    tokio::select! {
        () = shutdown_signal() => {
            trigger.fire();
            task.await?
        }
        result = &mut task => result?,
    }
}

/// Prints where the suite listens and ready-to-paste calls.
fn print_banner(config: &Config, suite: &Suite) {
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
    let _ = writeln!(b, "  gateway  http://{gateway}  (gRPC, gRPC-Web and REST on one port; /openapi.json)");
    for service in &Service::ALL[..4] {
        let name = service.as_str();
        let _ = writeln!(b, "  {name:<8} grpc://{}  ({}, health, reflection)", addr_of(*service), service.grpc_name());
    }
    let _ = writeln!(b, "  data     {data_dir}");
    let _ = writeln!(b);
    let _ = writeln!(b, "try it (a demo ADMIN token, valid 8 hours):");
    match demo_token(config) {
        Some(token) => {
            let _ = writeln!(b, "  TOKEN={token}");
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
        "  curl -s -H \"authorization: Bearer $TOKEN\" 'http://{gw}/v1/clients:lookup?registration_number=...&country_code=CN'"
    );
    let _ = writeln!(b, "  curl -s -H \"authorization: Bearer $TOKEN\" 'http://{gw}/v1/clients/<id>:view360'");
    let _ = writeln!(b, "  curl -s http://{gw}/openapi.json");
    let _ = writeln!(b, "  grpcurl -plaintext {addr} grpc.health.v1.Health/Check");
    // A closed stdout (`crm up | head`) must not take the servers down with it.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), b.as_bytes());
}

/// An ADMIN token for the banner, when tokens are signed with the embedded key.
fn demo_token(config: &Config) -> Option<String> {
    if config.auth.key_file.is_some() || !config.auth.algorithm.eq_ignore_ascii_case("HS256") {
        return None;
    }
    let secret = crm_kit::auth::load_or_create_secret(&config.data_dir).ok()?;
    let issuer = crm_kit::auth::TokenIssuer::new(&secret).ok()?.with_audience(config.auth.audience.clone());
    let ttl = std::time::Duration::from_secs(8 * 3600);
    issuer.mint("demo-admin", crm_kit::auth::Role::Admin, None, ttl).ok()
}
