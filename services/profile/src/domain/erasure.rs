//! Erasure (GDPR Art. 17): what is left of a client, its contacts and its holdings once its
//! personal data is erased. Names become a pseudonym derived from the record's id (so
//! reports still tell erased clients apart), every identifier and free-text fact that could
//! point at a person goes, and the figures the bank's aggregates rest on stay: turnover,
//! industry, region, size, credit grade, balances, statements.

use crm_proto::crm::profile::v1::{Client, Contact, Holding, Purchasing};

/// The pseudonym of an erased record: its kind and the tail of its id.
pub fn pseudonym(kind: &str, name: &str) -> String {
    let id = name.rsplit('/').next().unwrap_or(name);
    let tail: String = id.chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
    format!("Erased {kind} {tail}")
}

/// The client with its personal data erased, as of `now` (a `Timestamp`).
pub fn client(c: &Client, now: prost_types::Timestamp) -> Client {
    let name = pseudonym("client", &c.name);
    let mut erased = Client {
        display_name: name.clone(),
        legal_name: name,
        registration_number: String::new(),
        lei: String::new(),
        tax_id: String::new(),
        city: String::new(),
        purchasing: c.purchasing.as_ref().map(|p| Purchasing { decision_makers: Vec::new(), ..p.clone() }),
        labels: Default::default(),
        aliases: Vec::new(),
        erase_time: Some(now),
        delete_time: c.delete_time.or(Some(now)),
        ..c.clone()
    };
    // What the record says of where its facts came from stays only for the facts it keeps.
    erased.provenance.retain(|field, _| {
        !matches!(
            field.as_str(),
            "display_name"
                | "legal_name"
                | "registration_number"
                | "lei"
                | "tax_id"
                | "city"
                | "purchasing"
                | "labels"
                | "aliases"
        )
    });
    erased
}

/// A contact with its personal data erased (and removed, if it was not yet).
pub fn contact(c: &Contact, now: prost_types::Timestamp) -> Contact {
    Contact {
        display_name: pseudonym("contact", &c.name),
        job_title: String::new(),
        phone: String::new(),
        email: String::new(),
        delete_time: c.delete_time.or(Some(now)),
        ..c.clone()
    }
}

/// A holding with its account number replaced (an account can identify a person); the
/// replacement carries the holding's whole id, so it stays unique across the bank.
pub fn holding(h: &Holding) -> Holding {
    let id = h.name.rsplit('/').next().unwrap_or(&h.name);
    Holding { account_number: format!("ERASED-{id}"), ..h.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_personal_is_left_and_the_figures_stay() {
        let now = prost_types::Timestamp { seconds: 1_800_000_000, nanos: 0 };
        let c = Client {
            name: "clients/0000002a00000000000000000000012c".into(),
            display_name: "王记五金".into(),
            legal_name: "王建国五金店".into(),
            tax_id: "91310000MA1FL0XX12".into(),
            registration_number: "91310000MA1FL0XX12".into(),
            city: "Shanghai".into(),
            industry_code: "4752".into(),
            labels: [("owner".to_owned(), "wang".to_owned())].into(),
            purchasing: Some(Purchasing {
                decision_makers: vec!["Wang Jianguo".into()],
                decision_cycle_days: 3,
                ..Default::default()
            }),
            ..Default::default()
        };
        let e = client(&c, now);
        assert_eq!(e.display_name, "Erased client 0000012c");
        assert!(e.tax_id.is_empty() && e.registration_number.is_empty() && e.labels.is_empty() && e.city.is_empty());
        assert_eq!(e.purchasing.as_ref().map(|p| (p.decision_makers.len(), p.decision_cycle_days)), Some((0, 3)));
        assert_eq!((e.industry_code.as_str(), e.erase_time, e.delete_time), ("4752", Some(now), Some(now)));
        let k = contact(
            &Contact { name: "clients/x/contacts/c1".into(), phone: "+86138".into(), ..Default::default() },
            now,
        );
        assert!(k.phone.is_empty() && k.delete_time.is_some());
    }
}
