//! Conformance: `crm reindex` brings data written before E.164 normalisation and accent
//! folding up to date — contact phones, their lookup keys and the search keys.

use crm_kit::{auth::Principal, call::WriteCtx, crypto::FieldCipher, write::Writer};
use crm_profile::{ProfileStore, domain::lookup::LookupKey};
use crm_proto::crm::profile::v1::{Client, Contact};

use crate::support::{TestApp, conformance};

conformance!(reindex_renormalises_phones_and_search_keys, async |app: &TestApp| {
    let store = ProfileStore::new(Writer::new(app.db.clone()), FieldCipher::ephemeral());
    let principal = Principal::system("test");
    let ctx = || WriteCtx::internal(&principal, "Test", "");
    let client = Client {
        display_name: "Société Générale".into(),
        legal_name: "Société Générale S.A.".into(),
        country_code: "CN".into(),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    };
    let client = store.create_client(ctx(), client).await.expect("client");
    let id = client.name.trim_start_matches("clients/").to_owned();
    // A contact as stored before phones were read in the client's country: as typed.
    let legacy = Contact { display_name: "Wang".into(), phone: "010 6543 2100".into(), ..Default::default() };
    store.create_contact(ctx(), &id, |_: Option<&Client>| Ok(()), legacy).await.expect("contact");
    // And search keys of before accent folding.
    sqlx::query("DELETE FROM search_grams WHERE client_id = $1")
        .bind(&id)
        .execute(app.db.writer())
        .await
        .expect("delete");
    sqlx::query("INSERT INTO search_grams (gram, client_id) VALUES ('générale', $1)")
        .bind(&id)
        .execute(app.db.writer())
        .await
        .expect("old gram");
    let caller_id = LookupKey::phone("+861065432100", "");
    assert!(store.lookup(&caller_id).await.expect("lookup").is_empty(), "not found before the reindex");

    let mut after = String::new();
    while let Some(last) = store.reindex_batch(ctx(), &after, 10).await.expect("reindex") {
        after = last;
    }
    let found = store.lookup(&caller_id).await.expect("lookup");
    assert_eq!(found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [client.name.as_str()]);
    let contacts = store.list_contacts(&id, "", 10).await.expect("contacts");
    assert_eq!(contacts[0].phone, "+861065432100");
    let grams = ["generale", "générale"].map(|g| std::collections::BTreeSet::from([g.to_owned()]));
    assert_eq!(store.gram_candidates(&grams[0], 10, 10).await.expect("folded").len(), 1);
    assert!(store.gram_candidates(&grams[1], 10, 10).await.expect("stale").is_empty(), "stale keys are gone");
});
