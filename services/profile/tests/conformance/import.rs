//! Conformance: ImportClients, the bulk path (onboarding, migrations, the demo portfolio).

use crm_kit::auth::Role;
use crm_proto::{
    crm::profile::v1::{
        Client, ClientImport, Contact, FinancialStatement, GetClientGroupRequest, GetClientRequest, Holding,
        ImportClientsRequest, ListClientsRequest, ListContactsRequest, ListFinancialStatementsRequest,
        ListHoldingsRequest, LookupClientRequest, ProductLine, WatchChangesRequest,
    },
    google::r#type::Money,
};
use tonic::Code;

use crate::support::{TestApp, conformance, reason, violations};

fn client(name: &str, display: &str, reg: &str) -> Client {
    Client {
        name: name.into(),
        display_name: display.into(),
        registration_number: reg.into(),
        country_code: "de".into(),
        industry_code: "2599".into(),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    }
}

fn record(client: Client) -> ClientImport {
    ClientImport { client: Some(client), ..Default::default() }
}

fn import(clients: Vec<ClientImport>, request_id: &str) -> ImportClientsRequest {
    ImportClientsRequest { clients, request_id: request_id.into() }
}

fn eur(units: i64) -> Option<Money> {
    Some(Money { currency_code: "EUR".into(), units, nanos: 0 })
}

/// A group head with a contact, a holding and a statement, a subsidiary naming it as its
/// parent, and a client without a chosen id.
fn group() -> Vec<ClientImport> {
    let mut head = record(Client {
        lei: "5493001KJTIIGC8Y1R12".into(),
        tax_id: "DE123456789".into(),
        ..client("clients/src-1001", " Rheinmetall Teile ", "HRB 1001")
    });
    head.contacts.push(Contact {
        display_name: "Anna Weber".into(),
        phone: "0049 211 555 0100".into(),
        email: "Anna.Weber@teile.example".into(),
        ..Default::default()
    });
    head.holdings.push(Holding {
        product_code: "dep-current".into(),
        product_line: ProductLine::Deposits as i32,
        account_number: "DE89 3704-0044".into(),
        ..Default::default()
    });
    head.statements.push(FinancialStatement {
        period: "FY2025".into(),
        period_end_time: Some(prost_types::Timestamp { seconds: 1_767_139_200, nanos: 0 }),
        revenue: eur(1_000),
        ebitda: eur(200),
        total_debt: eur(500),
        ..Default::default()
    });
    let subsidiary = record(Client {
        parent: "clients/src-1001".into(),
        ..client("clients/src-1002", "Teile Logistik", "HRB 1002")
    });
    vec![head, subsidiary, record(client("", "Neukunde", "HRB 1003"))]
}

conformance!(an_import_stores_clients_with_their_records_and_keys, async |app: &TestApp| {
    let mut admin = app.admin();
    let imported = admin.import_clients(import(group(), "")).await.expect("import").into_inner();
    assert_eq!(imported.imported_count, 3);
    assert_eq!(imported.names[..2], ["clients/src-1001", "clients/src-1002"]);
    assert!(imported.names[2].starts_with("clients/") && imported.names[2].len() > "clients/".len());

    let head = admin
        .get_client(GetClientRequest { name: imported.names[0].clone(), read_time: None })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((head.display_name.as_str(), head.country_code.as_str()), ("Rheinmetall Teile", "DE"));
    assert_eq!(head.etag, "\"r1\"");
    assert_eq!(head.provenance["lei"].source_name, "ADMIN:admin-1", "facts are sourced as for a create");
    let contacts = admin
        .list_contacts(ListContactsRequest { parent: head.name.clone(), ..Default::default() })
        .await
        .expect("contacts")
        .into_inner()
        .contacts;
    assert_eq!(contacts.iter().map(|c| c.phone.as_str()).collect::<Vec<_>>(), ["+492115550100"]);
    let holdings = admin
        .list_holdings(ListHoldingsRequest { parent: head.name.clone(), ..Default::default() })
        .await
        .expect("holdings")
        .into_inner()
        .holdings;
    assert_eq!(holdings.iter().map(|h| h.account_number.as_str()).collect::<Vec<_>>(), ["DE8937040044"]);
    let statements = admin
        .list_financial_statements(ListFinancialStatementsRequest { parent: head.name.clone(), ..Default::default() })
        .await
        .expect("statements")
        .into_inner()
        .financial_statements;
    assert_eq!(statements[0].ratios.as_ref().and_then(|r| r.leverage), Some(2.5));

    let keys = [
        LookupClientRequest { lei: "5493001kjtiigc8y1r12".into(), ..Default::default() },
        LookupClientRequest { registration_number: "HRB1001".into(), country_code: "DE".into(), ..Default::default() },
        LookupClientRequest { tax_id: "DE123456789".into(), ..Default::default() },
        LookupClientRequest { account_number: "DE8937040044".into(), ..Default::default() },
        LookupClientRequest { contact_phone: "+49 211 5550100".into(), ..Default::default() },
        LookupClientRequest { contact_email: "anna.weber@teile.example".into(), ..Default::default() },
    ];
    for key in keys {
        let found = admin.lookup_client(key.clone()).await.unwrap_or_else(|e| panic!("{key:?}: {e:?}")).into_inner();
        assert_eq!(found.name, head.name, "{key:?}");
    }
    let group = admin
        .get_client_group(GetClientGroupRequest { name: "clients/src-1002".into() })
        .await
        .expect("group")
        .into_inner();
    assert_eq!(group.ultimate_parent, "clients/src-1001");

    // One thin event per client (consumers read the client), and one audit record each.
    let mut events = admin.watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect("watch").into_inner();
    for name in &imported.names {
        let event = events.message().await.expect("event").expect("an event");
        assert_eq!((&event.resource, event.resource_state.is_none()), (name, true));
    }
    let audit = crm_kit::audit::list(app.db.reader(), 0, 100, None).await.expect("audit");
    let imports: Vec<&str> =
        audit.iter().filter(|r| r.action == "ImportClients").map(|r| r.resource.as_str()).collect();
    assert_eq!(imports, imported.names.iter().map(String::as_str).collect::<Vec<_>>());
});

