//! `crm bench`: closed-loop latency and throughput of the profile read paths against a
//! running suite (loopback only), with hdrhistogram percentiles.
//!
//! It samples real clients first (ListClients ordered by display name, which spreads over
//! the whole id space), then runs each operation for a fixed time with N concurrent callers:
//! `GetClient` as a contact-centre agent (masked, no audit write), `GetClient` as a
//! relationship manager (unmasked tax id: every read appends an audit record), and
//! `LookupClient` by registration number as a contact-centre agent.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use crm_kit::{
    auth::{self, Role, TokenIssuer},
    config::Config,
};
use crm_proto::crm::profile::v1::{
    Client, GetClientRequest, ListClientsRequest, LookupClientRequest,
    client_profile_service_client::ClientProfileServiceClient,
};
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use tonic::{metadata::MetadataValue, transport::Channel};

/// Arguments of `crm bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Profile service address (default: the configured listen address).
    #[arg(long)]
    target: Option<String>,
    /// Seconds per operation.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent callers.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Clients sampled to pick from.
    #[arg(long, default_value_t = 5_000)]
    sample: usize,
}

type Profiles = ClientProfileServiceClient<tonic::service::interceptor::InterceptedService<Channel, Bearer>>;

#[derive(Clone)]
struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

fn client_for(channel: &Channel, issuer: &TokenIssuer, role: Role) -> anyhow::Result<Profiles> {
    let token = issuer.mint("bench", role, None, Duration::from_secs(3600))?;
    Ok(ClientProfileServiceClient::with_interceptor(channel.clone(), Bearer(format!("Bearer {token}").parse()?)))
}

#[derive(Clone, Copy, Debug)]
enum Op {
    GetMasked,
    GetAudited,
    Lookup,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::GetMasked => "GetClient (contact centre, masked)",
            Op::GetAudited => "GetClient (RM, unmasked + audited)",
            Op::Lookup => "LookupClient by registration (contact centre)",
        }
    }
}

/// `crm bench`.
pub async fn run(config: &Config, args: BenchArgs) -> anyhow::Result<()> {
    let target = args.target.clone().unwrap_or_else(|| config.profile.listen.to_string());
    let channel = Channel::from_shared(format!("http://{target}"))?.connect().await?;
    let issuer = TokenIssuer::new(&auth::load_or_create_secret(&config.data_dir)?)?;
    let sample = Arc::new(sample_clients(client_for(&channel, &issuer, Role::MarketingAnalyst)?, args.sample).await?);
    anyhow::ensure!(!sample.is_empty(), "no clients to read: seed first (crm seed --clients N)");
    println!(
        "target {target}; {} sampled clients; {} callers; {} s per operation",
        sample.len(),
        args.concurrency,
        args.seconds
    );
    for op in [Op::GetMasked, Op::GetAudited, Op::Lookup] {
        let role = if matches!(op, Op::GetAudited) { Role::RelationshipManager } else { Role::ContactCentreAgent };
        let client = client_for(&channel, &issuer, role)?;
        let (hist, errors, elapsed) =
            measure(op, client, sample.clone(), args.concurrency, Duration::from_secs(args.seconds)).await?;
        report(op, &hist, errors, elapsed);
    }
    Ok(())
}

async fn sample_clients(mut client: Profiles, want: usize) -> anyhow::Result<Vec<Client>> {
    let mut out = Vec::with_capacity(want);
    let mut token = String::new();
    while out.len() < want {
        let page = client
            .list_clients(ListClientsRequest {
                page_size: 1000,
                page_token: token,
                order_by: "display_name".into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        out.extend(page.clients);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    out.truncate(want);
    Ok(out)
}

async fn measure(
    op: Op,
    client: Profiles,
    sample: Arc<Vec<Client>>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<(Histogram<u64>, u64, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|worker| {
            let (mut client, sample) = (client.clone(), sample.clone());
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64);
                let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let target = &sample[rng.random_range(0..sample.len())];
                    let t0 = Instant::now();
                    let ok = match op {
                        Op::GetMasked | Op::GetAudited => {
                            client.get_client(GetClientRequest { name: target.name.clone() }).await.is_ok()
                        }
                        Op::Lookup => client
                            .lookup_client(LookupClientRequest {
                                registration_number: target.registration_number.clone(),
                                country_code: target.country_code.clone(),
                                ..Default::default()
                            })
                            .await
                            .is_ok(),
                    };
                    if ok {
                        hist.record(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX).max(1))?;
                    } else {
                        errors += 1;
                    }
                }
                anyhow::Ok((hist, errors))
            })
        })
        .collect();
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for worker in workers {
        let (hist, failed) = worker.await??;
        total.add(&hist)?;
        errors += failed;
    }
    Ok((total, errors, started.elapsed()))
}

fn report(op: Op, hist: &Histogram<u64>, errors: u64, elapsed: Duration) {
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{:<48} {:>8.0} req/s  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  ({} ok, {} errors)",
        op.label(),
        hist.len() as f64 / elapsed.as_secs_f64(),
        ms(0.50),
        ms(0.90),
        ms(0.99),
        hist.max() as f64 / 1000.0,
        hist.len(),
        errors
    );
}
