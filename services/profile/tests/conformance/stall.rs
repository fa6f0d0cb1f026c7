//! Conformance: the CEL stall of the security review, replayed. Two contact-centre agents
//! send ListClients filters made of comprehensions nested over literal lists; health checks
//! and another caller's reads go on being answered at once.
//!
//! The report's filter (four levels) is refused for its estimated cost before it runs. One
//! level less is accepted and costly on every record (about a thousand steps each, none
//! short-circuited): it is evaluated off the async workers, so the server keeps serving.

use std::time::Duration;

use crm_kit::auth::Role;
use crm_proto::crm::profile::v1::{Client, ClientImport, GetClientRequest, ImportClientsRequest, ListClientsRequest};
use tokio::time::Instant;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::support::{TestApp, conformance, violations};

const TEN: &str = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
/// Clients the costly filters run over.
const CLIENTS: usize = 1_000;
/// The slowest answer a health check or another caller's read may take meanwhile.
const UNAFFECTED: Duration = Duration::from_secs(2);

fn nested(levels: usize) -> String {
    let vars = ["a", "b", "c", "d", "e"];
    let sum = vars[..levels].join(" + ");
    (0..levels).rev().fold(format!("{sum} < 0"), |inner, i| format!("{TEN}.exists({}, {inner})", vars[i]))
}

async fn seed(app: &TestApp) -> String {
    let mut first = None;
    for batch in 0..CLIENTS / 1000 {
        let clients = (0..1000)
            .map(|i| ClientImport {
                client: Some(Client {
                    name: format!("clients/stall-{batch}-{i:04}"),
                    display_name: format!("Stall {batch}-{i}"),
                    registration_number: format!("ST{batch}{i:05}"),
                    country_code: "GB".into(),
                    industry_code: "4690".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        let imported = app
            .admin()
            .import_clients(ImportClientsRequest { clients, request_id: String::new() })
            .await
            .expect("import")
            .into_inner();
        first.get_or_insert(imported.names[0].clone());
    }
    first.expect("a client")
}

conformance!(costly_filters_stall_neither_health_checks_nor_other_callers, async |app: &TestApp| {
    let some_client = seed(app).await;
    let agent = |n: usize| app.client_as(Role::ContactCentreAgent, &format!("cc-{n}"), None);

    // The filter of the report (about 130 characters): refused before it runs.
    let report = nested(4);
    let started = Instant::now();
    let refused = agent(0).list_clients(ListClientsRequest { filter: report, ..Default::default() }).await;
    let err = refused.expect_err("too costly");
    assert_eq!((err.code(), violations(&err)), (Code::InvalidArgument, vec!["filter".to_owned()]));
    assert!(started.elapsed() < UNAFFECTED, "refused at once, not after evaluating");

    // Two agents with the costliest shape still accepted, over every client.
    let heavy = nested(3);
    let calls: Vec<_> = (1..=2)
        .map(|n| {
            let mut client = agent(n);
            let request = ListClientsRequest { filter: heavy.clone(), page_size: 1000, ..Default::default() };
            tokio::spawn(async move {
                let started = Instant::now();
                // Other scenarios of this process evaluate filters too: a call refused because
                // every evaluation slot stayed taken for the server's 2 s wait is retried, as
                // its EVALUATION_BUSY answer asks.
                let mut attempts = 0;
                let page = loop {
                    match client.list_clients(request.clone()).await {
                        Ok(page) => break page.into_inner(),
                        Err(busy) if busy.code() == Code::ResourceExhausted && attempts < 15 => attempts += 1,
                        Err(err) => panic!("an accepted filter runs: {err:?}"),
                    }
                };
                (page.clients.len(), started.elapsed())
            })
        })
        .collect();

    // Meanwhile: health checks and another caller's reads, one after the other.
    let mut health = HealthClient::new(app.channel());
    let mut reader = app.admin();
    let (mut probes, mut slowest) = (0u32, Duration::ZERO);
    while calls.iter().any(|c| !c.is_finished()) {
        let started = Instant::now();
        let check = health.check(HealthCheckRequest { service: String::new() }).await.expect("health").into_inner();
        assert_eq!(check.status, ServingStatus::Serving as i32);
        reader.get_client(GetClientRequest { name: some_client.clone(), ..Default::default() }).await.expect("read");
        slowest = slowest.max(started.elapsed());
        probes += 1;
    }
    let mut took = Vec::new();
    for call in calls {
        let (matched, elapsed) = call.await.expect("agent");
        assert_eq!(matched, 0, "nothing matches a sum of naturals below zero");
        took.push(elapsed);
    }
    eprintln!(
        "CEL stall replay: report filter refused; two accepted costly filters took {took:?} over {CLIENTS} clients; \
         {probes} health checks + reads meanwhile, slowest {slowest:?}"
    );
    assert!(probes > 0, "the filters ran long enough to be probed");
    assert!(slowest < UNAFFECTED, "a health check and a read took {slowest:?} while the filters ran");
});
