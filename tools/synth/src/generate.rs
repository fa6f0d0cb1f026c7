//! The generator: per-key decisions (group role, duplicate), the core identity of a
//! company, and assembly of a whole [`SeedClient`] from its profile, contacts, products
//! and statements.

use std::collections::HashSet;

use crm_proto::crm::profile::v1::{Client, Contact, CustomerType, FinancialStatement, Holding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bodies::FOUNDATION;
use crate::company::{self, NameSpec, Trade};
use crate::geo::{self, COUNTRIES, Lang};
use crate::identity::{Core, size_band};
use crate::ids::{self, CnOrg, Salts};
use crate::industry::{self, CLASSES, Kind};
use crate::random::{log_normal, pick};
use crate::{contacts, products, profile};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedConfig {
    /// Number of clients (keys `0..clients`).
    pub clients: u64,
    /// Seed; the same seed gives the same portfolio.
    pub seed: u64,
    /// Share of clients that re-enter an earlier client under a variant name (default 0.01).
    pub duplicate_rate: f64,
}

impl Default for SeedConfig {
    fn default() -> Self {
        Self { clients: 10_000, seed: 42, duplicate_rate: 0.01 }
    }
}

/// One generated client with everything that hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedClient {
    /// Position in the portfolio, `0..clients`.
    pub key: u64,
    /// The client record; `name` and `parent` are empty.
    pub client: Client,
    /// Key of the parent company in the group (always smaller than `key`).
    pub parent_key: Option<u64>,
    /// One to four contacts (names empty).
    pub contacts: Vec<Contact>,
    /// One to six product holdings (names empty).
    pub holdings: Vec<Holding>,
    /// Two or three yearly statements, oldest first (names empty).
    pub statements: Vec<FinancialStatement>,
    /// For a re-entry of an earlier client: that client's key (ground truth for duplicate
    /// detection).
    pub duplicate_of: Option<u64>,
}

/// Salts of the cheap per-key hashes.
const H_DUP: u64 = 0xD0;
const H_ROLE: u64 = 0x20;
const H_PARENT: u64 = 0x1000;
const H_ORIGINAL: u64 = 0x2000;

/// SplitMix64 finaliser: a fast, well-mixed hash of a 64-bit word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A client's place in a group: heads and subsidiaries on two levels below them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Plain,
    Head,
    Sub2,
    Sub3,
}

/// Deterministic generator of one portfolio; [`Generator::client`] can be called for any key
/// in any order (e.g. from several threads) with the same result.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    core_key: [u8; 32],
    detail_key: [u8; 32],
    dup_cut: u64,
    salts: Salts,
}

impl Generator {
    /// A generator for `cfg` (only `seed` and `duplicate_rate` matter; `clients` is the caller's).
    pub fn new(cfg: &SeedConfig) -> Self {
        let mut master = ChaCha8Rng::seed_from_u64(cfg.seed);
        let core_key = master.random();
        let detail_key = master.random();
        let salts = Salts {
            reg: master.random(),
            tax: master.random(),
            lei: master.random(),
            phone: master.random(),
            account: master.random(),
        };
        let rate = if cfg.duplicate_rate.is_finite() { cfg.duplicate_rate.clamp(0.0, 1.0) } else { 0.0 };
        Self { seed: cfg.seed, core_key, detail_key, dup_cut: (rate * u64::MAX as f64) as u64, salts }
    }

    fn hash(&self, key: u64, salt: u64) -> u64 {
        mix(mix(self.seed ^ mix(salt)).wrapping_add(key))
    }

    fn rng(seed: &[u8; 32], key: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(*seed);
        rng.set_stream(key);
        rng
    }

    fn is_duplicate(&self, key: u64) -> bool {
        key > 0 && self.hash(key, H_DUP) < self.dup_cut
    }

    fn role(&self, key: u64) -> Role {
        if self.is_duplicate(key) {
            return Role::Plain;
        }
        match self.hash(key, H_ROLE) % 10_000 {
            0..300 => Role::Head,
            300..975 => Role::Sub2,
            975..1210 => Role::Sub3,
            _ => Role::Plain,
        }
    }

    /// The parent of `key`: an earlier key one level up (a head for level-2 subsidiaries, a
    /// level-2 subsidiary for level-3 ones), so trees are at most three levels deep.
    fn parent_of(&self, key: u64) -> Option<u64> {
        let want = match self.role(key) {
            Role::Sub2 => Role::Head,
            Role::Sub3 => Role::Sub2,
            _ => return None,
        };
        if key == 0 {
            return None;
        }
        (0..64).map(|a| self.hash(key, H_PARENT + a) % key).find(|&p| self.role(p) == want)
    }

