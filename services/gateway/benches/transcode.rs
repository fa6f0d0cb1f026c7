//! The REST transcoder's per-call work, as `crm_gateway::rest` does it: finding the binding
//! of a path (`RestRoutes::find`), reading the request's JSON into a `DynamicMessage` and
//! encoding it, and turning the backend's reply bytes into JSON (`DynamicMessage::decode`,
//! then serde). The reply side is the gateway's private `json_reply`, repeated here with the
//! same two calls.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_gateway::{
    descriptors,
    rest::{Found, RestRoutes},
};
use crm_proto::{
    crm::profile::v1::{Client, ListClientsResponse},
    google::r#type::Money,
};
use prost::Message as _;
use prost_reflect::DynamicMessage;

fn client(i: i64) -> Client {
    Client {
        name: format!("clients/{i:032x}"),
        display_name: "华信精密".into(),
        legal_name: "上海华信精密机械股份有限公司".into(),
        registration_number: "91310000MA1FL0XX12".into(),
        tax_id: "**************XX12".into(),
        country_code: "CN".into(),
        industry_code: "2822".into(),
        region: "East China".into(),
        city: "Shanghai".into(),
        annual_turnover: Some(Money { currency_code: "CNY".into(), units: 86_000_000, nanos: 0 }),
        employee_count: 1200,
        relationship_manager: "rm-0042".into(),
        credit_grade: "BBB".into(),
        labels: [("segment".to_owned(), "trade".to_owned())].into_iter().collect(),
        ..Default::default()
    }
}

fn reply_to_json(c: &mut Criterion) {
    let pool = descriptors::load().expect("descriptor set");
    let one = bytes::Bytes::from(client(1).encode_to_vec());
    let page = bytes::Bytes::from(
        ListClientsResponse { clients: (0..20).map(client).collect(), ..Default::default() }.encode_to_vec(),
    );
    for (name, message, bytes) in
        [("client", "crm.profile.v1.Client", one), ("list_page_20", "crm.profile.v1.ListClientsResponse", page)]
    {
        let descriptor = pool.get_message_by_name(message).expect("message");
        c.bench_function(&format!("rest/reply_to_json/{name}"), |b| {
            b.iter(|| {
                let message = DynamicMessage::decode(descriptor.clone(), black_box(bytes.clone())).expect("decodes");
                serde_json::to_vec(&message).expect("serialises")
            })
        });
    }
}

fn request_from_json(c: &mut Criterion) {
    let pool = descriptors::load().expect("descriptor set");
    let input = pool.get_message_by_name("crm.profile.v1.LookupClientRequest").expect("message");
    let json = serde_json::json!({"registrationNumber": "91310000MA1FL0XX12", "countryCode": "CN"});
    c.bench_function("rest/request_from_json/lookup", |b| {
        b.iter(|| {
            let message = DynamicMessage::deserialize(input.clone(), black_box(json.clone())).expect("matches");
            message.encode_to_vec()
        })
    });
}

fn route(c: &mut Criterion) {
    let pool = descriptors::load().expect("descriptor set");
    let services = [
        "crm.profile.v1.ClientProfileService",
        "crm.gateway.v1.ClientViewService",
        "crm.interaction.v1.InteractionService",
    ];
    let routes = RestRoutes::build(&pool, services).expect("routes");
    for (name, path) in [
        ("get_client", "/v1/clients/0000002a000000000000000000001f4e"),
        ("view360", "/v1/clients/0000002a000000000000000000001f4e:view360"),
    ] {
        c.bench_function(&format!("rest/route/{name}"), |b| {
            b.iter(|| matches!(routes.find(&http::Method::GET, black_box(path)), Found::Route(..)))
        });
    }
}

criterion_group!(benches, reply_to_json, request_from_json, route);
criterion_main!(benches);
