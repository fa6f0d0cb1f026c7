//! The change-feed relay to NATS JetStream (`crm relay`, or inside `crm up` / `crm serve`
//! with `[nats] relay = true`): each feed is read through its service's WatchChanges as the
//! `svc:relay` CHANNEL principal (so masked unless `[feeds] clear_value_roles` grants
//! CHANNEL) and published by the kit's relay.

use clap::Args;
use crm_kit::{
    config::Config,
    peer, relay,
    server::{Shutdown, shutdown_signal},
};
use crm_proto::crm::{
    interaction::v1::{self as interaction, interaction_service_client::InteractionServiceClient},
    profile::v1::{self as profile, client_profile_service_client::ClientProfileServiceClient},
    scoring::v1::{self as scoring, value_scoring_service_client::ValueScoringServiceClient},
};
use tokio::task::JoinHandle;

use crate::{
    runtime::{self, PeerUrls},
    suite::Service,
};

/// The services that have a change feed.
pub const FEEDS: [Service; 3] = [Service::Profile, Service::Scoring, Service::Interaction];

/// Arguments of `crm relay`.
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// Relay only these feeds (default: profile, scoring and interaction).
    #[arg(long, value_delimiter = ',')]
    feeds: Vec<Service>,
}

/// `crm relay`: relays the configured services' feeds until a signal.
pub async fn run(config: &Config, args: RelayArgs) -> anyhow::Result<()> {
    anyhow::ensure!(config.nats.enabled(), "set [nats] url (CRM__NATS__URL) to the NATS server to relay to");
    let feeds = if args.feeds.is_empty() { FEEDS.to_vec() } else { args.feeds };
    let (trigger, shutdown) = Shutdown::new();
    let tasks = spawn(config, &feeds, &PeerUrls::from_config(config), &shutdown).await?;
    shutdown_signal().await;
    trigger.fire();
    for task in tasks {
        let _ = task.await;
    }
    Ok(())
}

/// Starts relaying `feeds` (services without a feed are skipped) from the services at
/// `urls` until `shutdown`.
pub async fn spawn(
    config: &Config,
    feeds: &[Service],
    urls: &PeerUrls,
    shutdown: &Shutdown,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let js = relay::connect(&config.nats).await?;
    let auth = runtime::peer_auth(config, "relay")?;
    let mut tasks = Vec::new();
    for feed in feeds.iter().filter(|f| FEEDS.contains(f)) {
        let (js, nats, shutdown) = (js.clone(), config.nats.clone(), shutdown.clone());
        tasks.push(match feed {
            Service::Profile => {
                let client = ClientProfileServiceClient::with_interceptor(peer::channel(&urls.profile)?, auth.clone());
                let open = move |after: i64| {
                    let mut client = client.clone();
                    async move {
                        let request = profile::WatchChangesRequest { after_sequence: after };
                        Ok(client.watch_changes(request).await?.into_inner())
                    }
                };
                tokio::spawn(relay::run(js, nats, "profile", open, shutdown))
            }
            Service::Scoring => {
                let client = ValueScoringServiceClient::with_interceptor(peer::channel(&urls.scoring)?, auth.clone());
                let open = move |after: i64| {
                    let mut client = client.clone();
                    async move {
                        let request = scoring::WatchChangesRequest { after_sequence: after };
                        Ok(client.watch_changes(request).await?.into_inner())
                    }
                };
                tokio::spawn(relay::run(js, nats, "scoring", open, shutdown))
            }
            _ => {
                let channel = peer::channel(&urls.interaction)?;
                let client = InteractionServiceClient::with_interceptor(channel, auth.clone());
                let open = move |after: i64| {
                    let mut client = client.clone();
                    async move {
                        let request = interaction::WatchChangesRequest { after_sequence: after };
                        Ok(client.watch_changes(request).await?.into_inner())
                    }
                };
                tokio::spawn(relay::run(js, nats, "interaction", open, shutdown))
            }
        });
    }
    Ok(tasks)
}

/// For `crm up` and `crm serve`: the relay of `feeds` when `[nats] relay` is on.
pub async fn spawn_configured(
    config: &Config,
    feeds: &[Service],
    urls: &PeerUrls,
    shutdown: &Shutdown,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    if !(config.nats.enabled() && config.nats.relay) {
        return Ok(Vec::new());
    }
    spawn(config, feeds, urls, shutdown).await
}
