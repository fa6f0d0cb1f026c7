//! Contacts: people named in their country's script, their part in purchasing decisions,
//! and unique phone numbers and e-mail addresses.

use crm_proto::crm::profile::v1::{Contact, ContactRole, CustomerType, PreferredChannel};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::company::ascii_fold;
use crate::identity::Core;
use crate::ids::{self, Salts};
use crate::industry::Kind;
use crate::people::{self, Title};
use crate::profile::Profile;
use crate::random::pick;

/// Lower-case base-36 digits of `n`.
pub(crate) fn base36(mut n: u64) -> String {
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// The client's web domain: name stem, the key in base 36 (so it is unique) and the TLD.
pub(crate) fn domain(core: &Core, key: u64) -> String {
    let tld = match (core.country.code, core.class.kind) {
        ("CN", Kind::Public) => "gov.cn",
        ("CN", Kind::NonProfit) => "org.cn",
        ("CN", Kind::Education) if core.public_body => "edu.cn",
        (_, Kind::NonProfit) => "org",
        _ => core.country.tld,
    };
    format!("{}-{}.{tld}", core.names.slug, base36(key))
}

/// A person's display name and the ASCII "given.family" e-mail local part.
fn person(country: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let any = |rng: &mut ChaCha8Rng, items: &[(&'static str, &'static str)]| items[rng.random_range(0..items.len())];
    match country {
        "CN" => {
            let (family, family_py, _) = *pick(rng, people::ZH_SURNAMES, |s| s.2);
            let (given, given_py) = any(rng, people::ZH_GIVEN);
            (format!("{family}{given}"), format!("{given_py}.{family_py}"))
        }
        "JP" => {
            let ((family, f), (given, g)) = (any(rng, people::JA_FAMILY), any(rng, people::JA_GIVEN));
            (format!("{family} {given}"), format!("{g}.{f}"))
        }
        "KR" => {
            let ((family, f), (given, g)) = (any(rng, people::KO_FAMILY), any(rng, people::KO_GIVEN));
            (format!("{family}{given}"), format!("{g}.{f}"))
        }
        _ => {
            let pool = people::person_pool(country);
            let first = people::FIRST_NAMES[pool][rng.random_range(0..people::FIRST_NAMES[pool].len())];
            let last = people::LAST_NAMES[pool][rng.random_range(0..people::LAST_NAMES[pool].len())];
            let mut local = String::with_capacity(first.len() + last.len() + 1);
            ascii_fold(first, &mut local);
            local.push('.');
            ascii_fold(last, &mut local);
            (format!("{first} {last}"), local)
        }
    }
}

fn channel(role: ContactRole, large: bool, rng: &mut ChaCha8Rng) -> PreferredChannel {
    use PreferredChannel::*;
    let weights: &[(PreferredChannel, u32)] = match role {
        ContactRole::DecisionMaker | ContactRole::Signatory if large => {
            &[(RmVisit, 55), (Phone, 20), (Mobile, 15), (Email, 10)]
        }
        ContactRole::DecisionMaker | ContactRole::Signatory => {
            &[(RmVisit, 25), (Phone, 20), (Mobile, 30), (Branch, 15), (Email, 10)]
        }
        ContactRole::Gatekeeper => &[(Email, 45), (Phone, 40), (Mobile, 15)],
        _ => &[(Online, 35), (Mobile, 25), (Email, 25), (Phone, 10), (Branch, 5)],
    };
    pick(rng, weights, |c| c.1).0
}

/// One to four contacts of client `key`.
pub(crate) fn contacts(core: &Core, key: u64, p: &Profile, salts: &Salts, rng: &mut ChaCha8Rng) -> Vec<Contact> {
    let large = matches!(p.customer_type, CustomerType::LargeCorporate | CustomerType::FinancialInstitution);
    let count = match p.customer_type {
        _ if large => rng.random_range(3..=4),
        CustomerType::MidMarket | CustomerType::PublicSector => rng.random_range(2..=3),
        _ => rng.random_range(1..=2),
    };
    let body = core.public_body || matches!(core.class.kind, Kind::Public | Kind::NonProfit);
    let mut titles: Vec<&Title> = Vec::with_capacity(count);
    if body {
        titles.push(&people::BODY_TITLES[0]);
        let mut rest: Vec<&Title> = people::BODY_TITLES[1..].iter().collect();
        while titles.len() < count && !rest.is_empty() {
            titles.push(rest.swap_remove(rng.random_range(0..rest.len())));
        }
    } else {
        titles.push(&people::TOP_TITLES[rng.random_range(0..people::TOP_TITLES.len())]);
        titles.push(&people::FINANCE_TITLES[rng.random_range(0..people::FINANCE_TITLES.len())]);
        let mut rest: Vec<&Title> = people::OTHER_TITLES.iter().collect();
        while titles.len() < count {
            titles.push(rest.swap_remove(rng.random_range(0..rest.len())));
        }
        titles.truncate(count);
    }
    let domain = domain(core, key);
    let mut locals: Vec<String> = Vec::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    for (i, &&(zh_title, en_title, role)) in titles.iter().enumerate() {
        let (display_name, mut local) = person(core.country.code, rng);
        if locals.contains(&local) {
            local.push_str(&(i + 1).to_string());
        }
        let email = format!("{local}@{domain}");
        locals.push(local);
        out.push(Contact {
            display_name,
            job_title: if core.country.code == "CN" { zh_title } else { en_title }.to_owned(),
            role: role as i32,
            phone: ids::phone(core.country.code, key, i as u64, salts),
            email,
            preferred_channel: channel(role, large, rng) as i32,
            ..Contact::default()
        });
    }
    out
}
