//! Storage and service conformance: every scenario runs against SQLite and PostgreSQL
//! through the real gRPC server, as a client would use it.

mod erasure;
mod history;
mod import;
mod matching;
mod phones;
mod processes;
mod reindex;
mod spoken;
mod spoken_names;
mod stall;
mod support;

use std::collections::HashSet;

use crm_kit::auth::Role;
use crm_proto::{
    crm::profile::v1::{
        Client, Contact, CreateClientRequest, CreateContactRequest, CreateFinancialStatementRequest,
        DeleteClientRequest, FinancialStatement, GetClientRequest, Holding, ListClientsRequest, ListContactsRequest,
        LookupClientRequest, ProductLine, SearchClientsRequest, UndeleteClientRequest, UpdateClientRequest,
        UpsertHoldingRequest, WatchChangesRequest, change_event::ResourceState,
    },
    google::r#type::Money,
};
use prost_types::FieldMask;
use support::{TestApp, conformance, reason, violations};
use tonic::Code;

fn new_client(display: &str, reg: &str) -> Client {
    Client {
        display_name: display.into(),
        legal_name: format!("{display} Limited"),
        registration_number: reg.into(),
        country_code: "GB".into(),
        industry_code: "4690".into(),
        annual_turnover: Some(Money { currency_code: "GBP".into(), units: 12_500_000, nanos: 0 }),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    }
}

fn create(client: Client) -> CreateClientRequest {
    CreateClientRequest { client: Some(client), request_id: String::new() }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() })
}

conformance!(concurrent_replays_of_one_request_id_create_one_client, async |app: &TestApp| {
    let request = CreateClientRequest {
        client: Some(new_client("Harbour Logistics", "08812345")),
        request_id: "9c3e2a4e-replay".into(),
    };
    let calls = (0..8).map(|_| {
        let mut client = app.admin();
        let request = request.clone();
        tokio::spawn(async move { client.create_client(request).await.map(|r| r.into_inner().name) })
    });
    let mut names = HashSet::new();
    for call in calls {
        names.insert(call.await.expect("task").expect("create succeeds"));
    }
    assert_eq!(names.len(), 1, "every replay returns the first result");
    let page = app.admin().list_clients(ListClientsRequest::default()).await.expect("list").into_inner();
    assert_eq!(page.clients.len(), 1, "exactly one client was stored");

    let mut changed = request.clone();
    changed.client.as_mut().expect("client").display_name = "Another".into();
    let err = app.admin().create_client(changed).await.expect_err("same id, other payload");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["request_id"]);
});

conformance!(two_updates_with_one_etag_exactly_one_wins, async |app: &TestApp| {
    let created =
        app.admin().create_client(create(new_client("Nordwind", "HRB 1"))).await.expect("create").into_inner();
    let attempts = ["Nordwind GmbH", "Nordwind AG"].map(|display| {
        let mut client = app.admin();
        let patch = Client {
            name: created.name.clone(),
            etag: created.etag.clone(),
            display_name: display.into(),
            ..Default::default()
        };
        tokio::spawn(async move {
            client
                .update_client(UpdateClientRequest { client: Some(patch), update_mask: mask(&["display_name"]) })
                .await
        })
    });
    let mut ok = 0;
    let mut aborted = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(_) => ok += 1,
            Err(status) if status.code() == Code::Aborted => {
                assert_eq!(reason(&status), "ETAG_MISMATCH");
                aborted += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, aborted), (1, 1));
});

