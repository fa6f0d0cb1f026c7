//! The core identity of a company, from which the rest of its client record (profile,
//! contacts, products) is derived.

use crm_proto::crm::profile::v1::CustomerType;

use crate::company::{Names, Trade};
use crate::geo::{City, Country};
use crate::industry::{IsicClass, Kind};

/// The identity of a company that subsidiaries and duplicates reproduce: everything about
/// it that another record refers to.
#[derive(Debug)]
pub(crate) struct Core {
    /// Parent's key, for subsidiaries.
    pub parent: Option<u64>,
    /// Country of registration.
    pub country: &'static Country,
    pub city: &'static City,
    pub class: &'static IsicClass,
    /// Trade name shared with the group.
    pub trade: Trade,
    /// Head of a group.
    pub head: bool,
    /// Government organ, public hospital or public school.
    pub public_body: bool,
    /// Annual turnover in Chinese-yuan equivalent.
    pub turnover_cny: f64,
    /// Names and domain stem.
    pub names: Names,
    /// Canonical registration number.
    pub registration: String,
    /// Canonical tax id (may be empty).
    pub tax_id: String,
}

impl Core {
    /// The bank's customer type: by kind of organisation, then by turnover.
    pub fn customer_type(&self) -> CustomerType {
        match self.class.kind {
            Kind::Financial => CustomerType::FinancialInstitution,
            Kind::Public => CustomerType::PublicSector,
            Kind::NonProfit => CustomerType::NonProfit,
            _ if self.public_body => CustomerType::PublicSector,
            _ => match size_band(self.turnover_cny) {
                2 => CustomerType::LargeCorporate,
                1 => CustomerType::MidMarket,
                _ => CustomerType::Sme,
            },
        }
    }
}

/// 0 SME (< 50m CNY), 1 mid-market (< 1bn CNY), 2 large.
pub(crate) fn size_band(turnover_cny: f64) -> usize {
    if turnover_cny >= 1e9 {
        2
    } else if turnover_cny >= 5e7 {
        1
    } else {
        0
    }
}
