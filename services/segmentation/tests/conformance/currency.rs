//! One currency: turnover and balances from the profile (each in its own currency, stored in
//! the projection on both backends) are compared in the scheme's reporting currency, with
//! deposits and drawn loans kept apart.

use crm_proto::{
    crm::{
        profile::v1::{Client, Holding, ProductLine, UpsertHoldingRequest},
        segmentation::v1::{
            CreateSchemeRequest, ExchangeRates, GetSchemeReportRequest, Scheme, SegmentationBasis, UpdateSchemeRequest,
        },
    },
    google::r#type::Money,
};
use prost_types::FieldMask;

use crate::{
    activate, at, create_client, new_client, seg, segments_of,
    support::{TestApp, conformance, eventually, violations},
};

fn money(currency: &str, units: i64) -> Option<Money> {
    Some(Money { currency_code: currency.into(), units, nanos: 0 })
}

async fn hold(app: &TestApp, client: &str, line: ProductLine, account: &str, balance: Option<Money>) {
    let holding = Holding {
        product_code: "P-1".into(),
        product_line: line as i32,
        account_number: account.into(),
        balance,
        ..Default::default()
    };
    let request = UpsertHoldingRequest { parent: client.into(), holding: Some(holding) };
    app.profile().upsert_holding(request).await.expect("upsert holding");
}

/// Large by turnover (CNY 2 bn), or cash-rich borrowers (deposits and drawn loans apart).
fn plan() -> Scheme {
    Scheme {
        display_name: "One currency".into(),
        bases: vec![SegmentationBasis::Size as i32, SegmentationBasis::ProductUsage as i32],
        segments: vec![
            seg("large", "client.annual_turnover_reporting >= 2000000000", vec![]),
            seg("cash-rich", "client.deposit_balance > 5000000 && client.loan_balance > 10000000", vec![]),
        ],
        ..Default::default()
    }
}

conformance!(money_is_compared_in_the_reporting_currency_with_deposits_and_loans_apart, async |app: &TestApp| {
    // KRW 10 bn is about CNY 51 m: not large, although its units exceed 2 000 000 000.
    let korean = Client {
        country_code: "KR".into(),
        annual_turnover: money("KRW", 10_000_000_000),
        ..new_client("Hanbit Parts", "K1", "2930", 0)
    };
    let korean = create_client(app, korean).await;
    hold(app, &korean, ProductLine::Deposits, "ACC-K1", money("EUR", 1_000_000)).await;
    hold(app, &korean, ProductLine::Lending, "ACC-K2", money("USD", -2_000_000)).await;
    let chinese =
        Client { annual_turnover: money("CNY", 3_000_000_000), ..new_client("Huaxin Steel", "C1", "2410", 0) };
    let chinese = create_client(app, chinese).await;
    crate::wait_for_penetration(app, 2, &[("DEPOSITS", 0.5), ("LENDING", 0.5)]).await;

    let (scheme, _) = activate(app, plan()).await;
    let rates = scheme.exchange_rates.as_ref().expect("the bank's default table is stored on the scheme");
    assert_eq!((rates.reporting_currency.as_str(), rates.as_of_date.as_str()), ("CNY", "2025-12-31"));
    assert_eq!(segments_of(app, &chinese, None).await, [at("large", 1)]);
    // EUR 1 m = CNY 8 m of deposits; USD 2 m drawn = CNY 14.3 m of loans: not netted to −6.3 m.
    assert_eq!(segments_of(app, &korean, None).await, [at("cash-rich", 1)]);

    let request = GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None };
    let report = eventually("the report", || async {
        app.analyst().get_scheme_report(request.clone()).await.ok().map(tonic::Response::into_inner)
    })
    .await;
    assert_eq!(report.exchange_rates.as_ref().map(|r| r.reporting_currency.as_str()), Some("CNY"));
    let cash = report.segments.iter().find(|s| s.segment.ends_with("/cash-rich")).expect("cash-rich");
    let mean = |variable: &str| cash.spreads.iter().find(|v| v.variable == variable).map(|v| v.mean);
    assert_eq!(mean("deposit_balance"), Some(8_000_000.0));
    assert_eq!(mean("loan_balance"), Some(14_285_714.0));
    assert_eq!(mean("annual_turnover_reporting"), Some(51_280_000.0));

    // A table of the scheme's own: a rate must be positive, and a DRAFT may change it.
    let mut draft = plan();
    draft.exchange_rates = Some(ExchangeRates {
        reporting_currency: "USD".into(),
        rates: [("KRW".to_owned(), 0.0)].into(),
        as_of_date: "2026-06-30".into(),
        source: "treasury".into(),
    });
    let request = CreateSchemeRequest { scheme: Some(draft.clone()), request_id: String::new() };
    let err = app.analyst().create_scheme(request).await.expect_err("a zero rate");
    assert_eq!(violations(&err), ["scheme.exchange_rates.rates[KRW]"]);
    draft.exchange_rates = None;
    let request = CreateSchemeRequest { scheme: Some(draft), request_id: String::new() };
    let created = app.analyst().create_scheme(request).await.expect("created").into_inner();
    let usd = ExchangeRates {
        reporting_currency: "USD".into(),
        rates: [("CNY".to_owned(), 0.14), ("KRW".to_owned(), 0.00072)].into(),
        as_of_date: "2026-06-30".into(),
        source: "treasury".into(),
    };
    let patch = Scheme { name: created.name.clone(), exchange_rates: Some(usd.clone()), ..Default::default() };
    let mask = FieldMask { paths: vec!["exchange_rates".into()] };
    let request = UpdateSchemeRequest { scheme: Some(patch), update_mask: Some(mask) };
    let updated = app.analyst().update_scheme(request).await.expect("updated").into_inner();
    assert_eq!(updated.exchange_rates, Some(usd));
});
