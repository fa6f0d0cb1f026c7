//! CEL filters as ListClients and segment rules use them: checked once, then evaluated per
//! client row (the flat view built, bound in a scope, tested).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_kit::{
    client_view::{CLIENT_FIELDS, ClientFacts},
    expr::{CheckedExpr, Evaluator, ExprRules, to_value},
};
use crm_proto::{
    crm::profile::v1::{Client, CustomerType, LifecycleStage},
    google::r#type::Money,
};

const RULES: ExprRules<'static> =
    ExprRules { field: "filter", variable: "client", fields: &CLIENT_FIELDS, max_len: 2048, max_nodes: 256 };

/// A filter of the shape the README shows, and a segment rule with a list membership.
const FILTERS: [(&str, &str); 2] = [
    ("country_and_industry", "client.country_code == \"CN\" && client.industry_code.startsWith(\"64\")"),
    (
        "segment_rule",
        "client.customer_type in [\"LARGE_CORPORATE\", \"MID_MARKET\"] && client.annual_turnover_units >= 2000000000 \
         && client.labels.exists(k, k == \"trade\")",
    ),
];

fn client(i: i64, country: &str, industry: &str, kind: CustomerType) -> Client {
    Client {
        name: format!("clients/{i:032x}"),
        display_name: format!("华信精密 {i}"),
        legal_name: format!("上海华信精密机械股份有限公司 {i}"),
        registration_number: format!("91310000MA1FL0XX{i:02}"),
        country_code: country.into(),
        industry_code: industry.into(),
        customer_type: kind as i32,
        lifecycle_stage: LifecycleStage::Active as i32,
        annual_turnover: Some(Money { currency_code: "CNY".into(), units: 860_000_000 * i, nanos: 0 }),
        employee_count: 1200,
        relationship_manager: "rm-0042".into(),
        labels: [("trade".to_owned(), "active".to_owned())].into_iter().collect(),
        ..Default::default()
    }
}

fn clients() -> Vec<Client> {
    vec![
        client(1, "CN", "6419", CustomerType::LargeCorporate),
        client(2, "CN", "2822", CustomerType::Sme),
        client(3, "SG", "6420", CustomerType::MidMarket),
        client(4, "DE", "4690", CustomerType::LargeCorporate),
    ]
}

fn parse(c: &mut Criterion) {
    for (name, source) in FILTERS {
        c.bench_function(&format!("cel/parse/{name}"), |b| {
            b.iter(|| CheckedExpr::parse(black_box(source), &RULES).expect("valid"))
        });
    }
}

fn evaluate_per_client(c: &mut Criterion) {
    let rows = clients();
    let evaluator = Evaluator::new();
    for (name, source) in FILTERS {
        let expr = CheckedExpr::parse(source, &RULES).expect("valid");
        // What a scan does per row: the flat view, its CEL value, a scope, the test.
        c.bench_function(&format!("cel/eval_per_client/{name}"), |b| {
            b.iter(|| {
                let mut matched = 0;
                for client in &rows {
                    let value = to_value(ClientFacts::of(black_box(client))).expect("view");
                    matched += usize::from(evaluator.scope("client", value).test(&expr).expect("boolean"));
                }
                matched
            })
        });
    }
    c.bench_function("cel/client_view_to_value", |b| {
        b.iter(|| to_value(ClientFacts::of(black_box(&rows[0]))).expect("view"))
    });
}

criterion_group!(benches, parse, evaluate_per_client);
criterion_main!(benches);
