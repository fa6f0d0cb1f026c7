//! What the scenarios call about: real clients of the running suite, and for lookups real
//! identifiers of every key kind, each checked to find exactly one client.
//!
//! Clients are sampled in display-name order, which spreads over the whole id space. Lookup
//! keys are read as ADMIN (tax ids and contact details in clear; those reads are audited like
//! any other) from the first clients that have them.

use std::time::Duration;

use crm_kit::auth::{Bearer, Role, TokenIssuer};
use crm_proto::crm::profile::v1::{
    Client, GetClientRequest, ListClientsRequest, ListContactsRequest, ListHoldingsRequest, LookupClientRequest,
    client_profile_service_client::ClientProfileServiceClient,
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

/// Keys kept per kind.
const KEYS_PER_KIND: usize = 24;
/// Clients visited at most while collecting keys.
const KEY_SOURCES: usize = 400;

/// A sampled client.
#[derive(Clone, Debug)]
pub struct Sampled {
    /// `clients/{id}`.
    pub name: String,
    /// Its display name (search queries).
    pub display_name: String,
    /// Its country (list filters).
    pub country_code: String,
}

/// The kinds of identifier LookupClient takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// LEI.
    Lei,
    /// Registration number with its country.
    Registration,
    /// Tax id.
    TaxId,
    /// Account number of a holding.
    Account,
    /// Phone of a contact.
    Phone,
    /// E-mail of a contact.
    Email,
}

impl KeyKind {
    /// Every kind.
    pub const ALL: [KeyKind; 6] =
        [KeyKind::Lei, KeyKind::Registration, KeyKind::TaxId, KeyKind::Account, KeyKind::Phone, KeyKind::Email];
}

/// One lookup key that finds exactly one client.
#[derive(Clone, Debug)]
pub struct Key {
    /// Which kind.
    pub kind: KeyKind,
    /// The request (only the key's fields set).
    pub request: LookupClientRequest,
    /// The client it finds.
    pub client: String,
}

/// Everything the scenarios draw from.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    /// Sampled clients.
    pub clients: Vec<Sampled>,
    /// Lookup keys, of every kind the data has.
    pub keys: Vec<Key>,
}

impl Fixture {
    /// Kinds with no key in the data.
    pub fn missing_kinds(&self) -> Vec<KeyKind> {
        KeyKind::ALL.into_iter().filter(|k| !self.keys.iter().any(|key| key.kind == *k)).collect()
    }
}

type Profiles = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// Samples up to `want` clients and collects lookup keys, over `channel` (anything serving
/// ClientProfileService: the profile service or the gateway).
pub async fn gather(channel: Channel, issuer: &TokenIssuer, want: usize) -> anyhow::Result<Fixture> {
    let token = issuer.mint("bench-fixture", Role::Admin, None, Duration::from_secs(3600))?;
    let mut profiles = ClientProfileServiceClient::new(InterceptedService::new(channel, Bearer::new(&token)?));
    let mut clients = Vec::with_capacity(want);
    let mut page_token = String::new();
    while clients.len() < want {
        let request =
            ListClientsRequest { page_size: 1000, page_token, order_by: "display_name".into(), ..Default::default() };
        let page = profiles.list_clients(request).await?.into_inner();
        clients.extend(page.clients.into_iter().map(|c| Sampled {
            name: c.name,
            display_name: c.display_name,
            country_code: c.country_code,
        }));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    clients.truncate(want);
    anyhow::ensure!(!clients.is_empty(), "the suite has no clients: start it with --demo, or seed it (crm seed)");
    let keys = keys(&mut profiles, &clients).await?;
    Ok(Fixture { clients, keys })
}

async fn keys(profiles: &mut Profiles, clients: &[Sampled]) -> anyhow::Result<Vec<Key>> {
    let mut keys: Vec<Key> = Vec::new();
    let full = |keys: &[Key], kind| keys.iter().filter(|k| k.kind == kind).count() >= KEYS_PER_KIND;
    for sampled in clients.iter().take(KEY_SOURCES) {
        if KeyKind::ALL.iter().all(|kind| full(&keys, *kind)) {
            break;
        }
        let name = sampled.name.clone();
        let client = profiles.get_client(GetClientRequest { name: name.clone(), ..Default::default() }).await?;
        let mut candidates = client_keys(&client.into_inner());
        let parent = name.clone();
        let contacts = profiles.list_contacts(ListContactsRequest { parent, page_size: 10, ..Default::default() });
        for contact in contacts.await?.into_inner().contacts {
            candidates
                .push(key(KeyKind::Phone, LookupClientRequest { contact_phone: contact.phone, ..Default::default() }));
            candidates
                .push(key(KeyKind::Email, LookupClientRequest { contact_email: contact.email, ..Default::default() }));
        }
        let parent = name.clone();
        let holdings = profiles.list_holdings(ListHoldingsRequest { parent, page_size: 10, ..Default::default() });
        for holding in holdings.await?.into_inner().holdings {
            let request = LookupClientRequest { account_number: holding.account_number, ..Default::default() };
            candidates.push(key(KeyKind::Account, request));
        }
        for (kind, request) in candidates.into_iter().flatten() {
            if full(&keys, kind) {
                continue;
            }
            // Re-entered duplicates may share an identifier: keep only keys that find this client alone.
            if let Ok(found) = profiles.lookup_client(request.clone()).await
                && found.into_inner().name == name
            {
                keys.push(Key { kind, request, client: name.clone() });
            }
        }
    }
    Ok(keys)
}

/// `Some` when the key's value is present.
fn key(kind: KeyKind, request: LookupClientRequest) -> Option<(KeyKind, LookupClientRequest)> {
    let values = [
        &request.lei,
        &request.registration_number,
        &request.tax_id,
        &request.account_number,
        &request.contact_phone,
        &request.contact_email,
    ];
    values.iter().any(|v| !v.is_empty()).then_some((kind, request))
}

fn client_keys(c: &Client) -> Vec<Option<(KeyKind, LookupClientRequest)>> {
    let registration = (!c.country_code.is_empty()).then(|| LookupClientRequest {
        registration_number: c.registration_number.clone(),
        country_code: c.country_code.clone(),
        ..Default::default()
    });
    vec![
        key(KeyKind::Lei, LookupClientRequest { lei: c.lei.clone(), ..Default::default() }),
        registration.and_then(|r| key(KeyKind::Registration, r)),
        key(KeyKind::TaxId, LookupClientRequest { tax_id: c.tax_id.clone(), ..Default::default() }),
    ]
}
