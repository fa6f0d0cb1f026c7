//! The whole suite in one process (`crm up`, and end-to-end tests): the four services and
//! the gateway, each on its own listener and with its own shutdown, so one can be stopped
//! while the others go on (as when a service is down in production).

use std::{future::Future, net::SocketAddr};

use crm_kit::{
    config::{Config, ListenAddr},
    server::{self, Shutdown, ShutdownTrigger},
};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::runtime::{self, PeerUrls};

/// A service of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    /// crm.profile.v1.ClientProfileService
    Profile,
    /// crm.segmentation.v1.SegmentationService
    Segmentation,
    /// crm.scoring.v1.ValueScoringService
    Scoring,
    /// crm.interaction.v1.InteractionService
    Interaction,
    /// The gateway (gRPC, gRPC-Web, REST, client 360) in front of the configured backends.
    Gateway,
}

impl Service {
    /// Every service, in start order.
    pub const ALL: [Service; 5] =
        [Service::Profile, Service::Segmentation, Service::Scoring, Service::Interaction, Service::Gateway];

    /// Short name, as in `crm serve <name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Segmentation => "segmentation",
            Self::Scoring => "scoring",
            Self::Interaction => "interaction",
            Self::Gateway => "gateway",
        }
    }

    /// The fully qualified gRPC service it serves (the gateway serves the client view).
    pub fn grpc_name(self) -> &'static str {
        match self {
            Self::Profile => crm_profile::SERVICE_NAME,
            Self::Segmentation => crm_segmentation::SERVICE_NAME,
            Self::Scoring => crm_scoring::SERVICE_NAME,
            Self::Interaction => crm_interaction::SERVICE_NAME,
            Self::Gateway => "crm.gateway.v1.ClientViewService",
        }
    }

    /// Where it is configured to listen.
    pub fn listen(self, config: &Config) -> &ListenAddr {
        match self {
            Self::Profile => &config.profile.listen,
            Self::Segmentation => &config.segmentation.listen,
            Self::Scoring => &config.scoring.listen,
            Self::Interaction => &config.interaction.listen,
            Self::Gateway => &config.gateway.listen,
        }
    }
}

/// Starts one service on `listener`; `peers` says where the others are.
pub async fn spawn_service(
    service: Service,
    config: &Config,
    peers: Option<&PeerUrls>,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let configured = PeerUrls::from_config(config);
    let urls = peers.unwrap_or(&configured);
    Ok(match service {
        Service::Profile => spawn(crm_profile::serve(listener, runtime::profile_deps(config).await?, shutdown)),
        Service::Segmentation => {
            let deps = runtime::segmentation_deps(config, urls).await?;
            spawn(crm_segmentation::serve(listener, deps, shutdown))
        }
        Service::Scoring => spawn(crm_scoring::serve(listener, runtime::scoring_deps(config, urls).await?, shutdown)),
        Service::Interaction => {
            let deps = runtime::interaction_deps(config, urls).await?;
            spawn(crm_interaction::serve(listener, deps, shutdown))
        }
        Service::Gateway => spawn(crm_gateway::serve(listener, runtime::gateway_deps(config, peers)?, shutdown)),
    })
}

fn spawn(serve: impl Future<Output = anyhow::Result<()>> + Send + 'static) -> JoinHandle<anyhow::Result<()>> {
    tokio::spawn(serve)
}

struct Running {
    service: Service,
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: JoinHandle<anyhow::Result<()>>,
}

/// The running suite.
pub struct Suite {
    running: Vec<Running>,
}

impl Suite {
    /// Binds every listener first (so peers know each other's real ports, port 0 included),
    /// then starts every service.
    pub async fn start(config: &Config) -> anyhow::Result<Self> {
        let mut listeners = Vec::with_capacity(Service::ALL.len());
        for service in Service::ALL {
            listeners.push((service, server::bind(service.listen(config).resolve().await?).await?));
        }
        let addr_of = |wanted: Service| -> anyhow::Result<SocketAddr> {
            let (_, listener) = listeners.iter().find(|(s, _)| *s == wanted).expect("every service is bound");
            Ok(listener.local_addr()?)
        };
        let peers = PeerUrls {
            profile: PeerUrls::local(addr_of(Service::Profile)?),
            segmentation: PeerUrls::local(addr_of(Service::Segmentation)?),
            scoring: PeerUrls::local(addr_of(Service::Scoring)?),
            interaction: PeerUrls::local(addr_of(Service::Interaction)?),
        };
        let mut suite = Self { running: Vec::with_capacity(listeners.len()) };
        for (service, listener) in listeners {
            let addr = listener.local_addr()?;
            let (trigger, shutdown) = Shutdown::new();
            match spawn_service(service, config, Some(&peers), listener, shutdown).await {
                Ok(task) => suite.running.push(Running { service, addr, trigger, task }),
                Err(err) => {
                    suite.stop().await?;
                    return Err(err.context(format!("starting the {} service", service.as_str())));
                }
            }
        }
        Ok(suite)
    }

    /// Where `service` listens.
    pub fn addr(&self, service: Service) -> Option<SocketAddr> {
        self.running.iter().find(|r| r.service == service).map(|r| r.addr)
    }

    /// Where the running services are reached (the configured URL of one not running).
    pub fn peer_urls(&self, config: &Config) -> PeerUrls {
        let mut urls = PeerUrls::from_config(config);
        let local = |service: Service| self.addr(service).map(PeerUrls::local);
        for (service, url) in [
            (Service::Profile, &mut urls.profile),
            (Service::Segmentation, &mut urls.segmentation),
            (Service::Scoring, &mut urls.scoring),
            (Service::Interaction, &mut urls.interaction),
        ] {
            if let Some(found) = local(service) {
                *url = found;
            }
        }
        urls
    }

    /// Stops one service (draining it) and waits for it; the others go on.
    pub async fn stop_service(&mut self, service: Service) -> anyhow::Result<()> {
        let Some(index) = self.running.iter().position(|r| r.service == service) else { return Ok(()) };
        let running = self.running.remove(index);
        running.trigger.fire();
        running.task.await?
    }

    /// Runs until a signal (then drains everything) or until a service fails.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        if self.running.is_empty() {
            return Ok(());
        }
        let exit = {
            let first_exit = futures::future::select_all(self.running.iter_mut().map(|r| &mut r.task));
            tokio::select! {
                () = signal => None,
                (result, index, _) = first_exit => Some((index, result)),
            }
        };
        let Some((index, result)) = exit else { return self.stop().await };
        let service = self.running.remove(index).service.as_str();
        let _ = self.stop().await;
        match result {
            Ok(Ok(())) => Err(anyhow::anyhow!("the {service} service stopped unexpectedly")),
            Ok(Err(err)) => Err(err.context(format!("the {service} service failed"))),
            Err(join) => Err(anyhow::Error::from(join).context(format!("the {service} service panicked"))),
        }
    }

    /// Stops every service, the gateway first, and waits for them to drain.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for running in self.running.iter().rev() {
            running.trigger.fire();
        }
        let mut first_error = None;
        while let Some(running) = self.running.pop() {
            let outcome = running.task.await.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(err) = outcome {
                first_error.get_or_insert(err.context(format!("stopping {}", running.service.as_str())));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
