//! Conformance: caller id (E.164) finds the client whose contact's phone a relationship
//! manager typed the local way, and e-mail lookups ignore case.

use crm_proto::crm::profile::v1::{
    Client, Contact, CreateClientRequest, CreateContactRequest, LookupClientRequest, SearchClientsRequest,
    UpdateContactRequest,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{TestApp, conformance, violations};

async fn client_with_contact(app: &TestApp, legal: &str, country: &str, phone: &str, email: &str) -> String {
    let client = Client {
        display_name: legal.into(),
        legal_name: legal.into(),
        country_code: country.into(),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    };
    let mut admin = app.admin();
    let name = admin
        .create_client(CreateClientRequest { client: Some(client), request_id: String::new() })
        .await
        .expect("client")
        .into_inner()
        .name;
    let contact =
        Contact { display_name: "Contact".into(), phone: phone.into(), email: email.into(), ..Default::default() };
    let request = CreateContactRequest { parent: name.clone(), contact: Some(contact), request_id: String::new() };
    let stored = admin.create_contact(request).await.unwrap_or_else(|e| panic!("{phone}: {e:?}")).into_inner();
    assert!(stored.phone.starts_with('+'), "stored in E.164: {}", stored.phone);
    name
}

async fn lookup(app: &TestApp, phone: &str, region: &str) -> Result<String, tonic::Status> {
    let request =
        LookupClientRequest { contact_phone: phone.into(), phone_region: region.into(), ..Default::default() };
    app.admin().lookup_client(request).await.map(|r| r.into_inner().name)
}

conformance!(caller_id_finds_phones_typed_the_local_way, async |app: &TestApp| {
    let beijing = client_with_contact(app, "北京华信精密有限公司", "CN", "010-6543 2100", "Wang.JG@HuaXin.CN").await;
    let mobile = client_with_contact(app, "杭州川蓝电子科技有限公司", "CN", "139 1234 5678", "").await;
    let london = client_with_contact(app, "Harbour Logistics Limited", "GB", "020 7946 0018", "").await;
    // The contact centre's caller id, in E.164.
    assert_eq!(lookup(app, "+861065432100", "").await.expect("landline"), beijing);
    assert_eq!(lookup(app, "+8613912345678", "").await.expect("mobile"), mobile);
    assert_eq!(lookup(app, "+442079460018", "").await.expect("london"), london);
    // An agent typing it: national in the default region (CN), or in the region named.
    assert_eq!(lookup(app, "13912345678", "").await.expect("mobile without country code"), mobile);
    assert_eq!(lookup(app, "(010) 65432100", "").await.expect("landline with area code"), beijing);
    assert_eq!(lookup(app, "020 7946 0018", "GB").await.expect("national in GB"), london);
    assert_eq!(lookup(app, "8613912345678", "").await.expect("E.164 without its +"), mobile);
    let err = lookup(app, "020 7946 0018", "ZZ").await.expect_err("unknown region");
    assert_eq!((err.code(), violations(&err)), (Code::InvalidArgument, vec!["phone_region".to_owned()]));
    // SearchClients takes a phone too.
    let search = SearchClientsRequest { query: "010-6543 2100".into(), ..Default::default() };
    let found = app.admin().search_clients(search).await.expect("search").into_inner().results;
    assert_eq!(found.first().and_then(|r| r.client.as_ref()).map(|c| c.name.as_str()), Some(beijing.as_str()));
    assert_eq!(found[0].matched_on, "phone");
    // E-mail ignores case, both ways round.
    let email = LookupClientRequest { contact_email: "wang.jg@huaxin.cn".into(), ..Default::default() };
    assert_eq!(app.admin().lookup_client(email).await.expect("email").into_inner().name, beijing);
    let search = SearchClientsRequest { query: "WANG.JG@HUAXIN.CN".into(), ..Default::default() };
    let found = app.admin().search_clients(search).await.expect("search").into_inner().results;
    assert_eq!(found.first().map(|r| r.matched_on.as_str()), Some("email"));
});

conformance!(contact_phones_are_read_in_the_clients_country, async |app: &TestApp| {
    let london = client_with_contact(app, "Nordwind Trading Limited", "GB", "+44 20 7946 0999", "").await;
    let mut admin = app.admin();
    let contacts = admin
        .list_contacts(crm_proto::crm::profile::v1::ListContactsRequest {
            parent: london.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .contacts;
    let contact = Contact { name: contacts[0].name.clone(), phone: "07700 900123".into(), ..Default::default() };
    let mask = Some(FieldMask { paths: vec!["phone".into()] });
    let updated = admin
        .update_contact(UpdateContactRequest { contact: Some(contact), update_mask: mask.clone() })
        .await
        .expect("a UK mobile typed nationally")
        .into_inner();
    assert_eq!(lookup(app, "+447700900123", "").await.expect("new number"), london);
    assert!(lookup(app, "+442079460999", "").await.is_err(), "the old number no longer resolves");
    // Someone else's client: a national number is refused as an international one is, so
    // the answer says nothing of the client's country (or existence).
    let outsider = |phone: &str| CreateContactRequest {
        parent: london.clone(),
        contact: Some(Contact { display_name: "X".into(), phone: phone.into(), ..Default::default() }),
        request_id: String::new(),
    };
    let national = app.rm("rm-2").create_contact(outsider("07700 900124")).await.expect_err("not theirs");
    let international = app.rm("rm-2").create_contact(outsider("+447700900124")).await.expect_err("not theirs");
    assert_eq!(national.code(), international.code());
    assert_ne!(national.code(), Code::InvalidArgument);
    let bad = Contact { name: updated.name.clone(), phone: "12".into(), ..Default::default() };
    let err =
        admin.update_contact(UpdateContactRequest { contact: Some(bad), update_mask: mask }).await.expect_err("bad");
    assert_eq!((err.code(), violations(&err)), (Code::InvalidArgument, vec!["contact.phone".to_owned()]));
});
