//! Properties of the generated portfolio.

use std::collections::{HashMap, HashSet};

use crm_proto::crm::profile::v1::{CustomerType, ProductLine};

use crate::calendar::REFERENCE_TIME;
use crate::checks::mod97;
use crate::*;

fn portfolio(clients: u64, seed: u64) -> Vec<SeedClient> {
    generate(&SeedConfig { clients, seed, duplicate_rate: 0.01 }).collect()
}

#[test]
fn same_seed_gives_identical_clients_and_shorter_runs_are_prefixes() {
    let a = portfolio(1000, 7);
    let b = portfolio(1000, 7);
    assert_eq!(a, b);
    assert_eq!(portfolio(300, 7)[..], a[..300]);
    let one = Generator::new(&SeedConfig { clients: 1000, seed: 7, duplicate_rate: 0.01 });
    assert_eq!(one.client(777), a[777]);
}

#[test]
fn different_seeds_give_different_portfolios() {
    let a = portfolio(200, 1);
    let b = portfolio(200, 2);
    let same = a.iter().zip(&b).filter(|(x, y)| x.client.legal_name == y.client.legal_name).count();
    assert!(same < 10, "{same} identical names");
    assert_ne!(a[0].client.registration_number, b[0].client.registration_number);
}

#[test]
fn identifiers_are_unique_and_leis_valid() {
    let clients = portfolio(20_000, 42);
    let mut regs = HashSet::new();
    let mut leis = HashSet::new();
    let mut taxes = HashSet::new();
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    let mut accounts = HashSet::new();
    let (mut with_lei, mut with_tax) = (0, 0);
    for sc in &clients {
        let c = &sc.client;
        if !c.registration_number.is_empty() {
            let norm: String = c.registration_number.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(regs.insert((c.country_code.clone(), norm.to_uppercase())), "{}", c.registration_number);
        }
        if !c.lei.is_empty() {
            with_lei += 1;
            let alphanumeric = c.lei.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            assert!(c.lei.len() == 20 && alphanumeric && mod97(c.lei.as_bytes()) == 1, "{}", c.lei);
            assert!(leis.insert(c.lei.clone()));
        }
        if !c.tax_id.is_empty() {
            with_tax += 1;
            assert!(taxes.insert(c.tax_id.to_uppercase().replace([' ', '-'], "")), "{}", c.tax_id);
        }
        for contact in &sc.contacts {
            assert!(phones.insert(contact.phone.clone()), "{}", contact.phone);
            assert!(emails.insert(contact.email.to_lowercase()), "{}", contact.email);
        }
        for h in &sc.holdings {
            assert!(accounts.insert(h.account_number.clone()), "{}", h.account_number);
        }
    }
    let n = clients.len() as f64;
    assert!((0.33..0.5).contains(&(f64::from(with_lei) / n)), "LEI share {with_lei}");
    assert!(f64::from(with_tax) / n > 0.8, "tax id share {with_tax}");
}

#[test]
fn groups_are_shallow_trees_of_earlier_clients_sharing_a_trade_name() {
    let clients = portfolio(20_000, 3);
    let parent: HashMap<u64, u64> = clients.iter().filter_map(|c| c.parent_key.map(|p| (c.key, p))).collect();
    let mut shared = (0, 0);
    for c in &clients {
        let mut depth = 1;
        let mut at = c.key;
        while let Some(&p) = parent.get(&at) {
            assert!(p < at);
            depth += 1;
            at = p;
        }
        assert!(depth <= 3, "client {} has depth {depth}", c.key);
        if let (Some(p), None) = (c.parent_key, c.duplicate_of) {
            let pc = &clients[p as usize].client;
            if pc.country_code == c.client.country_code {
                shared.1 += 1;
                let stem: String = if pc.country_code == "CN" {
                    pc.display_name.chars().take(2).collect()
                } else {
                    pc.display_name.split(' ').next().unwrap_or("").to_owned()
                };
                shared.0 += usize::from(c.client.display_name.starts_with(&stem));
            }
        }
    }
    let share = parent.len() as f64 / clients.len() as f64;
    assert!((0.06..0.11).contains(&share), "subsidiary share {share}");
    assert!(shared.0 * 100 >= shared.1 * 95, "{shared:?}");
}

#[test]
fn duplicates_re_enter_earlier_clients_at_the_configured_rate() {
    let clients = portfolio(20_000, 11);
    let dups: Vec<_> = clients.iter().filter(|c| c.duplicate_of.is_some()).collect();
    assert!((140..=260).contains(&dups.len()), "{} duplicates", dups.len());
    for d in dups {
        let o = d.duplicate_of.unwrap_or(u64::MAX);
        assert!(o < d.key);
        let orig = &clients[o as usize];
        assert!(orig.duplicate_of.is_none());
        assert_eq!(orig.client.country_code, d.client.country_code);
        assert_eq!(orig.client.city, d.client.city);
        assert_ne!(orig.client.legal_name, d.client.legal_name);
        assert!(d.client.lei.is_empty() && d.client.tax_id.is_empty());
        assert_ne!(orig.client.registration_number, d.client.registration_number);
    }
    let none: Vec<_> = generate(&SeedConfig { clients: 2000, seed: 11, duplicate_rate: 0.0 }).collect();
    assert!(none.iter().all(|c| c.duplicate_of.is_none()));
}

