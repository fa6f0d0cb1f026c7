//! Conformance: name search (Latin and CJK), duplicate finding and merging.

use crm_proto::crm::profile::v1::{
    Client, Contact, CreateClientRequest, CreateContactRequest, FindDuplicateClientsRequest, GetClientRequest, Holding,
    ListContactsRequest, ListHoldingsRequest, LookupClientRequest, MergeClientsRequest, ProductLine,
    SearchClientsRequest, UpsertHoldingRequest,
};
use tonic::Code;

use crate::support::{TestApp, conformance};

fn firm(display: &str, legal: &str, country: &str, city: &str, reg: &str) -> CreateClientRequest {
    CreateClientRequest {
        client: Some(Client {
            display_name: display.into(),
            legal_name: legal.into(),
            country_code: country.into(),
            city: city.into(),
            registration_number: reg.into(),
            industry_code: "6419".into(),
            relationship_manager: "rm-1".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

conformance!(search_ranks_the_full_legal_name_above_other_banks, async |app: &TestApp| {
    let mut admin = app.admin();
    for (display, legal, reg) in [
        ("建设银行", "中国建设银行股份有限公司", "911100001000044477"),
        ("招商银行", "招商银行股份有限公司", "9144030010001686XA"),
        ("中国银行", "中国银行股份有限公司", "911000001000013428"),
        ("中银香港", "中国银行（香港）有限公司", "HK0001"),
    ] {
        admin.create_client(firm(display, legal, "CN", "北京", reg)).await.expect("create");
    }
    let results = admin
        .search_clients(SearchClientsRequest { query: "中国银行".into(), page_size: 10, ..Default::default() })
        .await
        .expect("search")
        .into_inner()
        .results;
    let legal: Vec<&str> = results.iter().filter_map(|r| r.client.as_ref()).map(|c| c.legal_name.as_str()).collect();
    assert_eq!(legal.first(), Some(&"中国银行股份有限公司"), "{legal:?}");
    let rank = |name: &str| legal.iter().position(|l| *l == name);
    assert!(rank("中国银行股份有限公司") < rank("中国建设银行股份有限公司"), "{legal:?}");
    assert!(rank("招商银行股份有限公司").is_none_or(|r| r > 1), "{legal:?}");
    let latin = admin
        .search_clients(SearchClientsRequest { query: "BANK".into(), page_size: 0, ..Default::default() })
        .await
        .expect("latin");
    assert!(latin.into_inner().results.is_empty());
    let by_reg = admin
        .search_clients(SearchClientsRequest {
            query: "CN:911000001000013428".into(),
            page_size: 0,
            ..Default::default()
        })
        .await
        .expect("identifier")
        .into_inner()
        .results;
    assert_eq!(by_reg[0].matched_on, "reg");
    let err = admin
        .search_clients(SearchClientsRequest { query: " ".into(), page_size: 0, ..Default::default() })
        .await
        .expect_err("empty");
    assert_eq!(err.code(), Code::InvalidArgument);
});

conformance!(duplicate_finder_pairs_re_entries_not_namesakes, async |app: &TestApp| {
    let mut admin = app.admin();
    let original = admin
        .create_client(firm("Harbour Logistics", "Harbour Logistics Limited", "GB", "Leeds", "08812345"))
        .await
        .expect("original")
        .into_inner();
    let re_entry = admin
        .create_client(firm("HARBOUR LOGISTICS", "Harbour Logistics Ltd.", "GB", "Leeds", ""))
        .await
        .expect("re-entry")
        .into_inner();
    admin
        .create_client(firm("Harbour Logistics", "Harbour Logistics Limited", "GB", "Hull", "09900001"))
        .await
        .expect("namesake");
    let pairs = admin
        .find_duplicate_clients(FindDuplicateClientsRequest::default())
        .await
        .expect("portfolio")
        .into_inner()
        .pairs;
    let found: Vec<(String, String)> = pairs.iter().map(|p| (p.client.clone(), p.other.clone())).collect();
    let mut expected = [original.name.clone(), re_entry.name.clone()];
    expected.sort();
    assert_eq!(found, [(expected[0].clone(), expected[1].clone())], "{pairs:?}");
    assert!(pairs[0].reasons.iter().any(|r| r == "same name without legal form"), "{:?}", pairs[0].reasons);
    let for_one = admin
        .find_duplicate_clients(FindDuplicateClientsRequest { name: re_entry.name.clone(), ..Default::default() })
        .await
        .expect("one client")
        .into_inner()
        .pairs;
    assert!(for_one.iter().any(|p| p.client == original.name || p.other == original.name), "{for_one:?}");
});

conformance!(merge_keeps_every_contact_and_holding_and_the_old_name_resolves, async |app: &TestApp| {
    let mut admin = app.admin();
    let survivor = admin
        .create_client(firm("Nordwind", "Nordwind Maschinenbau GmbH", "DE", "Bremen", "HRB 1"))
        .await
        .expect("s")
        .into_inner();
    let mut dup = firm("NORDWIND", "Nordwind Maschinenbau", "DE", "Bremen", "");
    dup.client.as_mut().expect("client").lei = "5493001KJTIIGC8Y1R12".into();
    let duplicate = admin.create_client(dup).await.expect("d").into_inner();
    let contact = |parent: &str, name: &str, email: &str| CreateContactRequest {
        parent: parent.into(),
        contact: Some(Contact { display_name: name.into(), email: email.into(), ..Default::default() }),
        request_id: String::new(),
    };
    admin.create_contact(contact(&survivor.name, "Anna", "anna@nordwind.example")).await.expect("c1");
    admin.create_contact(contact(&duplicate.name, "Jonas", "jonas@nordwind.example")).await.expect("c2");
    admin.create_contact(contact(&duplicate.name, "Lea", "lea@nordwind.example")).await.expect("c3");
    let holding = |parent: &str, account: &str| UpsertHoldingRequest {
        parent: parent.into(),
        holding: Some(Holding {
            product_code: "DEP-CURRENT".into(),
            product_line: ProductLine::Deposits as i32,
            account_number: account.into(),
            ..Default::default()
        }),
    };
    admin.upsert_holding(holding(&survivor.name, "DE001")).await.expect("h1");
    admin.upsert_holding(holding(&duplicate.name, "DE002")).await.expect("h2");

    let denied = app
        .rm("rm-2")
        .merge_clients(MergeClientsRequest {
            survivor: survivor.name.clone(),
            duplicate: duplicate.name.clone(),
            etag: String::new(),
        })
        .await
        .expect_err("other portfolio");
    assert_eq!(denied.code(), Code::PermissionDenied);

    let merged = admin
        .merge_clients(MergeClientsRequest {
            survivor: survivor.name.clone(),
            duplicate: duplicate.name.clone(),
            etag: survivor.etag.clone(),
        })
        .await
        .expect("merge")
        .into_inner();
    assert_eq!((merged.moved_contacts, merged.moved_holdings), (2, 1));
    assert!(merged.filled_fields.contains(&"lei".to_owned()));
    let kept = merged.survivor.expect("survivor");
    assert_eq!(kept.lei, "5493001KJTIIGC8Y1R12");
    assert!(kept.provenance.contains_key("lei"), "the filled fact keeps its provenance");
    let contacts = admin
        .list_contacts(ListContactsRequest { parent: survivor.name.clone(), ..Default::default() })
        .await
        .expect("contacts")
        .into_inner()
        .contacts;
    assert_eq!(contacts.len(), 3);
    assert!(contacts.iter().all(|c| c.name.starts_with(&survivor.name)));
    let holdings = admin
        .list_holdings(ListHoldingsRequest { parent: survivor.name.clone(), ..Default::default() })
        .await
        .expect("holdings")
        .into_inner()
        .holdings;
    assert_eq!(holdings.len(), 2);
    let old = admin
        .get_client(GetClientRequest { name: duplicate.name.clone(), read_time: None })
        .await
        .expect("redirect")
        .into_inner();
    assert_eq!(old.name, survivor.name, "the old name resolves to the survivor");
    for key in [
        LookupClientRequest { lei: "5493001KJTIIGC8Y1R12".into(), ..Default::default() },
        LookupClientRequest { contact_email: "lea@nordwind.example".into(), ..Default::default() },
        LookupClientRequest { account_number: "DE002".into(), ..Default::default() },
    ] {
        assert_eq!(admin.lookup_client(key).await.expect("lookup").into_inner().name, survivor.name);
    }
    let again = admin
        .merge_clients(MergeClientsRequest {
            survivor: survivor.name.clone(),
            duplicate: duplicate.name.clone(),
            etag: String::new(),
        })
        .await
        .expect_err("already merged");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let records = crm_kit::audit::list(app.db.reader(), 0, 500, None).await.expect("audit");
    assert!(records.iter().any(|r| r.action == "MergeClients" && r.resource == duplicate.name));
});
