//! The demo clients `crm up --demo` names in its banner and the README uses: clients of the
//! deterministic demo portfolio that have contacts, interactions, an open case and a value
//! score, read back from the running suite (so what is printed is what the suite holds).

use std::{fmt::Write as _, time::Duration};

use crm_kit::config::Config;
use crm_proto::crm::{
    interaction::v1::{
        CaseState, ListCasesRequest, ListInteractionsRequest, interaction_service_client::InteractionServiceClient,
    },
    profile::v1::{GetClientRequest, ListContactsRequest, client_profile_service_client::ClientProfileServiceClient},
    scoring::v1::{GetValueScoreRequest, value_scoring_service_client::ValueScoringServiceClient},
};

use crate::{
    demo,
    suite::{Service, Suite},
};

/// How many demo clients the banner names.
pub const COUNT: usize = 3;

/// One named demo client, as the suite holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoClient {
    /// `clients/{client}`.
    pub name: String,
    pub display_name: String,
    pub country_code: String,
    pub registration_number: String,
    /// The e-mail of its first contact that has one.
    pub contact_email: String,
    pub contacts: usize,
    pub interactions: usize,
    pub open_cases: usize,
    /// Value tier without its prefix (`KEY_ACCOUNT`, ...).
    pub tier: String,
}

/// The first [`COUNT`] clients the demo gave an open case (and interactions), read back
/// with an ADMIN token (nothing masked). Only clients with contacts and a score qualify.
pub async fn find(config: &Config, suite: &Suite) -> anyhow::Result<Vec<DemoClient>> {
    let channel = demo::admin_channels(config, suite, "system:demo-showcase", Duration::from_secs(300))?;
    let mut profiles = ClientProfileServiceClient::new(channel(Service::Profile)?);
    let mut scoring = ValueScoringServiceClient::new(channel(Service::Scoring)?);
    let mut interactions = InteractionServiceClient::new(channel(Service::Interaction)?);
    let mut found = Vec::new();
    for name in demo::clients_with_a_case().take(4 * COUNT) {
        let Ok(client) = profiles.get_client(GetClientRequest { name: name.clone(), ..Default::default() }).await
        else {
            continue;
        };
        let client = client.into_inner();
        let contacts = ListContactsRequest { parent: name.clone(), page_size: 10, ..Default::default() };
        let contacts = profiles.list_contacts(contacts).await?.into_inner().contacts;
        let listed = ListInteractionsRequest { parent: name.clone(), page_size: 50, ..Default::default() };
        let listed = interactions.list_interactions(listed).await?.into_inner().interactions.len();
        let open = vec![CaseState::Open as i32, CaseState::InProgress as i32, CaseState::Reopened as i32];
        let cases = ListCasesRequest { parent: name.clone(), page_size: 50, states: open, ..Default::default() };
        let open_cases = interactions.list_cases(cases).await?.into_inner().cases.len();
        let score =
            scoring.get_value_score(GetValueScoreRequest { name: format!("{name}/valueScore"), read_time: None });
        let Ok(score) = score.await else { continue };
        let contact_email = contacts.iter().map(|c| c.email.clone()).find(|e| !e.is_empty()).unwrap_or_default();
        if contacts.is_empty() || listed == 0 || open_cases == 0 || contact_email.is_empty() {
            continue;
        }
        let tier = score.into_inner().tier().as_str_name().trim_start_matches("TIER_").to_owned();
        found.push(DemoClient {
            name,
            display_name: client.display_name,
            country_code: client.country_code,
            registration_number: client.registration_number,
            contact_email,
            contacts: contacts.len(),
            interactions: listed,
            open_cases,
            tier,
        });
        if found.len() == COUNT {
            break;
        }
    }
    Ok(found)
}

/// The banner's lines for the demo clients.
pub fn banner(clients: &[DemoClient], b: &mut String) {
    if clients.is_empty() {
        return;
    }
    let _ = writeln!(b, "demo clients (contacts, interactions, an open case and a value score each):");
    for c in clients {
        let _ = writeln!(b, "  {}  {}", c.name, c.display_name);
        let _ = writeln!(
            b,
            "      registration {} ({}), contact {}, {} contacts, {} interactions, {} open case(s), tier {}",
            c.registration_number, c.country_code, c.contact_email, c.contacts, c.interactions, c.open_cases, c.tier
        );
    }
    let _ = writeln!(b);
}