#[test]
fn turnover_is_heavy_tailed_and_customer_types_follow_size_and_industry() {
    let clients = portfolio(20_000, 5);
    let mut cny: Vec<i64> = Vec::new();
    let mut chinese = 0;
    for sc in &clients {
        let c = &sc.client;
        let t = c.annual_turnover.as_ref().map_or(-1, |m| m.units);
        let ct = CustomerType::try_from(c.customer_type).unwrap_or(CustomerType::Unspecified);
        let fin = matches!(&c.industry_code[..2], "64" | "65" | "66");
        assert_eq!(fin, ct == CustomerType::FinancialInstitution, "{}", c.industry_code);
        if c.industry_code.starts_with("84") {
            assert_eq!(ct, CustomerType::PublicSector);
        }
        if c.country_code == "CN" {
            chinese += 1;
            cny.push(t);
            match ct {
                CustomerType::LargeCorporate => assert!(t >= 1_000_000_000, "{t}"),
                CustomerType::MidMarket => assert!((50_000_000..=1_000_000_000).contains(&t), "{t}"),
                CustomerType::Sme => assert!(t <= 50_000_000, "{t}"),
                _ => {}
            }
        }
    }
    cny.sort_unstable();
    let median = cny[cny.len() / 2] as f64;
    let mean = cny.iter().map(|&t| t as f64).sum::<f64>() / cny.len() as f64;
    assert!(mean > 2.0 * median, "mean {mean} median {median}");
    let share = f64::from(chinese) / clients.len() as f64;
    assert!((0.65..0.75).contains(&share), "Chinese share {share}");
}

fn ok_money(m: Option<&crm_proto::google::r#type::Money>, negative: bool) -> bool {
    m.is_some_and(|m| {
        m.currency_code.len() == 3
            && m.currency_code.bytes().all(|b| b.is_ascii_uppercase())
            && (negative || (m.units >= 0 && m.nanos >= 0))
            && (m.units == 0 || m.nanos == 0 || (m.units > 0) == (m.nanos > 0))
    })
}

#[test]
fn every_record_passes_obvious_validation() {
    let grades = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"];
    for sc in portfolio(5000, 9) {
        let c = &sc.client;
        assert!(c.name.is_empty() && c.parent.is_empty());
        assert!(c.country_code.len() == 2 && c.country_code.bytes().all(|b| b.is_ascii_uppercase()));
        assert!(c.industry_code.len() == 4 && c.industry_code.bytes().all(|b| b.is_ascii_digit()));
        for s in [&c.display_name, &c.legal_name, &c.region, &c.city, &c.registration_number, &c.tax_id] {
            assert!(s.chars().count() < 256 && s.trim() == s, "{s:?}");
        }
        assert!(!c.display_name.is_empty() && !c.legal_name.is_empty());
        assert!(c.registration_number.chars().all(|ch| ch.is_alphanumeric() || " -/.".contains(ch)));
        assert!(ok_money(c.annual_turnover.as_ref(), false));
        assert!(c.employee_count >= 0 && c.branch_count >= 0);
        assert!(grades.contains(&c.credit_grade.as_str()));
        assert!(c.customer_type > 0 && c.lifecycle_stage > 0);
        let rm: u32 = c.relationship_manager.strip_prefix("rm-").and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!((1..=400).contains(&rm), "{}", c.relationship_manager);
        let p = c.purchasing.as_ref().expect("purchasing");
        assert!((5..=180).contains(&p.decision_cycle_days) && !p.decision_makers.is_empty());
        assert!(c.labels.keys().all(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        assert!((1..=4).contains(&sc.contacts.len()));
        for k in &sc.contacts {
            let digits = k.phone.trim_start_matches('+');
            assert!(k.phone.starts_with('+') && (8..=15).contains(&digits.len()), "{}", k.phone);
            assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            assert!(k.email.is_ascii() && k.email.contains('@') && !k.email.contains(' '), "{}", k.email);
            assert!(!k.display_name.is_empty() && k.name.is_empty() && k.role > 0 && k.preferred_channel > 0);
        }
        assert!((1..=6).contains(&sc.holdings.len()));
        for h in &sc.holdings {
            let lending = h.product_line == ProductLine::Lending as i32;
            assert!(ok_money(h.balance.as_ref(), lending), "{h:?}");
            assert!(h.limit.is_none() || ok_money(h.limit.as_ref(), false));
            assert!(ok_money(h.monthly_transaction_volume.as_ref(), false) && h.monthly_transaction_count >= 0);
            assert!(h.account_number.len() <= 34 && h.account_number.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(h.open_time.as_ref().is_some_and(|t| t.seconds < REFERENCE_TIME));
        }
        assert!((2..=3).contains(&sc.statements.len()));
        let currency = c.annual_turnover.as_ref().map(|m| m.currency_code.clone());
        for s in &sc.statements {
            let all = [&s.revenue, &s.total_assets, &s.total_debt, &s.current_assets, &s.current_liabilities];
            for m in all.into_iter().chain([&s.interest_expense]) {
                assert!(ok_money(m.as_ref(), false), "{s:?}");
                assert_eq!(m.as_ref().map(|m| m.currency_code.clone()), currency);
            }
            assert!(ok_money(s.ebitda.as_ref(), true));
            assert!(s.period_end_time.as_ref().is_some_and(|t| t.seconds < REFERENCE_TIME));
        }
    }
}

/// FNV-1a of the `Debug` output of the first 2,000 clients of seed 42 (the default
/// portfolio's prefix). It changes whenever anything generated changes: if that is
/// intended, put the new value here; if not, the change is a regression. (A `prost` release
/// that formats messages differently changes it too.)
const PORTFOLIO_FINGERPRINT: u64 = 0x73f3_9e16_9160_2fb6;

#[test]
fn the_generated_portfolio_is_unchanged() {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for sc in portfolio(2000, 42) {
        for b in format!("{sc:?}").bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    assert_eq!(hash, PORTFOLIO_FINGERPRINT, "fingerprint {hash:#018x}");
}
