//! Bounded property-based runs over the profile's request validation: a client as callers
//! send it (any text in any field, any numbers), and the ListClients filter.
//!
//! Whatever a caller sends is parsed or refused as INVALID_ARGUMENT naming fields of the
//! client, never a panic; what is accepted is stored normalised, and normalising again
//! changes nothing (the stored form is a fixed point, so a replay or a re-import of a stored
//! client is accepted and stores the same record).

use crm_profile::domain::{client::NewClient, filter::ClientFilter};
use crm_proto::{crm::profile::v1::Client, google::r#type::Money};
use proptest::prelude::*;
use tonic::Code;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A field as callers write it: mostly a plausible value (`good`), padded or not, and now
/// and then anything at all.
fn field(good: impl Strategy<Value = String> + Clone + 'static) -> impl Strategy<Value = String> {
    prop_oneof![
        12 => good.clone(),
        1 => good.prop_map(|t| format!("  {t} ")),
        1 => "\\PC{0,12}",
        1 => ".{0,300}",
    ]
}

fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    proptest::sample::select(values).prop_map(str::to_owned)
}

fn pattern(regex: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(regex).expect("regex").boxed()
}

fn client() -> impl Strategy<Value = Client> {
    (
        (
            field(pattern("[A-Za-z][A-Za-z &.-]{0,40}")),
            field(pattern("[A-Za-z\u{4e00}-\u{9fa5}][A-Za-z &.\u{4e00}-\u{9fa5}]{0,60}|")),
            field(pattern("[A-Z0-9]{6,12}|")),
        ),
        (
            field(one_of(&["CN", "GB", "US", "DE", "gb"])),
            field(one_of(&["", "", "5493001KJTIIGC8Y1R12"])),
            field(one_of(&["4690", "6419", "2410", ""])),
        ),
        (
            field(pattern("[A-Za-z ]{0,20}")),
            field(pattern("rm-[0-9]{1,4}|")),
            field(one_of(&["AAA", "BBB", "B", "CCC", ""])),
        ),
        (
            prop_oneof![9 => 0i64..100_000, 1 => any::<i64>()],
            prop_oneof![9 => 0i64..1_000_000_000_000, 1 => any::<i64>()],
        ),
        (prop_oneof![9 => 0i32..1_000_000_000, 1 => any::<i32>()], field(one_of(&["CNY", "USD", "GBP", "EUR"]))),
    )
        .prop_map(
            |(
                (display, legal, reg),
                (country, lei, industry),
                (city, rm, grade),
                (staff, units),
                (nanos, currency),
            )| {
                Client {
                    display_name: display,
                    legal_name: legal,
                    registration_number: reg,
                    country_code: country,
                    lei,
                    industry_code: industry,
                    city,
                    relationship_manager: rm,
                    credit_grade: grade,
                    employee_count: staff,
                    annual_turnover: Some(Money { currency_code: currency, units, nanos }),
                    ..Default::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_client_is_parsed_or_refused_naming_its_fields(client in client()) {
        match NewClient::parse(client) {
            Ok(parsed) => {
                let manager = parsed.relationship_manager().to_owned();
                let stored = parsed.into_client(manager.clone(), "api");
                let again = NewClient::parse(stored.clone())
                    .unwrap_or_else(|err| panic!("a stored client is refused: {err:?}\n{stored:?}"));
                prop_assert_eq!(again.relationship_manager(), manager.as_str());
                // The same values; the sources recorded first are kept (the default
                // lifecycle stage, stated this time, gains one).
                let mut restored = again.into_client(manager, "api");
                for (fact, source) in &stored.provenance {
                    prop_assert_eq!(restored.provenance.get(fact), Some(source), "{}", fact);
                }
                restored.provenance = stored.provenance.clone();
                prop_assert_eq!(restored, stored);
            }
            Err(err) => {
                prop_assert_eq!(err.code(), Code::InvalidArgument);
                prop_assert!(!err.violations().is_empty());
                prop_assert!(err.violations().iter().all(|v| v.field.starts_with("client")), "{:?}", err.violations());
            }
        }
    }

    #[test]
    fn any_filter_is_accepted_or_invalid_argument_on_filter(source in "\\PC{0,120}|[a-z_. ()=!<>'\"0-9&|\\[\\],]{0,160}") {
        if let Err(err) = ClientFilter::parse(&source, 1_000) {
            prop_assert_eq!(err.code(), Code::InvalidArgument);
            prop_assert!(err.violations().iter().all(|v| v.field == "filter"));
        }
    }
}
