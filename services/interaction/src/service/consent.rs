//! Channel preference calls: record an instruction, list the history, evaluate contactability.

use crm_kit::{
    ApiError, ApiResult,
    call::Idempotency,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::{
    interaction::v1::{
        Channel, ChannelPreference, ContactPurpose, Contactability, GetContactabilityRequest,
        ListChannelPreferencesRequest, ListChannelPreferencesResponse, SetChannelPreferenceRequest,
    },
    profile::v1::{Client, Contact, ContactRole, PreferredChannel},
};

use super::{Caller, InteractionApp};
use crate::{
    Peers,
    domain::{
        consent::{self, Evaluation, Reach},
        names,
    },
};

/// Most instructions of one client that contactability considers.
const MAX_INSTRUCTIONS: usize = 10_000;

/// The interaction channel of a contact's preferred channel in the profile.
fn channel_of(preferred: i32) -> Option<Channel> {
    match PreferredChannel::try_from(preferred).ok()? {
        PreferredChannel::RmVisit => Some(Channel::RmVisit),
        PreferredChannel::Phone => Some(Channel::Phone),
        PreferredChannel::Email => Some(Channel::Email),
        PreferredChannel::Online => Some(Channel::Online),
        PreferredChannel::Mobile => Some(Channel::Mobile),
        PreferredChannel::Branch => Some(Channel::Branch),
        PreferredChannel::Unspecified => None,
    }
}

/// Whether contact names `a` and `b` are the same person within one client's history
/// (`clients`: the survivor and every client merged into it). A merge moves a contact to the
/// survivor keeping its id, so `clients/{duplicate}/contacts/c1` is
/// `clients/{survivor}/contacts/c1`.
fn same_contact(a: &str, b: &str, clients: &[String]) -> bool {
    if a == b {
        return true;
    }
    let in_history = |client: &str| clients.iter().any(|c| c == client);
    match (names::child_id("contact", a, names::CONTACTS), names::child_id("contact", b, names::CONTACTS)) {
        (Ok((client_a, id_a)), Ok((client_b, id_b))) => id_a == id_b && in_history(client_a) && in_history(client_b),
        _ => false,
    }
}

/// What the contacts tell about reaching the client: any contact counts; a stated preference
/// of a decision maker counts before anyone else's.
fn reach_of(contacts: &[&Contact], relationship_manager: bool, holds_products: bool) -> Reach {
    let decision_maker = contacts
        .iter()
        .filter(|c| c.role == ContactRole::DecisionMaker as i32)
        .find_map(|c| channel_of(c.preferred_channel));
    Reach {
        email: contacts.iter().any(|c| !c.email.is_empty()),
        phone: contacts.iter().any(|c| !c.phone.is_empty()),
        relationship_manager,
        holds_products,
        stated_preference: decision_maker.or_else(|| contacts.iter().find_map(|c| channel_of(c.preferred_channel))),
    }
}

impl InteractionApp {
    /// Records one consent, opt-out or preference instruction (history is kept).
    pub async fn set_channel_preference(
        &self,
        caller: &Caller,
        req: SetChannelPreferenceRequest,
    ) -> ApiResult<ChannelPreference> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let key = Idempotency::of(&req.request_id, &req)?;
        let Some(given) = req.channel_preference else {
            return Err(ApiError::invalid("channel_preference", "is required"));
        };
        let now = now_micros();
        let mut pref = ChannelPreference {
            contact: given.contact,
            purpose: given.purpose,
            all_purposes: given.all_purposes,
            channel: given.channel,
            all_channels: given.all_channels,
            consent: given.consent,
            preferred: given.preferred,
            source: given.source,
            effective_time: given.effective_time,
            ..Default::default()
        };
        consent::prepare(&mut pref, &client_id, now)?;
        self.authorize_write(caller, &client_id).await?;
        if !pref.contact.is_empty()
            && !self.peers(caller).contacts(&client_id).await?.iter().any(|c| c.name == pref.contact)
        {
            return Err(ApiError::invalid("channel_preference.contact", "no such contact of this client"));
        }
        pref.name = names::child_name(&client_id, names::CHANNEL_PREFERENCES, &names::new_id());
        pref.client = names::client_name(&client_id);
        pref.recorded_by.clone_from(&caller.principal.subject);
        pref.create_time = Some(to_timestamp(now));
        pref.effective_time = Some(pref.effective_time.unwrap_or_else(|| to_timestamp(now)));
        self.store.add_preference(caller.write().keyed(key.as_ref()), pref).await
    }

    /// A client's instructions (and those of clients merged into it), the full history, most
    /// recently effective first.
    pub async fn list_channel_preferences(
        &self,
        _caller: &Caller,
        req: ListChannelPreferencesRequest,
    ) -> ApiResult<ListChannelPreferencesResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let page = self.page("preferences", client_id, "", req.page_size, &req.page_token).await?;
        let found = self.store.list_preferences(&page.clients, page.after.as_ref(), page.limit()).await?;
        let (channel_preferences, next_page_token) = page.finish(found, |p| (&p.name, p.effective_time.as_ref()));
        Ok(ListChannelPreferencesResponse { channel_preferences, next_page_token })
    }

    /// Evaluates contactability of a client (or one of its contacts).
    /// A merged-away client's name is read as its survivor's (the profile's GetClient follows
    /// `merged_into`): holdings and instructions are the survivor's.
    async fn evaluate_contactability(&self, peers: &Peers, client_id: &str, contact: &str) -> ApiResult<Evaluation> {
        let (client, (_, holds_products)) =
            futures::try_join!(peers.client(client_id), peers.held_product_lines(client_id))?;
        let client = client.ok_or_else(|| ApiError::not_found(names::client_name(client_id)))?;
        let survivor_id = names::client_id("name", &client.name)?;
        let holds_products =
            if survivor_id == client_id { holds_products } else { peers.held_product_lines(survivor_id).await?.1 };
        self.evaluate_for(peers, &client, contact, holds_products).await
    }

    /// Evaluates contactability of a known client (or one of its contacts).
    pub(super) async fn evaluate_for(
        &self,
        peers: &Peers,
        client: &Client,
        contact: &str,
        holds_products: bool,
    ) -> ApiResult<Evaluation> {
        let client_id = names::client_id("name", &client.name)?;
        let clients = self.history_of(client_id).await?;
        let (contacts, instructions) = futures::try_join!(
            peers.contacts(client_id),
            self.store.list_preferences(&clients, None, MAX_INSTRUCTIONS)
        )?;
        let reachable: Vec<&Contact> = if contact.is_empty() {
            contacts.iter().collect()
        } else {
            let found: Vec<&Contact> = contacts.iter().filter(|c| same_contact(&c.name, contact, &clients)).collect();
            if found.is_empty() {
                return Err(ApiError::not_found(contact));
            }
            found
        };
        let reach = reach_of(&reachable, !client.relationship_manager.is_empty(), holds_products);
        let instructions: Vec<ChannelPreference> = instructions
            .into_iter()
            .filter(|p| p.contact.is_empty() || same_contact(&p.contact, contact, &clients))
            .collect();
        Ok(consent::evaluate(&instructions, &reach))
    }

    /// Which purposes and channels may reach a client (or one contact) now, and why.
    pub async fn get_contactability(
        &self,
        caller: &Caller,
        req: GetContactabilityRequest,
    ) -> ApiResult<Contactability> {
        let client_id = names::contactability_client("name", &req.name)?;
        let contact = req.contact.trim();
        if !contact.is_empty() {
            match names::child_id("contact", contact, names::CONTACTS) {
                Ok((owner, _)) if owner == client_id => {}
                _ => return Err(ApiError::invalid("contact", "must be a contact of the same client")),
            }
        }
        let eval = self.evaluate_contactability(&self.peers(caller), client_id, contact).await?;
        Ok(Contactability {
            name: req.name.clone(),
            contact: contact.to_owned(),
            preferred_channel: eval.preferred_for(ContactPurpose::Service).unwrap_or(Channel::Unspecified) as i32,
            do_not_contact: eval.do_not_contact,
            permissions: eval.permissions,
            preferred_channels: eval.preferred,
            evaluate_time: Some(to_timestamp(now_micros())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::same_contact;

    #[test]
    fn a_moved_contact_is_the_same_person_only_within_the_history() {
        let history = ["b".to_owned(), "a".to_owned()];
        assert!(same_contact("clients/a/contacts/c1", "clients/b/contacts/c1", &history));
        assert!(same_contact("clients/b/contacts/c1", "clients/b/contacts/c1", &history));
        assert!(!same_contact("clients/a/contacts/c1", "clients/b/contacts/c2", &history));
        assert!(!same_contact("clients/z/contacts/c1", "clients/b/contacts/c1", &history));
        assert!(!same_contact("clients/a/contacts/c1", "", &history));
    }
}
