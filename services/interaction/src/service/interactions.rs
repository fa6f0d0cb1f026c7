//! Interaction calls: log, get, list.

use crm_kit::{
    ApiError, ApiResult, Violations,
    call::Idempotency,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    GetInteractionRequest, Interaction, ListInteractionsRequest, ListInteractionsResponse, LogInteractionRequest,
};

use super::{Caller, InteractionApp, is_staff};
use crate::domain::{interaction as rules, names};

impl InteractionApp {
    /// Records an interaction of a client with the bank: validated, authorised for the
    /// client, its contacts checked with the profile; staff default to the caller.
    pub async fn log_interaction(&self, caller: &Caller, req: LogInteractionRequest) -> ApiResult<Interaction> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let key = Idempotency::of(&req.request_id, &req)?;
        let Some(mut interaction) = req.interaction else {
            return Err(ApiError::invalid("interaction", "is required"));
        };
        let now = now_micros();
        rules::normalize(&mut interaction);
        rules::validate(&interaction, &client_id, now)?;
        self.authorize_write(caller, &client_id).await?;
        if !interaction.client_contacts.is_empty() {
            let known = self.peers(caller).contacts(&client_id).await?;
            let mut v = Violations::default();
            for (i, contact) in interaction.client_contacts.iter().enumerate() {
                if !known.iter().any(|c| &c.name == contact) {
                    v.add(format!("interaction.client_contacts[{i}]"), "no such contact of this client");
                }
            }
            v.check()?;
        }
        rules::fill_defaults(&mut interaction, &caller.principal.subject, is_staff(caller));
        interaction.name = names::child_name(&client_id, names::INTERACTIONS, &names::new_id());
        interaction.client = names::client_name(&client_id);
        interaction.recorded_by.clone_from(&caller.principal.subject);
        interaction.create_time = Some(to_timestamp(now));
        self.store.log_interaction(caller.write().keyed(key.as_ref()), interaction).await
    }

    /// One interaction, for any authenticated role.
    pub async fn get_interaction(&self, _caller: &Caller, req: GetInteractionRequest) -> ApiResult<Interaction> {
        let (client_id, id) = names::child_id("name", &req.name, names::INTERACTIONS)?;
        self.store.get_interaction(client_id, id).await?.ok_or_else(|| ApiError::not_found(&req.name))
    }

    /// A client's interactions (and those of clients merged into it), newest `occur_time`
    /// first, in keyset pages.
    pub async fn list_interactions(
        &self,
        _caller: &Caller,
        req: ListInteractionsRequest,
    ) -> ApiResult<ListInteractionsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let page = self.page("interactions", client_id, "", req.page_size, &req.page_token).await?;
        let found = self.store.list_interactions(&page.clients, page.after.as_ref(), page.limit()).await?;
        let (interactions, next_page_token) = page.finish(found, |i| (&i.name, i.occur_time.as_ref()));
        Ok(ListInteractionsResponse { interactions, next_page_token })
    }
}
