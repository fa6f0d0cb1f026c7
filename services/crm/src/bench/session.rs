//! A bench session against one running suite: where it listens, the keys to mint tokens,
//! the fixture, and the server process to sample. [`Session::run`] measures one scenario over
//! one path; it is the library API the command and the smoke tests use.
//!
//! Every caller has its own connection (gRPC: an HTTP/2 channel each; REST: a keep-alive
//! HTTP/1.1 connection each from a pool of N), so the three paths differ only in protocol
//! and hops, not in how many connections the server juggles.

use std::{sync::Arc, time::Duration};

use crm_kit::auth::{Bearer, TokenIssuer};
use rand::{SeedableRng as _, rngs::StdRng};
use tonic::transport::Channel;

use super::{
    call::Failure,
    driver::{self, Load, Window, Work},
    fixture::{self, Fixture},
    grpc::{GrpcCaller, GrpcRoutes},
    report::RunRecord,
    rest::RestCaller,
    sampler::{Probe, Usage},
    scenario::{Scenario, Via},
};

/// Where the suite listens, `host:port` each.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    /// The profile service.
    pub profile: String,
    /// The interaction service.
    pub interaction: String,
    /// The gateway.
    pub gateway: String,
}

/// What one run (or slice of a run) recorded.
#[derive(Debug)]
pub struct Measured {
    /// The driver's outcome.
    pub outcome: driver::Outcome,
    /// The server's usage, when it was sampled.
    pub usage: Option<Usage>,
}

impl Measured {
    /// Adds a later slice of the same run.
    pub fn append(&mut self, later: Measured) -> anyhow::Result<()> {
        self.outcome.append(later.outcome)?;
        self.usage = match (self.usage, later.usage) {
            (Some(a), Some(b)) => Some(a.plus(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }
}

/// A prepared session.
pub struct Session {
    targets: Targets,
    issuer: TokenIssuer,
    fixture: Arc<Fixture>,
    probe: Option<Probe>,
}

impl Session {
    /// Samples `sample` clients and the lookup keys from the suite at `targets` (through
    /// the gateway: it is up whenever any path is); `probe` is the server process, if known.
    pub async fn prepare(
        targets: Targets,
        issuer: TokenIssuer,
        sample: usize,
        probe: Option<Probe>,
    ) -> anyhow::Result<Self> {
        let fixture = fixture::gather(lazy(&targets.gateway)?, &issuer, sample).await?;
        let missing = fixture.missing_kinds();
        if !missing.is_empty() {
            tracing::warn!(?missing, "no lookup keys of these kinds in the data: lookups skip them");
        }
        Ok(Self { targets, issuer, fixture: Arc::new(fixture), probe })
    }

    /// The fixture drawn from.
    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// The server process sampled, if any.
    pub fn probe(&self) -> Option<Probe> {
        self.probe
    }

    /// Measures `scenario` over `via` under `load`.
    pub async fn run(&self, scenario: Scenario, via: Via, load: &Load) -> anyhow::Result<RunRecord> {
        let measured = self.measure(scenario, via, load, 0).await?;
        Ok(RunRecord::new(scenario, via, scenario.role(), load, &measured.outcome, measured.usage))
    }

    /// Measures slice `slice` of a run (slices of one run draw different clients).
    pub async fn measure(&self, scenario: Scenario, via: Via, load: &Load, slice: u64) -> anyhow::Result<Measured> {
        scenario.check(via).map_err(|why| anyhow::anyhow!("{}: {why}", scenario.name()))?;
        let needs_keys = matches!(scenario, Scenario::Lookup | Scenario::ContactCentre);
        anyhow::ensure!(!needs_keys || !self.fixture.keys.is_empty(), "no lookup keys found in the suite's data");
        let role = scenario.role();
        let token = self.issuer.mint(&format!("bench-{}", scenario.name()), role, None, Duration::from_secs(3600))?;
        let bearer = Bearer::new(&token)?;
        // REST callers share one pool of keep-alive connections, one per caller.
        let rest = RestCaller::new(&self.targets.gateway, &token, load.concurrency)?;
        let label = match slice {
            0 => format!("{} via {}", scenario.name(), via_name(via)),
            n => format!("{} via {} ({})", scenario.name(), via_name(via), n + 1),
        };
        let window = Window::of(load);
        let usage = self.probe.map(|probe| probe.sample(window));
        let outcome = driver::drive(&label, load, window, |index| {
            let caller = match via {
                Via::Rest => Caller::Rest(rest.clone()),
                Via::Direct | Via::Gateway => Caller::Grpc(GrpcCaller::new(&self.routes(via)?, &bearer)),
            };
            let rng = StdRng::seed_from_u64(caller_seed(scenario, slice, index));
            Ok(ScenarioWork { scenario, fixture: self.fixture.clone(), caller, rng })
        })
        .await?;
        let usage = match usage {
            Some(task) => Some(task.await??),
            None => None,
        };
        Ok(Measured { outcome, usage })
    }

    /// Fresh connections for one gRPC caller.
    fn routes(&self, via: Via) -> anyhow::Result<GrpcRoutes> {
        let gateway = lazy(&self.targets.gateway)?;
        Ok(match via {
            Via::Direct => {
                let profile = lazy(&self.targets.profile)?;
                let health = (profile.clone(), crm_profile::SERVICE_NAME);
                GrpcRoutes { profile, interaction: lazy(&self.targets.interaction)?, gateway, health }
            }
            Via::Gateway | Via::Rest => GrpcRoutes {
                profile: gateway.clone(),
                interaction: gateway.clone(),
                health: (gateway.clone(), ""),
                gateway,
            },
        })
    }
}

/// The name of a path as the command line spells it.
pub fn via_name(via: Via) -> &'static str {
    match via {
        Via::Direct => "direct",
        Via::Gateway => "gateway",
        Via::Rest => "rest",
    }
}

/// Each caller of each slice draws its own reproducible sequence of clients.
fn caller_seed(scenario: Scenario, slice: u64, caller: usize) -> u64 {
    (scenario as u64) << 48 | slice << 32 | caller as u64
}

fn lazy(addr: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?.tcp_nodelay(true).connect_lazy())
}

enum Caller {
    Grpc(GrpcCaller),
    Rest(RestCaller),
}

struct ScenarioWork {
    scenario: Scenario,
    fixture: Arc<Fixture>,
    caller: Caller,
    rng: StdRng,
}

impl Work for ScenarioWork {
    async fn once(&mut self, n: u64) -> (u64, Result<(), Failure>) {
        let plan = self.scenario.plan(&self.fixture, &mut self.rng, n);
        if plan.is_empty() {
            return (0, Err("NOTHING_TO_CALL".into()));
        }
        let mut calls = 0;
        for call in plan {
            calls += 1;
            let result = match &mut self.caller {
                Caller::Grpc(grpc) => grpc.call(call).await,
                Caller::Rest(rest) => rest.call(call).await,
            };
            if let Err(code) = result {
                return (calls, Err(code));
            }
        }
        (calls, Ok(()))
    }
}