    /// The earlier, genuine client a duplicate re-enters.
    fn original_of(&self, key: u64) -> Option<u64> {
        if !self.is_duplicate(key) {
            return None;
        }
        (0..32).map(|a| self.hash(key, H_ORIGINAL + a) % key).find(|&o| !self.is_duplicate(o))
    }

    /// The core identity of `key` (recomputed for parents and duplicates' originals).
    pub(crate) fn core(&self, key: u64) -> Core {
        let mut rng = Self::rng(&self.core_key, key);
        let role = self.role(key);
        let parent = self.parent_of(key);
        let parent_core = parent.map(|p| self.core(p));
        let (country, class, trade, turnover_cny) = match &parent_core {
            Some(pc) => {
                let country = if rng.random_bool(0.85) {
                    pc.country
                } else if pc.country.code == "CN" {
                    &COUNTRIES[pick(&mut rng, geo::CN_OUTBOUND, |c| c.1).0]
                } else if rng.random_bool(0.5) {
                    geo::china()
                } else {
                    pick(&mut rng, COUNTRIES, |c| c.weight)
                };
                let class = if rng.random_bool(0.6) {
                    pc.class
                } else {
                    let list = if pc.class.kind == Kind::Financial {
                        industry::FINANCIAL_SUPPORT
                    } else {
                        industry::GROUP_SUPPORT
                    };
                    industry::by_code(list[rng.random_range(0..list.len())]).unwrap_or(pc.class)
                };
                let turnover = log_normal(&mut rng, pc.turnover_cny * 0.12, 0.9).min(pc.turnover_cny * 0.8).max(2e6);
                (country, class, pc.trade.clone(), turnover)
            }
            None => {
                let country = pick(&mut rng, COUNTRIES, |c| c.weight);
                let mut class = pick(&mut rng, CLASSES, |c| c.weight);
                // Group members are companies or financial institutions.
                while role != Role::Plain && !matches!(class.kind, Kind::Corporate | Kind::Financial) {
                    class = pick(&mut rng, CLASSES, |c| c.weight);
                }
                let (median, sigma) = match class.kind {
                    Kind::Financial if role == Role::Head => (2e9, 1.2),
                    _ if role == Role::Head => (6e8, 1.3),
                    Kind::Financial => (3e8, 1.8),
                    Kind::Public => (1.5e8, 1.3),
                    Kind::NonProfit => (5e6, 1.3),
                    Kind::Health | Kind::Education => (6e7, 1.4),
                    Kind::Corporate => (2e7, 1.8),
                };
                let floor = if role == Role::Head { 5e7 } else { 2e5 };
                (country, class, Trade::random(country, &mut rng), log_normal(&mut rng, median, sigma).max(floor))
            }
        };
        let turnover_cny = turnover_cny.min(5e12);
        let same_country = parent_core.as_ref().filter(|pc| pc.country.code == country.code);
        let city = if country.code == "DE" {
            &geo::DE_CITIES[ids::de_court(key, &self.salts)]
        } else if let Some(pc) = same_country.filter(|_| rng.random_bool(0.35)) {
            pc.city
        } else {
            pick(&mut rng, country.cities, |c| c.weight)
        };
        let public_body = match class.kind {
            Kind::Public => true,
            Kind::Health | Kind::Education => rng.random_bool(if country.code == "CN" { 0.55 } else { 0.35 }),
            _ => false,
        };
        let spec = NameSpec {
            country,
            city,
            class,
            trade: &trade,
            band: size_band(turnover_cny),
            head: role == Role::Head,
            public_body,
            parent_country: parent_core.as_ref().map(|pc| pc.country),
        };
        let names = company::company_names(&spec, &mut rng);
        let cn_org = match class.kind {
            Kind::Public => CnOrg::Organ,
            Kind::NonProfit if std::ptr::eq(class.theme, &FOUNDATION) => CnOrg::Foundation,
            Kind::NonProfit => CnOrg::Association,
            _ if public_body => CnOrg::Institution,
            _ => CnOrg::Enterprise,
        };
        let (registration, tax_id) = ids::registration(country, city, cn_org, key, &self.salts, &mut rng);
        Core {
            parent,
            country,
            city,
            class,
            trade,
            head: role == Role::Head,
            public_body,
            turnover_cny,
            names,
            registration,
            tax_id,
        }
    }