conformance!(paging_while_inserting_has_no_duplicate_and_no_gap, async |app: &TestApp| {
    let mut admin = app.admin();
    let mut before = HashSet::new();
    for i in 0..60 {
        let c = admin
            .create_client(create(new_client(&format!("Firm {i:03}"), &format!("P{i:05}"))))
            .await
            .expect("create");
        before.insert(c.into_inner().name);
    }
    let writer = {
        let mut admin = app.admin();
        tokio::spawn(async move {
            for i in 0..40 {
                admin
                    .create_client(create(new_client(&format!("Late {i:03}"), &format!("L{i:05}"))))
                    .await
                    .expect("insert");
            }
        })
    };
    for order_by in ["", "display_name", "create_time desc"] {
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let request = ListClientsRequest {
                page_size: 7,
                page_token: token.clone(),
                order_by: order_by.into(),
                ..Default::default()
            };
            let page = admin.list_clients(request).await.expect("page").into_inner();
            seen.extend(page.clients.into_iter().map(|c| c.name));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "no duplicate when ordered by '{order_by}'");
        assert!(before.is_subset(&unique), "no gap when ordered by '{order_by}'");
    }
    writer.await.expect("writer");
    let token = admin
        .list_clients(ListClientsRequest { page_size: 7, order_by: "display_name".into(), ..Default::default() })
        .await
        .expect("first page")
        .into_inner()
        .next_page_token;
    let reused = admin
        .list_clients(ListClientsRequest { page_token: token, order_by: "create_time".into(), ..Default::default() })
        .await
        .expect_err("token reused with another order");
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(violations(&reused), ["page_token"]);
    let negative =
        admin.list_clients(ListClientsRequest { page_size: -1, ..Default::default() }).await.expect_err("negative");
    assert_eq!(violations(&negative), ["page_size"]);
});

conformance!(invalid_lei_is_invalid_argument_on_lei, async |app: &TestApp| {
    let mut client = new_client("Bad LEI", "X1");
    client.lei = "5493001KJTIIGC8Y1R13".into();
    let err = app.admin().create_client(create(client)).await.expect_err("bad lei");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["client.lei"]);
    assert_eq!(reason(&err), "INVALID_ARGUMENT");
});

conformance!(chinese_legal_name_round_trips_byte_for_byte, async |app: &TestApp| {
    let mut client = new_client("中国银行", "911000001000013428");
    client.country_code = "CN".into();
    client.legal_name = "中国银行股份有限公司（香港）— 𠀀 test".into();
    let created = app.admin().create_client(create(client.clone())).await.expect("create").into_inner();
    let fetched = app
        .admin()
        .get_client(GetClientRequest { name: created.name, read_time: None })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(fetched.legal_name.as_bytes(), client.legal_name.as_bytes());
    assert_eq!(fetched.display_name, "中国银行");
});

