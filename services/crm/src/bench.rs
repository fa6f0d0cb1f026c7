//! `crm bench`: closed-loop latency and throughput of the profile read paths against a
//! running suite (loopback only), with hdrhistogram percentiles.
//!
//! It samples real clients first (ListClients ordered by display name, which spreads over
//! the whole id space), then runs each operation for a fixed time with N concurrent callers:
//! `GetClient` as a contact-centre agent (masked, no audit write), `GetClient` as a
//! relationship manager (unmasked tax id: every read appends an audit record), and
//! `LookupClient` by registration number as a contact-centre agent.
//!
//! `--via` picks the path: `direct` (gRPC to the profile service), `gateway` (the same gRPC
//! calls through the gateway's proxy) or `rest` (the same reads as REST/JSON through the
//! gateway's transcoder, HTTP/1.1 keep-alive). Run the gateway with
//! `CRM__GATEWAY__RATE_LIMIT_PER_SECOND=0` when benchmarking it: one bench principal would
//! otherwise be rate limited like any other.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use crm_kit::{
    auth::{self, Bearer, Role, TokenIssuer},
    config::Config,
};
use crm_proto::crm::profile::v1::{
    Client, GetClientRequest, ListClientsRequest, LookupClientRequest,
    client_profile_service_client::ClientProfileServiceClient,
};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::{Client as HttpClient, connect::HttpConnector};
use rand::{Rng, SeedableRng};
use tonic::transport::Channel;

/// Which path the calls take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    /// gRPC straight to the profile service.
    Direct,
    /// gRPC through the gateway.
    Gateway,
    /// REST/JSON through the gateway.
    Rest,
}

/// Arguments of `crm bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Address to call (default: the configured profile or gateway listen address).
    #[arg(long)]
    target: Option<String>,
    /// Path of the calls.
    #[arg(long, value_enum, default_value_t = Via::Direct)]
    via: Via,
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

fn client_for(channel: &Channel, issuer: &TokenIssuer, role: Role) -> anyhow::Result<Profiles> {
    let token = issuer.mint("bench", role, None, Duration::from_secs(3600))?;
    Ok(ClientProfileServiceClient::with_interceptor(channel.clone(), Bearer::new(&token)?))
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
    let target = args.target.clone().unwrap_or_else(|| match args.via {
        Via::Direct => config.profile.listen.url().trim_start_matches("http://").to_owned(),
        Via::Gateway | Via::Rest => config.gateway.listen.url().trim_start_matches("http://").to_owned(),
    });
    let channel = Channel::from_shared(format!("http://{target}"))?.connect().await?;
    let issuer = TokenIssuer::new(&auth::load_or_create_secret(&config.data_dir)?)?;
    let sample = Arc::new(sample_clients(client_for(&channel, &issuer, Role::MarketingAnalyst)?, args.sample).await?);
    anyhow::ensure!(!sample.is_empty(), "no clients to read: seed first (crm seed --clients N)");
    println!(
        "target {target} via {:?}; {} sampled clients; {} callers; {} s per operation",
        args.via,
        sample.len(),
        args.concurrency,
        args.seconds
    );
    // Lookups need a registration number: re-entered duplicates may have none.
    let registered: Arc<Vec<Client>> =
        Arc::new(sample.iter().filter(|c| !c.registration_number.is_empty()).cloned().collect());
    for op in [Op::GetMasked, Op::GetAudited, Op::Lookup] {
        let sample = if matches!(op, Op::Lookup) { registered.clone() } else { sample.clone() };
        let role = if matches!(op, Op::GetAudited) { Role::RelationshipManager } else { Role::ContactCentreAgent };
        let client = match args.via {
            Via::Direct | Via::Gateway => Caller::Grpc(client_for(&channel, &issuer, role)?),
            Via::Rest => Caller::Rest(RestCaller::new(&target, &issuer, role, args.concurrency)?),
        };
        let (hist, errors, elapsed) =
            measure(op, client, sample, args.concurrency, Duration::from_secs(args.seconds)).await?;
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
    client: Caller,
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
                    let ok = client.call(op, target).await;
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

/// A wildcard listen address is reachable on loopback.
/// One caller: gRPC (direct or through the gateway) or REST through the gateway.
#[derive(Clone)]
enum Caller {
    Grpc(Profiles),
    Rest(RestCaller),
}

impl Caller {
    /// Makes one call of `op` about `target`; whether it succeeded.
    async fn call(&mut self, op: Op, target: &Client) -> bool {
        match self {
            Caller::Grpc(client) => match op {
                Op::GetMasked | Op::GetAudited => client
                    .get_client(GetClientRequest { name: target.name.clone(), ..Default::default() })
                    .await
                    .is_ok(),
                Op::Lookup => client
                    .lookup_client(LookupClientRequest {
                        registration_number: target.registration_number.clone(),
                        country_code: target.country_code.clone(),
                        ..Default::default()
                    })
                    .await
                    .is_ok(),
            },
            Caller::Rest(rest) => {
                let path = match op {
                    Op::GetMasked | Op::GetAudited => format!("/v1/{}", target.name),
                    Op::Lookup => format!(
                        "/v1/clients:lookup?registration_number={}&country_code={}",
                        encode(&target.registration_number),
                        encode(&target.country_code)
                    ),
                };
                rest.get(&path).await
            }
        }
    }
}

/// REST over pooled HTTP/1.1 keep-alive connections.
#[derive(Clone)]
struct RestCaller {
    http: HttpClient<HttpConnector, Empty<bytes::Bytes>>,
    base: String,
    bearer: http::HeaderValue,
}

impl RestCaller {
    fn new(target: &str, issuer: &TokenIssuer, role: Role, connections: usize) -> anyhow::Result<Self> {
        let token = issuer.mint("bench", role, None, Duration::from_secs(3600))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HttpClient::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(connections.max(1))
            .build(connector);
        Ok(Self { http, base: format!("http://{target}"), bearer: format!("Bearer {token}").parse()? })
    }

    async fn get(&self, path: &str) -> bool {
        let Ok(request) = http::Request::get(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, self.bearer.clone())
            .body(Empty::new())
        else {
            return false;
        };
        match self.http.request(request).await {
            Ok(response) => {
                let ok = response.status().is_success();
                ok && response.into_body().collect().await.is_ok()
            }
            Err(_) => false,
        }
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
