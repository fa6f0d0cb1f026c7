//! `crm eval`: measures the matching features against a running suite seeded by
//! `crm seed` — the duplicate finder's precision and recall against the true pairs in
//! `seed-duplicates.csv`, and SearchClients latency on real names.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use clap::{Args, ValueEnum};
use crm_kit::{
    auth::{self, Bearer, Role, TokenIssuer},
    config::Config,
};
use crm_proto::crm::profile::v1::{
    FindDuplicateClientsRequest, ListClientsRequest, SearchClientsRequest,
    client_profile_service_client::ClientProfileServiceClient,
};
use hdrhistogram::Histogram;
use tonic::transport::Channel;

/// What to evaluate.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Target {
    /// FindDuplicateClients over the whole portfolio vs the seeded truth.
    Duplicates,
    /// SearchClients latency and top-1 hit rate on names of real clients.
    Search,
}

/// Arguments of `crm eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// What to evaluate.
    target: Target,
    /// Profile service address (default: the configured listen address). `--target` is
    /// accepted too.
    #[arg(long, alias = "target")]
    target_addr: Option<String>,
    /// Searches to run (search).
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
}

type Profiles = ClientProfileServiceClient<tonic::service::interceptor::InterceptedService<Channel, Bearer>>;

async fn connect(config: &Config, addr: Option<&str>) -> anyhow::Result<Profiles> {
    let addr = addr.map_or_else(|| config.profile.listen.url().trim_start_matches("http://").to_owned(), str::to_owned);
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    let issuer = TokenIssuer::new(&auth::load_or_create_secret(&config.data_dir)?)?;
    let token = issuer.mint("eval", Role::MarketingAnalyst, None, Duration::from_secs(3600))?;
    let bearer = Bearer::new(&token)?.batch();
    Ok(ClientProfileServiceClient::with_interceptor(channel, bearer).max_decoding_message_size(64 << 20))
}

/// `crm eval`.
pub async fn run(config: &Config, args: EvalArgs) -> anyhow::Result<()> {
    let client = connect(config, args.target_addr.as_deref()).await?;
    match args.target {
        Target::Duplicates => duplicates(config, client).await,
        Target::Search => search(client, args.queries).await,
    }
}

async fn duplicates(config: &Config, mut client: Profiles) -> anyhow::Result<()> {
    let truth_file = config.data_dir.join("seed-duplicates.csv");
    let text = std::fs::read_to_string(&truth_file)?;
    // Every record of a company (original and its re-entries) belongs to one cluster.
    let mut cluster: HashMap<String, String> = HashMap::new();
    let mut truth: HashSet<(String, String)> = HashSet::new();
    for line in text.lines().skip(1) {
        let Some((dup, original)) = line.split_once(',') else { continue };
        cluster.insert(dup.to_owned(), original.to_owned());
        cluster.insert(original.to_owned(), original.to_owned());
        truth.insert(ordered(dup, original));
    }
    let started = Instant::now();
    let (mut found, mut correct, mut recalled) = (0usize, 0usize, HashSet::new());
    let mut token = String::new();
    loop {
        let page = client
            .find_duplicate_clients(FindDuplicateClientsRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await?
            .into_inner();
        for pair in &page.pairs {
            found += 1;
            let same = cluster.get(&pair.client).is_some_and(|c| cluster.get(&pair.other) == Some(c));
            correct += usize::from(same);
            let key = ordered(&pair.client, &pair.other);
            if truth.contains(&key) {
                recalled.insert(key);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let precision = correct as f64 / found.max(1) as f64;
    let recall = recalled.len() as f64 / truth.len().max(1) as f64;
    println!(
        "duplicates: {found} pairs reported in {:.1} s; precision {precision:.3} ({correct}/{found}); recall {recall:.3} ({}/{} seeded pairs)",
        started.elapsed().as_secs_f64(),
        recalled.len(),
        truth.len()
    );
    Ok(())
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) }
}

async fn search(mut client: Profiles, queries: usize) -> anyhow::Result<()> {
    // Real names spread over the id space: display-name order.
    let mut names = Vec::new();
    let mut token = String::new();
    while names.len() < queries {
        let page = client
            .list_clients(ListClientsRequest {
                page_size: 1000,
                page_token: token,
                order_by: "display_name".into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        names.extend(page.clients.into_iter().map(|c| (c.name, c.display_name)));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let step = (names.len() / queries.max(1)).max(1);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut runs, mut in_top) = (0usize, 0usize);
    for (name, display) in names.iter().step_by(step).take(queries) {
        let t0 = Instant::now();
        let results = client
            .search_clients(SearchClientsRequest { query: display.clone(), page_size: 10, ..Default::default() })
            .await?
            .into_inner()
            .results;
        hist.record(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX).max(1))?;
        runs += 1;
        in_top += usize::from(results.iter().any(|r| r.client.as_ref().is_some_and(|c| &c.name == name)));
    }
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "search: {runs} queries by display name, one at a time: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; the client itself in the top 10 for {:.1}%",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        hist.max() as f64 / 1000.0,
        100.0 * in_top as f64 / runs.max(1) as f64
    );
    Ok(())
}
