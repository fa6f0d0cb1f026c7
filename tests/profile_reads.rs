//! Two profile reads the client 360 view builds on, each on its own through the gateway
//! (gRPC and REST): `BatchGetClients` (request order, every missing name refused) and
//! `ListFinancialStatements` (newest period first, in pages).

use crm_e2e::{Running, portfolio, start};
use crm_kit::auth::Role;
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, Client, ListFinancialStatementsRequest,
    client_profile_service_client::ClientProfileServiceClient,
};
use http::{Method, StatusCode};
use serde_json::Value;
use tonic_types::StatusExt as _;

/// `n` new clients named after `label` (a digit: tax ids stay unique across calls).
async fn clients(running: &Running, label: u8, n: u8) -> Vec<Client> {
    let mut created = Vec::new();
    for i in 0..n {
        let client = Client {
            display_name: format!("Client {label}-{i}"),
            country_code: "CN".into(),
            tax_id: format!("913100001234567{label}{i}X"),
            relationship_manager: "rm-e2e".into(),
            ..Default::default()
        };
        created.push(portfolio::create_client(running, client).await);
    }
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_get_clients_keeps_request_order_and_refuses_a_missing_name() {
    let running = start().await;
    let created = clients(&running, 1, 3).await;
    let (a, b, c) = (&created[0].name, &created[1].name, &created[2].name);
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);

    // Request order, not creation order; a name asked twice comes back twice.
    let names = vec![c.clone(), a.clone(), b.clone(), a.clone()];
    let found = profiles
        .batch_get_clients(BatchGetClientsRequest { names: names.clone() })
        .await
        .expect("batch get")
        .into_inner();
    assert_eq!(found.clients.iter().map(|c| &c.name).collect::<Vec<_>>(), names.iter().collect::<Vec<_>>());
    assert_eq!(found.clients[0], created[2], "the whole record, as GetClient returns it to an admin");

    // REST: repeated query parameters, in order.
    let path = format!("/v1/clients:batchGet?names={b}&names={c}");
    let json = running.rest_ok(Method::GET, &path, Role::Admin, None).await;
    let got: Vec<&Value> = json["clients"].as_array().expect("clients").iter().map(|c| &c["name"]).collect();
    assert_eq!(got, [b.as_str(), c.as_str()], "{json}");

    // One missing name fails the whole call, naming it (no partial answer).
    let missing = "clients/does-not-exist".to_owned();
    let refused = profiles
        .batch_get_clients(BatchGetClientsRequest { names: vec![a.clone(), missing.clone(), b.clone()] })
        .await
        .expect_err("a missing client");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{refused:?}");
    let info = refused.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "RESOURCE_NOT_FOUND");
    assert_eq!(info.metadata.get("resource"), Some(&missing), "{info:?}");
    let path = format!("/v1/clients:batchGet?names={a}&names={missing}");
    let response = running.rest(Method::GET, &path, Role::Admin, None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{response:?}");
    assert_eq!(response.json()["error"]["details"][0]["metadata"]["resource"], missing);

    // A malformed name is a field violation naming its position; more than 1000 are refused.
    let malformed = profiles
        .batch_get_clients(BatchGetClientsRequest { names: vec![a.clone(), "contacts/x".into()] })
        .await
        .expect_err("malformed");
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    assert_eq!(crm_testkit::violations(&malformed), ["names[1]"]);
    let too_many = BatchGetClientsRequest { names: vec![a.clone(); 1001] };
    let refused = profiles.batch_get_clients(too_many).await.expect_err("too many");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(crm_testkit::violations(&refused), ["names"]);

    running.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn financial_statements_are_listed_newest_first_in_pages() {
    let running = start().await;
    let client = clients(&running, 1, 1).await.remove(0).name;
    let other = clients(&running, 2, 1).await.remove(0).name;
    // Recorded out of order: FY2023, 2025-H1, FY2021, FY2024, FY2022.
    let figures = [800, 96, 240, 300, 200, 12];
    for (period, end) in [
        ("FY2023", 1_703_980_800),
        ("2025-H1", 1_751_241_600),
        ("FY2021", 1_640_908_800),
        ("FY2024", 1_735_603_200),
        ("FY2022", 1_672_444_800),
    ] {
        portfolio::statement(&running, &client, period, end, figures).await;
    }
    portfolio::statement(&running, &other, "FY2024", 1_735_603_200, figures).await;
    let mut profiles = running.client(Role::RelationshipManager, ClientProfileServiceClient::new);

    let mut periods = Vec::new();
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let request = ListFinancialStatementsRequest { parent: client.clone(), page_size: 2, page_token };
        let page = profiles.list_financial_statements(request).await.expect("a page").into_inner();
        pages += 1;
        assert!(page.financial_statements.len() <= 2);
        for statement in &page.financial_statements {
            assert!(statement.name.starts_with(&format!("{client}/financialStatements/")), "{statement:?}");
            assert!(statement.ratios.as_ref().is_some_and(|r| r.leverage.is_some()), "{statement:?}");
            periods.push(statement.period.clone());
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
        assert!(pages < 10, "paging must end");
    }
    assert_eq!(
        periods,
        ["2025-H1", "FY2024", "FY2023", "FY2022", "FY2021"],
        "newest period first, the other client's apart"
    );
    assert_eq!(pages, 3);
    // A last page that is exactly full says so: no token, no empty page after it.
    let request = ListFinancialStatementsRequest { parent: client.clone(), page_size: 5, ..Default::default() };
    let whole = profiles.list_financial_statements(request).await.expect("one page").into_inner();
    assert_eq!((whole.financial_statements.len(), whole.next_page_token.as_str()), (5, ""));

    // REST: the same first page, and its token leads on.
    let path = format!("/v1/{client}/financialStatements?page_size=2");
    let first = running.rest_ok(Method::GET, &path, Role::RelationshipManager, None).await;
    let period = |json: &Value, i: usize| json["financialStatements"][i]["period"].clone();
    assert_eq!((period(&first, 0), period(&first, 1)), ("2025-H1".into(), "FY2024".into()), "{first}");
    assert_eq!(first["financialStatements"][0]["ratios"]["interestCover"], 8.0, "{first}");
    let token = first["nextPageToken"].as_str().expect("a token");
    let second =
        running.rest_ok(Method::GET, &format!("{path}&page_token={token}"), Role::RelationshipManager, None).await;
    assert_eq!(period(&second, 0), "FY2023", "{second}");

    // A token is bound to its client.
    let request = ListFinancialStatementsRequest { parent: other, page_size: 2, page_token: token.into() };
    let refused = profiles.list_financial_statements(request).await.expect_err("another client's token");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert_eq!(crm_testkit::violations(&refused), ["page_token"]);

    running.finish().await;
}
