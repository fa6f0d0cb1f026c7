//! Conformance: EraseClient leaves nothing personal in any read, lookup, search, history or
//! feed replay, keeps the figures, and is for administrators only.

use crm_proto::{
    crm::profile::v1::{
        ChangeKind, Client, Contact, CreateClientRequest, CreateContactRequest, EraseClientRequest, GetClientRequest,
        Holding, ListClientRevisionsRequest, ListContactsRequest, LookupClientRequest, ProductLine,
        SearchClientsRequest, UndeleteClientRequest, UpdateClientRequest, UpsertHoldingRequest, WatchChangesRequest,
        change_event::ResourceState,
    },
    google::r#type::Money,
};
use futures::StreamExt as _;
use prost::Message as _;
use tonic::Code;

use crate::support::{TestApp, conformance, reason, violations};

const NAME: &str = "Qingdao Haiyun Trading";
const PHONE: &str = "+8613912345678";
const EMAIL: &str = "zhou.min@haiyun.example";
const TAX: &str = "91370200MA3C4XYZ1K";

async fn a_client_with_everything(app: &TestApp) -> Client {
    let mut admin = app.admin();
    let client = Client {
        display_name: NAME.into(),
        legal_name: format!("{NAME} Co., Ltd."),
        registration_number: "370200228812345".into(),
        tax_id: TAX.into(),
        country_code: "CN".into(),
        city: "Qingdao".into(),
        industry_code: "5179".into(),
        annual_turnover: Some(Money { currency_code: "CNY".into(), units: 80_000_000, nanos: 0 }),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    };
    let created = admin.create_client(CreateClientRequest { client: Some(client), request_id: String::new() });
    let created = created.await.expect("create").into_inner();
    let contact =
        Contact { display_name: "Zhou Min".into(), phone: PHONE.into(), email: EMAIL.into(), ..Default::default() };
    admin
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(contact),
            request_id: String::new(),
        })
        .await
        .expect("contact");
    let holding = Holding {
        product_code: "CASH-CURRENT".into(),
        product_line: ProductLine::Deposits as i32,
        account_number: "6222020200112233".into(),
        balance: Some(Money { currency_code: "CNY".into(), units: 1_250_000, nanos: 0 }),
        ..Default::default()
    };
    admin
        .upsert_holding(UpsertHoldingRequest { parent: created.name.clone(), holding: Some(holding) })
        .await
        .expect("holding");
    let patch = Client { name: created.name.clone(), city: "Huangdao".into(), ..Default::default() };
    let mask = prost_types::FieldMask { paths: vec!["city".into()] };
    admin
        .update_client(UpdateClientRequest { client: Some(patch), update_mask: Some(mask) })
        .await
        .expect("update")
        .into_inner()
}

fn erase(name: &str) -> EraseClientRequest {
    EraseClientRequest { name: name.into(), reason: "DSR-2026-0042".into() }
}

/// Whether any of the erased values appears in `bytes`.
fn reveals(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    ["Haiyun", "Zhou Min", "13912345678", "zhou.min", TAX, "370200228812345", "6222020200112233", "Qingdao"]
        .iter()
        .any(|secret| text.contains(secret))
}

conformance!(erasure_leaves_nothing_personal_and_keeps_the_figures, async |app: &TestApp| {
    let client = a_client_with_everything(app).await;
    let mut admin = app.admin();

    let denied = app.rm("rm-1").erase_client(erase(&client.name)).await.expect_err("a manager may not erase");
    assert_eq!((denied.code(), reason(&denied).as_str()), (Code::PermissionDenied, "ROLE_CANNOT_ERASE"));
    let unexplained = EraseClientRequest { name: client.name.clone(), reason: " ".into() };
    let err = admin.erase_client(unexplained).await.expect_err("no reason");
    assert_eq!(violations(&err), ["reason"]);

    // Read it first, so that a read cache would hold the record as it was.
    let before = admin.get_client(GetClientRequest { name: client.name.clone(), ..Default::default() }).await;
    assert!(reveals(&before.expect("read").into_inner().encode_to_vec()));
    let erased = admin.erase_client(erase(&client.name)).await.expect("erase").into_inner();
    assert!(erased.erase_time.is_some() && erased.delete_time.is_some());
    assert!(!reveals(&erased.encode_to_vec()), "the answer reveals nothing: {erased:?}");
    assert_eq!(erased.annual_turnover.as_ref().map(|m| m.units), Some(80_000_000), "figures stay");
    let again = admin.erase_client(erase(&client.name)).await.expect("erasing twice is fine").into_inner();
    assert_eq!(again.erase_time, erased.erase_time);

    let read = admin.get_client(GetClientRequest { name: client.name.clone(), ..Default::default() }).await;
    assert!(!reveals(&read.expect("read").into_inner().encode_to_vec()));
    for lookup in [
        LookupClientRequest { tax_id: TAX.into(), ..Default::default() },
        LookupClientRequest { contact_phone: PHONE.into(), ..Default::default() },
        LookupClientRequest { contact_email: EMAIL.into(), ..Default::default() },
        LookupClientRequest { account_number: "6222020200112233".into(), ..Default::default() },
        LookupClientRequest {
            registration_number: "370200228812345".into(),
            country_code: "CN".into(),
            ..Default::default()
        },
    ] {
        let err = admin.lookup_client(lookup.clone()).await.expect_err("no lookup finds it");
        assert_eq!(err.code(), Code::NotFound, "{lookup:?}");
    }
    for query in [NAME, "Haiyun", TAX, PHONE] {
        let hits = admin
            .search_clients(SearchClientsRequest { query: query.into(), page_size: 10, ..Default::default() })
            .await;
        assert!(hits.expect("search").into_inner().results.is_empty(), "search for {query} finds nothing");
    }
    let contacts = admin.list_contacts(ListContactsRequest { parent: client.name.clone(), ..Default::default() });
    assert!(!reveals(&contacts.await.expect("contacts").into_inner().encode_to_vec()));
    let history =
        admin.list_client_revisions(ListClientRevisionsRequest { name: client.name.clone(), ..Default::default() });
    assert!(!reveals(&history.await.expect("history").into_inner().encode_to_vec()));

    let mut feed = admin.watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect("watch").into_inner();
    loop {
        let event = feed.next().await.expect("the feed goes on").expect("event");
        assert!(!reveals(&event.encode_to_vec()), "a replayed event reveals nothing: {event:?}");
        if event.kind == ChangeKind::Erased as i32 {
            assert_eq!(event.client, client.name);
            assert!(!matches!(event.resource_state, Some(ResourceState::ClientState(_))));
            break;
        }
    }
    let refused = admin.undelete_client(UndeleteClientRequest { name: client.name.clone() }).await;
    let refused = refused.expect_err("an erased client stays erased");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "CLIENT_ERASED"));

    let trail = crm_kit::audit::list(app.db.reader(), 0, 1000, Some(&client.name)).await.expect("audit");
    assert!(trail.iter().any(|r| r.action == "EraseClient" && r.detail.contains("DSR-2026-0042")));
    assert!(trail.iter().any(|r| r.action == "CreateClient"), "the audit trail keeps what happened");
});