conformance!(lookup_finds_a_client_by_every_key_kind, async |app: &TestApp| {
    let mut admin = app.admin();
    let mut client = new_client("Sakura Precision", "0100-01-123456");
    client.country_code = "JP".into();
    client.lei = "5493001KJTIIGC8Y1R12".into();
    client.tax_id = "T1234567890123".into();
    let created = admin.create_client(create(client)).await.expect("create").into_inner();
    admin
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(Contact {
                display_name: "Aiko Tanaka".into(),
                phone: "+81 90-1234-5678".into(),
                email: "Aiko.Tanaka@sakura.example".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("contact");
    admin
        .upsert_holding(UpsertHoldingRequest {
            parent: created.name.clone(),
            holding: Some(Holding {
                product_code: "DEP-CURRENT".into(),
                product_line: ProductLine::Deposits as i32,
                account_number: "JP0012-3456".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("holding");
    let keys = [
        LookupClientRequest { lei: "5493001kjtiigc8y1r12".into(), ..Default::default() },
        LookupClientRequest {
            registration_number: "0100-01-123456".into(),
            country_code: "jp".into(),
            ..Default::default()
        },
        LookupClientRequest { tax_id: "T1234567890123".into(), ..Default::default() },
        LookupClientRequest { account_number: "JP00123456".into(), ..Default::default() },
        LookupClientRequest { contact_phone: "0081 90 1234 5678".into(), ..Default::default() },
        LookupClientRequest { contact_email: "aiko.tanaka@SAKURA.example".into(), ..Default::default() },
    ];
    for key in keys {
        let found = admin.lookup_client(key.clone()).await.unwrap_or_else(|e| panic!("{key:?}: {e:?}")).into_inner();
        assert_eq!(found.name, created.name, "{key:?}");
    }
    let missing = admin
        .lookup_client(LookupClientRequest { tax_id: "nobody".into(), ..Default::default() })
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), Code::NotFound);
    let two = admin
        .lookup_client(LookupClientRequest { tax_id: "a".into(), contact_email: "b@c.d".into(), ..Default::default() })
        .await
        .expect_err("two keys");
    assert_eq!(two.code(), Code::InvalidArgument);
});

conformance!(feed_consumer_resumes_without_gap_or_repeat, async |app: &TestApp| {
    use futures::StreamExt;
    let mut admin = app.admin();
    for i in 0..5 {
        admin.create_client(create(new_client(&format!("Feed {i}"), &format!("F{i}")))).await.expect("create");
    }
    let mut seen = Vec::new();
    {
        let mut stream =
            admin.watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect("watch").into_inner();
        for _ in 0..3 {
            let event = stream.next().await.expect("event").expect("ok");
            seen.push(event.sequence);
        }
    } // consumer stops here: its cursor is the last sequence it saw
    for i in 5..8 {
        admin.create_client(create(new_client(&format!("Feed {i}"), &format!("F{i}")))).await.expect("create");
    }
    let cursor = *seen.last().expect("cursor");
    let mut stream =
        admin.watch_changes(WatchChangesRequest { after_sequence: cursor }).await.expect("resume").into_inner();
    while seen.len() < 8 {
        let event = stream.next().await.expect("event").expect("ok");
        assert!(matches!(event.resource_state, Some(ResourceState::ClientState(_))));
        seen.push(event.sequence);
    }
    let expected: Vec<i64> = (1..=8).collect();
    assert_eq!(seen, expected, "contiguous, no repeat");
    let denied = app.rm("rm-1").watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect_err("rm");
    assert_eq!(denied.code(), Code::PermissionDenied);
});

conformance!(feeds_carry_masked_values_and_every_subscription_is_audited, async |app: &TestApp| {
    use futures::StreamExt;
    let mut admin = app.admin();
    let mut client = new_client("Feed Masked", "FM1");
    client.tax_id = "91310000MA1FL0XX12".into();
    let created = admin.create_client(create(client)).await.expect("create").into_inner();
    let mut stream = admin.watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect("watch").into_inner();
    let event = stream.next().await.expect("event").expect("ok");
    let Some(ResourceState::ClientState(state)) = event.resource_state else { panic!("a client state") };
    assert_eq!(state.name, created.name);
    assert_eq!(state.tax_id, "**************XX12", "an ADMIN subscription is masked unless granted");
    let trail = crm_kit::audit::list(app.db.reader(), 0, 100, Some("feeds/profile")).await.expect("audit");
    let subscribed = trail.iter().find(|r| r.action == "WatchChanges").expect("the subscription is audited");
    assert_eq!((subscribed.outcome.as_str(), subscribed.detail.as_str()), ("OK", "subscribed"));
});

conformance!(control_characters_and_oversized_text_are_field_violations_on_every_backend, async |app: &TestApp| {
    let mut admin = app.admin();
    let nul = admin.create_client(create(new_client("Hua\0xin", "NUL1"))).await.expect_err("NUL");
    assert_eq!(nul.code(), Code::InvalidArgument);
    assert_eq!(violations(&nul), ["client.display_name", "client.legal_name"]);
    let search = admin
        .search_clients(SearchClientsRequest { query: "华信\0".into(), ..Default::default() })
        .await
        .expect_err("NUL in a query");
    assert_eq!(violations(&search), ["query"]);
    let lookup = admin
        .lookup_client(LookupClientRequest { contact_email: "a\u{7}@b.c".into(), ..Default::default() })
        .await
        .expect_err("BEL in a key");
    assert_eq!(violations(&lookup), ["contact_email"]);
    let mut labelled = new_client("Long Label", "LL1");
    labelled.labels.insert("k".repeat(10_000), "v".into());
    let long = admin.create_client(create(labelled)).await.expect_err("a 10,000-character label key");
    assert_eq!(long.code(), Code::InvalidArgument, "{long:?}");
    assert!(violations(&long).iter().all(|f| f.len() < 200), "the key is not echoed whole");
    let created =
        admin.create_client(create(new_client("Clean Text", "CT1"))).await.expect("clean text is fine").into_inner();
    let contact = admin
        .create_contact(CreateContactRequest {
            parent: created.name,
            contact: Some(Contact { display_name: "Wang\0Li".into(), ..Default::default() }),
            ..Default::default()
        })
        .await
        .expect_err("NUL in a contact");
    assert_eq!(violations(&contact), ["contact.display_name"]);
});

conformance!(tax_ids_phones_and_emails_are_sealed_at_rest_and_still_found, async |app: &TestApp| {
    let mut admin = app.admin();
    let mut client = new_client("Sealed Holdings", "SH1");
    client.tax_id = "GB123456789".into();
    let created = admin.create_client(create(client)).await.expect("create").into_inner();
    admin
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(Contact {
                display_name: "Aiko Tanaka".into(),
                phone: "+81 90 1234 5678".into(),
                email: "aiko.tanaka@sealed.example".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("contact");
    // Nothing stored anywhere in the database holds them in clear: the records, their history,
    // the change feed, the lookup index.
    let secrets = ["GB123456789", "819012345678", "9012345678", "aiko.tanaka@sealed.example"];
    for (table, column) in [
        ("clients", "doc"),
        ("contacts", "doc"),
        ("client_revisions", "doc"),
        ("outbox", "payload"),
        ("client_keys", "value"),
    ] {
        let sql = format!("SELECT {column} FROM {table}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(app.db.reader()).await.expect("read");
        for row in rows {
            let bytes: Vec<u8> = sqlx::Row::try_get::<Vec<u8>, _>(&row, 0)
                .or_else(|_| sqlx::Row::try_get::<String, _>(&row, 0).map(String::into_bytes))
                .expect("bytes or text");
            let text = String::from_utf8_lossy(&bytes);
            for secret in secrets {
                assert!(!text.contains(secret), "{table}.{column} holds {secret} in clear");
            }
        }
    }
    for key in [
        LookupKeyKind::Tax("GB123456789"),
        LookupKeyKind::Phone("+819012345678"),
        LookupKeyKind::Email("AIKO.TANAKA@sealed.example"),
    ] {
        let found = admin.lookup_client(key.request()).await.expect("found through the blind index").into_inner();
        assert_eq!(found.name, created.name);
    }
    let read = admin.get_client(GetClientRequest { name: created.name.clone(), ..Default::default() }).await;
    assert_eq!(read.expect("read").into_inner().tax_id, "GB123456789", "opened on the way out");
});

enum LookupKeyKind {
    Tax(&'static str),
    Phone(&'static str),
    Email(&'static str),
}

impl LookupKeyKind {
    fn request(&self) -> LookupClientRequest {
        match self {
            Self::Tax(v) => LookupClientRequest { tax_id: (*v).into(), ..Default::default() },
            Self::Phone(v) => LookupClientRequest { contact_phone: (*v).into(), ..Default::default() },
            Self::Email(v) => LookupClientRequest { contact_email: (*v).into(), ..Default::default() },
        }
    }
}

conformance!(managers_change_only_their_portfolio, async |app: &TestApp| {
    let theirs = app.admin().create_client(create(new_client("Other Book", "OB1"))).await.expect("create").into_inner();
    let mut rm2 = app.rm("rm-2");
    let patch = |name: &str| UpdateClientRequest {
        client: Some(Client { name: name.into(), city: "London".into(), ..Default::default() }),
        update_mask: mask(&["city"]),
    };
    let real = rm2.update_client(patch(&theirs.name)).await.expect_err("other portfolio");
    let made_up = rm2.update_client(patch("clients/doesnotexist")).await.expect_err("made-up");
    assert_eq!(real.code(), Code::PermissionDenied);
    assert_eq!(made_up.code(), Code::PermissionDenied);
    assert_eq!(real.message(), made_up.message(), "no existence leak");
    let delete = rm2
        .delete_client(DeleteClientRequest { name: theirs.name.clone(), etag: String::new() })
        .await
        .expect_err("delete");
    assert_eq!(delete.code(), Code::PermissionDenied);
    let admin_missing = app.admin().update_client(patch("clients/doesnotexist")).await.expect_err("admin");
    assert_eq!(admin_missing.code(), Code::NotFound);
    let mut rm1 = app.rm("rm-1");
    let updated = rm1.update_client(patch(&theirs.name)).await.expect("own portfolio").into_inner();
    assert_eq!(updated.city, "London");
    let agent = app.client_as(Role::ContactCentreAgent, "cc-1", None);
    let err = agent.clone().update_client(patch(&theirs.name)).await.expect_err("agent");
    assert_eq!(err.code(), Code::PermissionDenied);
    let records = crm_kit::audit::list(app.db.reader(), 0, 100, Some(&theirs.name)).await.expect("audit");
    assert!(records.iter().any(|r| r.outcome == "DENIED" && r.subject == "rm-2"), "denials are audited");
    assert_eq!(crm_kit::audit::verify_chain(&app.db).await.expect("chain"), None);
});

conformance!(every_mutation_is_audited_and_sensitive_fields_masked, async |app: &TestApp| {
    let mut client = new_client("Masked Co", "M1");
    client.tax_id = "91310000MA1FL0XX12".into();
    let created = app.admin().create_client(create(client)).await.expect("create").into_inner();
    assert_eq!(created.tax_id, "91310000MA1FL0XX12");
    app.admin()
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(Contact {
                display_name: "王建国".into(),
                phone: "+8613800138000".into(),
                email: "wang@masked.cn".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("contact");
    let listed = app.admin().list_clients(ListClientsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.clients[0].tax_id, "**************XX12", "list views never show tax ids in clear");
    assert!(listed.clients[0].data_quality.is_some(), "list views carry the data-quality summary");
    let full = app
        .admin()
        .get_client(GetClientRequest { name: created.name.clone(), read_time: None })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(full.tax_id, "91310000MA1FL0XX12");
    let mut agent = app.client_as(Role::ContactCentreAgent, "cc-7", None);
    let seen = agent
        .get_client(GetClientRequest { name: created.name.clone(), read_time: None })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(seen.tax_id, "**************XX12");
    let contacts = agent
        .list_contacts(ListContactsRequest { parent: created.name.clone(), ..Default::default() })
        .await
        .expect("contacts")
        .into_inner();
    assert_eq!(contacts.contacts[0].phone, "+86*******8000");
    assert_eq!(contacts.contacts[0].email, "w***@masked.cn");
    let records = crm_kit::audit::list(app.db.reader(), 0, 100, None).await.expect("audit");
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"CreateClient") && actions.contains(&"CreateContact"), "{actions:?}");
    assert!(records.iter().all(|r| r.subject != "cc-7"), "masked reads are not sensitive reads");
    assert!(
        records.iter().any(|r| r.action == "GetClient" && r.resource == created.name && r.detail == "tax_id"),
        "the unmasked read is audited"
    );
});

conformance!(group_hierarchy_rejects_cycles_and_missing_parents, async |app: &TestApp| {
    let mut admin = app.admin();
    let parent = admin.create_client(create(new_client("Parent", "G1"))).await.expect("parent").into_inner();
    let mut child = new_client("Child", "G2");
    child.parent = parent.name.clone();
    let child = admin.create_client(create(child)).await.expect("child").into_inner();
    let cycle = UpdateClientRequest {
        client: Some(Client { name: parent.name.clone(), parent: child.name.clone(), ..Default::default() }),
        update_mask: mask(&["parent"]),
    };
    let err = admin.update_client(cycle).await.expect_err("cycle");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["client.parent"]);
    let mut orphan = new_client("Orphan", "G3");
    orphan.parent = "clients/nosuchparent".into();
    let err = admin.create_client(create(orphan)).await.expect_err("missing parent");
    assert_eq!(violations(&err), ["client.parent"]);
    let dup = admin.create_client(create(new_client("Parent again", "G1"))).await.expect_err("same registration");
    assert_eq!(dup.code(), Code::AlreadyExists);
});

conformance!(soft_delete_undelete_and_filters, async |app: &TestApp| {
    let mut admin = app.admin();
    let a = admin.create_client(create(new_client("Alpha", "D1"))).await.expect("a").into_inner();
    let mut sme = new_client("Beta", "D2");
    sme.customer_type = crm_proto::crm::profile::v1::CustomerType::Sme as i32;
    sme.annual_turnover = Some(Money { currency_code: "GBP".into(), units: 900_000, nanos: 0 });
    admin.create_client(create(sme)).await.expect("b");
    let deleted = admin
        .delete_client(DeleteClientRequest { name: a.name.clone(), etag: a.etag.clone() })
        .await
        .expect("delete")
        .into_inner();
    assert!(deleted.delete_time.is_some());
    let live = admin.list_clients(ListClientsRequest::default()).await.expect("list").into_inner();
    assert_eq!(live.clients.len(), 1);
    let all = admin
        .list_clients(ListClientsRequest { show_deleted: true, ..Default::default() })
        .await
        .expect("all")
        .into_inner();
    assert_eq!(all.clients.len(), 2);
    admin.undelete_client(UndeleteClientRequest { name: a.name.clone() }).await.expect("undelete");
    let filtered = admin
        .list_clients(ListClientsRequest {
            filter: r#"client.customer_type == "SME" && client.annual_turnover_units < 1000000"#.into(),
            ..Default::default()
        })
        .await
        .expect("filter")
        .into_inner();
    assert_eq!(filtered.clients.iter().map(|c| c.display_name.as_str()).collect::<Vec<_>>(), ["Beta"]);
    let bad = admin
        .list_clients(ListClientsRequest { filter: "client.tax_id == 'x'".into(), ..Default::default() })
        .await
        .expect_err("bad filter");
    assert_eq!(violations(&bad), ["filter"]);
});

conformance!(statements_carry_derived_ratios, async |app: &TestApp| {
    let mut admin = app.admin();
    let c = admin.create_client(create(new_client("Ratio Co", "R1"))).await.expect("c").into_inner();
    let gbp = |units| Some(Money { currency_code: "GBP".into(), units, nanos: 0 });
    let statement = FinancialStatement {
        period: "FY2025".into(),
        period_end_time: Some(prost_types::Timestamp { seconds: 1_767_139_200, nanos: 0 }),
        revenue: gbp(1_000),
        ebitda: gbp(200),
        total_debt: gbp(500),
        current_assets: gbp(300),
        current_liabilities: gbp(150),
        interest_expense: gbp(40),
        ..Default::default()
    };
    let created = admin
        .create_financial_statement(CreateFinancialStatementRequest {
            parent: c.name.clone(),
            financial_statement: Some(statement.clone()),
        })
        .await
        .expect("statement")
        .into_inner();
    let ratios = created.ratios.expect("ratios");
    assert_eq!(
        (ratios.leverage, ratios.interest_cover, ratios.current_ratio, ratios.ebitda_margin),
        (Some(2.5), Some(5.0), Some(2.0), Some(0.2))
    );
    let again = admin
        .create_financial_statement(CreateFinancialStatementRequest {
            parent: c.name,
            financial_statement: Some(statement),
        })
        .await
        .expect_err("same period");
    assert_eq!(again.code(), Code::AlreadyExists);
});

conformance!(a_read_after_an_acknowledged_write_sees_it_even_when_the_record_was_just_read, async |app: &TestApp| {
    use crm_proto::crm::profile::v1::MergeClientsRequest;
    let mut admin = app.admin();
    let a = admin.create_client(create(new_client("Cached Alpha", "CA1"))).await.expect("a").into_inner();
    let b = admin.create_client(create(new_client("Cached Beta", "CA2"))).await.expect("b").into_inner();
    let get = |name: &str| GetClientRequest { name: name.to_owned(), read_time: None };
    for _ in 0..2 {
        admin.get_client(get(&a.name)).await.expect("warm");
        admin.get_client(get(&b.name)).await.expect("warm");
    }
    let patch = Client { name: a.name.clone(), display_name: "Cached Alpha Renamed".into(), ..Default::default() };
    admin
        .update_client(UpdateClientRequest { client: Some(patch), update_mask: mask(&["display_name"]) })
        .await
        .expect("update");
    let read = admin.get_client(get(&a.name)).await.expect("read").into_inner();
    assert_eq!(read.display_name, "Cached Alpha Renamed");
    let merge = MergeClientsRequest { survivor: a.name.clone(), duplicate: b.name.clone(), etag: String::new() };
    admin.merge_clients(merge).await.expect("merge");
    let old_name = admin.get_client(get(&b.name)).await.expect("read the duplicate's name").into_inner();
    assert_eq!(old_name.name, a.name, "the duplicate's name resolves to the survivor");
    let survivor = admin.get_client(get(&a.name)).await.expect("survivor").into_inner();
    assert_ne!(survivor.etag, read.etag, "the merge changed the survivor, and the read shows it");
});
