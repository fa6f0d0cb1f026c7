//! `crm up` (every service in one process) and `crm serve <service>`.

use std::fmt::Write as _;

use clap::{Args, ValueEnum};
use crm_kit::{
    config::Config,
    server::{self, Shutdown, shutdown_signal},
};

use crate::{runtime, seeding};

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

/// Services `crm serve` can run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Service {
    /// crm.profile.v1.ClientProfileService
    Profile,
    /// The gateway (gRPC, gRPC-Web, REST, client 360) in front of the configured backends.
    Gateway,
}

/// Arguments of `crm serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which service.
    service: Service,
}

/// `crm up`.
pub async fn up(config: Config, args: UpArgs) -> anyhow::Result<()> {
    let deps = runtime::profile_deps(&config).await?;
    if args.demo {
        seeding::ensure_demo(&config, &deps.db, args.demo_clients).await?;
    }
    let listener = server::bind(config.profile.listen).await?;
    let addr = listener.local_addr()?;
    let gateway_deps = runtime::gateway_deps(&config, Some(addr))?;
    let gateway_listener = server::bind(config.gateway.listen).await?;
    let gateway_addr = gateway_listener.local_addr()?;
    print_banner(&config, addr, gateway_addr);
    run_until_signal(|shutdown| async move {
        let profile = crm_profile::serve(listener, deps, shutdown.clone());
        let gateway = crm_gateway::serve(gateway_listener, gateway_deps, shutdown);
        tokio::try_join!(profile, gateway).map(|_| ())
    })
    .await
}

/// `crm serve <service>`.
pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    match args.service {
        Service::Profile => {
            let deps = runtime::profile_deps(&config).await?;
            let listener = server::bind(config.profile.listen).await?;
            run_until_signal(|shutdown| crm_profile::serve(listener, deps, shutdown)).await
        }
        Service::Gateway => {
            let deps = runtime::gateway_deps(&config, None)?;
            let listener = server::bind(config.gateway.listen).await?;
            run_until_signal(|shutdown| crm_gateway::serve(listener, deps, shutdown)).await
        }
    }
}

/// Runs the servers until SIGINT/SIGTERM, then lets them drain; fails if a server fails.
async fn run_until_signal<F>(start: impl FnOnce(Shutdown) -> F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (trigger, shutdown) = Shutdown::new();
    let mut task = tokio::spawn(start(shutdown));
    tokio::select! {
        () = shutdown_signal() => {
            trigger.fire();
            task.await?
        }
        result = &mut task => result?,
    }
}

/// Prints where the suite listens and ready-to-paste calls.
fn print_banner(config: &Config, addr: std::net::SocketAddr, gateway: std::net::SocketAddr) {
    let data_dir = config.data_dir.display();
    // Paste-ready addresses: a wildcard listen address is reachable on loopback.
    let local = |a: std::net::SocketAddr| {
        if a.ip().is_unspecified() { std::net::SocketAddr::from(([127, 0, 0, 1], a.port())) } else { a }
    };
    let gw = local(gateway);
    let mut b = String::new();
    let _ = writeln!(b, "crm suite is up");
    let _ = writeln!(b, "  gateway  http://{gateway}  (gRPC, gRPC-Web and REST on one port; /openapi.json)");
    let _ = writeln!(b, "  profile  grpc://{addr}  (crm.profile.v1.ClientProfileService, health, reflection)");
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
