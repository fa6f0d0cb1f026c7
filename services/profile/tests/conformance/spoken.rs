//! Conformance: SearchClients finds a client by the name a caller says (its 简称, a name
//! typed without accents, its initials, a brand or former name), measured on the evaluation
//! set of real companies in `spoken_names`.

use crm_proto::crm::profile::v1::{
    AliasKind, Client, ClientAlias, CreateClientRequest, Provenance, SearchClientsRequest, SourceType,
    UpdateClientRequest,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    spoken_names::COMPANIES,
    support::{TestApp, conformance, violations},
};

fn company(legal: &str, country: &str, aliases: &[(&str, AliasKind)]) -> Client {
    Client {
        display_name: legal.into(),
        legal_name: legal.into(),
        country_code: country.into(),
        industry_code: "6419".into(),
        relationship_manager: "rm-1".into(),
        aliases: aliases
            .iter()
            .map(|(name, kind)| ClientAlias {
                name: (*name).into(),
                kind: *kind as i32,
                provenance: Some(Provenance {
                    source_type: SourceType::Secondary as i32,
                    source_name: "national-registry".into(),
                    ..Default::default()
                }),
            })
            .collect(),
        ..Default::default()
    }
}

/// The legal names of the first `n` results for `query`.
async fn top(app: &TestApp, query: &str, n: i32) -> Vec<String> {
    let request = SearchClientsRequest { query: query.into(), page_size: n, ..Default::default() };
    let results = app.admin().search_clients(request).await.expect("search").into_inner().results;
    results.into_iter().filter_map(|r| r.client).map(|c| c.legal_name).collect()
}

conformance!(spoken_names_find_the_client_in_the_top_three, async |app: &TestApp| {
    for c in &COMPANIES {
        let request =
            CreateClientRequest { client: Some(company(c.legal, c.country, c.aliases)), request_id: String::new() };
        app.admin().create_client(request).await.unwrap_or_else(|e| panic!("{}: {e:?}", c.legal));
    }
    let (mut spoken_hits, mut full_hits, mut misses) = (0, 0, Vec::new());
    for c in &COMPANIES {
        if top(app, c.spoken, 3).await.iter().any(|l| l == c.legal) {
            spoken_hits += 1;
        } else {
            misses.push(format!("{} -> {}: {:?}", c.spoken, c.legal, top(app, c.spoken, 3).await));
        }
        if top(app, c.legal, 1).await.first().map(String::as_str) == Some(c.legal) {
            full_hits += 1;
        }
    }
    let total = COMPANIES.len() as f64;
    let (spoken_rate, full_rate) = (f64::from(spoken_hits) / total, f64::from(full_hits) / total);
    eprintln!(
        "spoken names in the top 3: {spoken_rate:.3}; full legal names first: {full_rate:.3}; misses: {misses:#?}"
    );
    assert!(spoken_rate >= 0.95, "spoken names in the top 3: {spoken_rate:.3}, misses: {misses:#?}");
    assert!((full_rate - 1.0).abs() < f64::EPSILON, "every full legal name comes first: {full_rate:.3}");
});

conformance!(aliases_are_kept_checked_and_searched, async |app: &TestApp| {
    let mut admin = app.admin();
    let created = admin
        .create_client(CreateClientRequest {
            client: Some(company("北京三快在线科技有限公司", "CN", &[])),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner();
    assert!(top(app, "美团", 3).await.is_empty(), "the brand is not on the record yet");
    let patch = Client { name: created.name.clone(), ..company("", "", &[(" 美团 ", AliasKind::Brand)]) };
    let mask = Some(FieldMask { paths: vec!["aliases".into()] });
    let updated = admin
        .update_client(UpdateClientRequest { client: Some(patch.clone()), update_mask: mask.clone() })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.aliases[0].name, "美团");
    assert_eq!(updated.aliases[0].provenance.as_ref().map(|p| p.source_name.as_str()), Some("national-registry"));
    assert_eq!(top(app, "美团", 3).await, ["北京三快在线科技有限公司"]);
    let bad = Client { name: created.name.clone(), ..company("", "", &[("", AliasKind::Unspecified)]) };
    let err = admin
        .update_client(UpdateClientRequest { client: Some(bad), update_mask: mask.clone() })
        .await
        .expect_err("empty alias");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["client.aliases[0].name", "client.aliases[0].kind"]);
    let cleared = Client { name: created.name.clone(), ..Default::default() };
    admin.update_client(UpdateClientRequest { client: Some(cleared), update_mask: mask }).await.expect("clear");
    assert!(top(app, "美团", 3).await.is_empty(), "a removed alias no longer finds the client");
});
