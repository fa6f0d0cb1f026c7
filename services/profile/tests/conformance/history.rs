//! Conformance: history and as-of reads, contact changes, group hierarchy, data quality.

use crm_proto::crm::profile::v1::{
    ChangeKind, Client, Contact, CreateClientRequest, CreateContactRequest, DeleteContactRequest,
    GetClientGroupRequest, GetClientRequest, ListClientRevisionsRequest, LookupClientRequest, UpdateClientRequest,
    UpdateContactRequest,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{TestApp, conformance};

fn client(display: &str, reg: &str) -> CreateClientRequest {
    CreateClientRequest {
        client: Some(Client {
            display_name: display.into(),
            registration_number: reg.into(),
            country_code: "SG".into(),
            city: "Singapore".into(),
            relationship_manager: "rm-1".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() })
}

conformance!(as_of_read_returns_the_old_value_after_an_update, async |app: &TestApp| {
    let mut admin = app.admin();
    let created = admin.create_client(client("Lion Trading", "201912345K")).await.expect("create").into_inner();
    let before_update = created.update_time.expect("update time");
    let patch = Client { name: created.name.clone(), city: "Jurong".into(), ..Default::default() };
    let updated = admin
        .update_client(UpdateClientRequest { client: Some(patch), update_mask: mask(&["city"]) })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.city, "Jurong");
    let then = admin
        .get_client(GetClientRequest { name: created.name.clone(), read_time: Some(before_update) })
        .await
        .expect("as-of read")
        .into_inner();
    assert_eq!(then.city, "Singapore");
    let now = admin.get_client(GetClientRequest { name: created.name.clone(), read_time: None }).await.expect("get");
    assert_eq!(now.into_inner().city, "Jurong");
    let ancient = prost_types::Timestamp { seconds: 1, nanos: 0 };
    let err = admin
        .get_client(GetClientRequest { name: created.name.clone(), read_time: Some(ancient) })
        .await
        .expect_err("before it existed");
    assert_eq!(err.code(), Code::NotFound);

    let revisions = admin
        .list_client_revisions(ListClientRevisionsRequest { name: created.name.clone(), ..Default::default() })
        .await
        .expect("revisions")
        .into_inner()
        .revisions;
    let summary: Vec<(i64, i32, Vec<String>, String)> =
        revisions.iter().map(|r| (r.revision, r.kind, r.changed_fields.clone(), r.actor.clone())).collect();
    let changed = vec!["city".to_owned(), "provenance".to_owned()];
    assert_eq!(summary[0], (2, ChangeKind::Updated as i32, changed, "admin-1".to_owned()));
    assert_eq!((summary[1].0, summary[1].1), (1, ChangeKind::Created as i32));
    assert_eq!(revisions[1].client.as_ref().map(|c| c.city.as_str()), Some("Singapore"));
});

conformance!(contact_changes_move_lookup_keys, async |app: &TestApp| {
    let mut admin = app.admin();
    let created = admin.create_client(client("Merlion Foods", "199900001A")).await.expect("create").into_inner();
    let contact = admin
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(Contact {
                display_name: "Tan Wei".into(),
                phone: "+6591234567".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("contact")
        .into_inner();
    let by_phone = |phone: &str| LookupClientRequest { contact_phone: phone.into(), ..Default::default() };
    let patch = Contact {
        name: contact.name.clone(),
        phone: "+6598765432".into(),
        etag: contact.etag.clone(),
        ..Default::default()
    };
    let changed = admin
        .update_contact(UpdateContactRequest { contact: Some(patch.clone()), update_mask: mask(&["phone"]) })
        .await
        .expect("update contact")
        .into_inner();
    assert_eq!((changed.phone.as_str(), changed.display_name.as_str()), ("+6598765432", "Tan Wei"));
    let stale =
        admin.update_contact(UpdateContactRequest { contact: Some(patch), update_mask: mask(&["phone"]) }).await;
    assert_eq!(stale.expect_err("stale etag").code(), Code::Aborted);
    assert_eq!(
        admin.lookup_client(by_phone("+65 9876 5432")).await.expect("new phone").into_inner().name,
        created.name
    );
    assert_eq!(admin.lookup_client(by_phone("+6591234567")).await.expect_err("old phone").code(), Code::NotFound);
    let other_rm = app.rm("rm-9");
    let denied =
        other_rm.clone().delete_contact(DeleteContactRequest { name: contact.name.clone(), etag: String::new() }).await;
    assert_eq!(denied.expect_err("other portfolio").code(), Code::PermissionDenied);
    admin
        .delete_contact(DeleteContactRequest { name: contact.name.clone(), etag: String::new() })
        .await
        .expect("delete");
    assert_eq!(admin.lookup_client(by_phone("+6598765432")).await.expect_err("deleted").code(), Code::NotFound);
});

conformance!(group_call_returns_the_whole_tree_from_the_ultimate_parent, async |app: &TestApp| {
    let mut admin = app.admin();
    let top = admin.create_client(client("Holdings", "H1")).await.expect("top").into_inner();
    let mut mid = client("Regional", "H2");
    mid.client.as_mut().expect("client").parent = top.name.clone();
    let mid = admin.create_client(mid).await.expect("mid").into_inner();
    let mut leaf = client("Local", "H3");
    leaf.client.as_mut().expect("client").parent = mid.name.clone();
    let leaf = admin.create_client(leaf).await.expect("leaf").into_inner();
    let mut sibling = client("Other Local", "H4");
    sibling.client.as_mut().expect("client").parent = top.name.clone();
    admin.create_client(sibling).await.expect("sibling");
    admin.create_client(client("Unrelated", "H5")).await.expect("unrelated");
    let group =
        admin.get_client_group(GetClientGroupRequest { name: leaf.name.clone() }).await.expect("group").into_inner();
    assert_eq!(group.ultimate_parent, top.name);
    let depths: Vec<(String, i32)> = group.members.iter().map(|m| (m.display_name.clone(), m.depth)).collect();
    assert_eq!(depths.len(), 4, "{depths:?}");
    assert_eq!(depths[0], ("Holdings".to_owned(), 0));
    assert!(depths.contains(&("Local".to_owned(), 2)));
    let quality =
        admin.get_client(GetClientRequest { name: leaf.name, read_time: None }).await.expect("get").into_inner();
    let quality = quality.data_quality.expect("data quality");
    assert!(quality.completeness > 0.0 && quality.completeness < 1.0);
    assert!(quality.missing_fields.contains(&"lei".to_owned()));
});