conformance!(one_bad_record_rejects_the_whole_import_and_is_named, async |app: &TestApp| {
    let mut admin = app.admin();
    let mut batch = group();
    batch[1].client.as_mut().expect("client").lei = "5493001KJTIIGC8Y1R13".into();
    batch[2].contacts.push(Contact { display_name: "X".into(), email: "not-an-email".into(), ..Default::default() });
    let err = admin.import_clients(import(batch, "")).await.expect_err("invalid");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["clients[1].client.lei", "clients[2].contacts[0].email"]);

    let mut late_parent = group();
    late_parent.swap(0, 1);
    let err = admin.import_clients(import(late_parent, "")).await.expect_err("parent after its subsidiary");
    assert_eq!(violations(&err), ["clients[0].client.parent"]);

    let too_many = (0..1_001).map(|n| record(client("", &format!("Firm {n}"), &format!("R{n}")))).collect();
    let err = admin.import_clients(import(too_many, "")).await.expect_err("too many");
    assert_eq!(violations(&err), ["clients"]);
    let listed = admin.list_clients(ListClientsRequest::default()).await.expect("list").into_inner();
    assert!(listed.clients.is_empty(), "nothing of a rejected import is stored");

    // Conflicts with what is stored reject the whole import too.
    admin.import_clients(import(group(), "")).await.expect("first import");
    let again =
        vec![record(client("clients/src-2001", "Neu", "HRB 2001")), record(client("clients/src-1001", "Dup", "HRB 9"))];
    let err = admin.import_clients(import(again, "")).await.expect_err("a used id");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::AlreadyExists, "CLIENT_EXISTS"));
    let mut taken = record(client("clients/src-2002", "Konto", "HRB 2002"));
    taken.holdings = group()[0].holdings.clone();
    let err = admin.import_clients(import(vec![taken], "")).await.expect_err("a used account");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::AlreadyExists, "IDENTIFIER_TAKEN"));
    let missing = admin.get_client(GetClientRequest { name: "clients/src-2001".into(), read_time: None }).await;
    assert_eq!(missing.expect_err("rolled back").code(), Code::NotFound);
});

conformance!(only_admins_and_channels_import, async |app: &TestApp| {
    let err = app.rm("rm-1").import_clients(import(group(), "")).await.expect_err("manager");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::PermissionDenied, "ROLE_CANNOT_IMPORT"));
    let agent = app.client_as(Role::ContactCentreAgent, "cc-1", None);
    assert_eq!(
        agent.clone().import_clients(import(group(), "")).await.expect_err("agent").code(),
        Code::PermissionDenied
    );
    let audit = crm_kit::audit::list(app.db.reader(), 0, 100, None).await.expect("audit");
    assert!(audit.iter().any(|r| r.action == "ImportClients" && r.outcome == "DENIED" && r.subject == "rm-1"));

    let mut channel = app.client_as(Role::Channel, "svc:onboarding", None);
    let imported = channel.import_clients(import(group(), "")).await.expect("channel").into_inner();
    assert_eq!(imported.imported_count, 3);
});

conformance!(a_replayed_import_returns_the_first_result, async |app: &TestApp| {
    let mut admin = app.admin();
    let first = admin.import_clients(import(group(), "migration-batch-7")).await.expect("import").into_inner();
    let replay = admin.import_clients(import(group(), "migration-batch-7")).await.expect("replay").into_inner();
    assert_eq!(replay, first, "the generated id included");
    let listed = admin.list_clients(ListClientsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.clients.len(), 3, "imported once");

    let mut other = group();
    other.pop();
    let err = admin.import_clients(import(other, "migration-batch-7")).await.expect_err("same id, other batch");
    assert_eq!(violations(&err), ["request_id"]);
});
