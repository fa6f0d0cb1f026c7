//! A ListClients filter: parsed and checked as the profile service does (syntax, fields,
//! size, estimated cost); when accepted, evaluated against a client.
#![no_main]

use crm_profile::domain::filter::ClientFilter;
use crm_proto::crm::profile::v1::Client;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    let Ok(filter) = ClientFilter::parse(source, 2_000) else { return };
    let client = Client {
        name: "clients/c1".into(),
        display_name: "Harbour Logistics".into(),
        country_code: "GB".into(),
        industry_code: "4690".into(),
        employee_count: 120,
        ..Default::default()
    };
    let _ = filter.matches(&client);
});
