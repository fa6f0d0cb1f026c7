//! `crm up` (every service in one process) and `crm serve <service>`.

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
    print_banner(&config, addr);
    run_until_signal(|shutdown| crm_profile::serve(listener, deps, shutdown)).await
}

/// `crm serve <service>`.
pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    match args.service {
        Service::Profile => {
            let deps = runtime::profile_deps(&config).await?;
            let listener = server::bind(config.profile.listen).await?;
            run_until_signal(|shutdown| crm_profile::serve(listener, deps, shutdown)).await
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

fn print_banner(config: &Config, addr: std::net::SocketAddr) {
    let data_dir = config.data_dir.display();
    println!("crm suite is up");
    println!("  profile  grpc://{addr}  (crm.profile.v1.ClientProfileService, health, reflection)");
    println!("  data     {data_dir}");
    println!();
    println!("try it:");
    println!(
        "  TOKEN=$(cargo run --release -q -p crm -- token --data-dir {data_dir} --role ADMIN --subject demo-admin)"
    );
    println!("  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"page_size\": 3}}' \\");
    println!("      {addr} crm.profile.v1.ClientProfileService/ListClients");
    println!("  grpcurl -plaintext {addr} grpc.health.v1.Health/Check");
}