    /// Turns a copy of an original's core into a re-entry of the same company.
    fn as_duplicate(&self, core: &mut Core, rng: &mut ChaCha8Rng) {
        let zh = core.country.lang == Lang::Zh && core.trade.zh.is_some();
        let legal = &core.names.legal;
        let variant = if zh { company::vary_zh(legal, core.city.name, rng) } else { company::vary_latin(legal, rng) };
        core.names.display = match rng.random_range(0..4) {
            0 if !zh => core.names.display.to_uppercase(),
            1 => variant.clone(),
            _ => core.names.display.clone(),
        };
        core.names.legal = variant;
        core.registration = if rng.random_bool(0.45) {
            ids::mistype(core.country.code, &core.registration, rng)
        } else {
            String::new()
        };
        core.tax_id.clear();
        if rng.random_bool(0.2) {
            let theme = core.class.theme;
            let siblings: Vec<_> =
                CLASSES.iter().filter(|c| std::ptr::eq(c.theme, theme) && c.kind == core.class.kind).collect();
            core.class = siblings[rng.random_range(0..siblings.len())];
        }
        // An estimate taken by another relationship manager, rounded.
        let estimate = log_normal(rng, core.turnover_cny, 0.2);
        let step = 10f64.powf((estimate.log10() - 1.0).floor().max(0.0));
        core.turnover_cny = (estimate / step).round().max(1.0) * step;
    }

    /// The client with `key`, a pure function of the seed and `key`.
    pub fn client(&self, key: u64) -> SeedClient {
        let mut rng = Self::rng(&self.detail_key, key);
        let original = self.original_of(key);
        let mut core = self.core(original.unwrap_or(key));
        let mut parent_key = core.parent;
        if original.is_some() {
            self.as_duplicate(&mut core, &mut rng);
            if rng.random_bool(0.5) {
                parent_key = None;
            }
        }
        let customer_type = core.customer_type();
        let p = profile::derive(&core, customer_type, original.is_some(), &mut rng);
        let turnover = products::turnover_money(core.country, core.turnover_cny);
        let lei_share = match customer_type {
            CustomerType::FinancialInstitution => 0.98,
            CustomerType::LargeCorporate => 0.95,
            CustomerType::MidMarket => 0.6,
            CustomerType::Sme => 0.3,
            CustomerType::PublicSector => 0.3,
            _ => 0.1,
        };
        let lei = if original.is_none() && rng.random_bool(lei_share) {
            ids::lei(core.country.code, key, &self.salts)
        } else {
            String::new()
        };
        let tax_id = if rng.random_bool(0.92) { std::mem::take(&mut core.tax_id) } else { String::new() };
        let provenance = profile::provenance(&core, &lei, &tax_id, customer_type, original.is_some(), &mut rng);
        let client = Client {
            display_name: core.names.display.clone(),
            legal_name: core.names.legal.clone(),
            registration_number: core.registration.clone(),
            country_code: core.country.code.to_owned(),
            lei,
            tax_id,
            customer_type: customer_type as i32,
            industry_code: core.class.code.to_owned(),
            region: core.city.region.to_owned(),
            city: core.city.name.to_owned(),
            annual_turnover: Some(turnover.clone()),
            employee_count: p.employees,
            branch_count: p.branches,
            relationship_manager: p.rm.clone(),
            lifecycle_stage: p.lifecycle as i32,
            purchasing: Some(p.purchasing.clone()),
            credit_grade: profile::GRADES[p.grade].to_owned(),
            provenance,
            labels: p.labels.clone(),
            ..Client::default()
        };
        let contacts = contacts::contacts(&core, key, &p, &self.salts, &mut rng);
        let holdings = products::holdings(&core, key, &p, &self.salts, &mut rng);
        let statements = products::statements(&core, &turnover, &p, &mut rng);
        SeedClient { key, client, parent_key, contacts, holdings, statements, duplicate_of: original }
    }
}

/// Streams the portfolio described by `cfg`, client by client, in key order.
///
/// Two re-entries of one company may draw the same mistyped registration number (a number
/// has only so many one-digit typos); the stream leaves the later one empty so that every
/// record stays insertable. Random access through [`Generator::client`] does not.
pub fn generate(cfg: &SeedConfig) -> impl Iterator<Item = SeedClient> + use<> {
    let generator = Generator::new(cfg);
    let mut typos = HashSet::new();
    (0..cfg.clients).map(move |key| {
        let mut seeded = generator.client(key);
        let client = &mut seeded.client;
        if seeded.duplicate_of.is_some()
            && !client.registration_number.is_empty()
            && !typos.insert((client.country_code.clone(), client.registration_number.clone()))
        {
            client.registration_number.clear();
            client.provenance.remove("registration_number");
        }
        seeded
    })
}
