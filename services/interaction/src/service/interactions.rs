//! Interaction calls: log, get, list.

use crm_kit::{
    ApiError, ApiResult, Violations, paging,
    time::{from_timestamp, now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    GetInteractionRequest, Interaction, ListInteractionsRequest, ListInteractionsResponse, LogInteractionRequest,
};

use super::{Caller, InteractionApp, is_staff};
use crate::{
    domain::{interaction as rules, names},
    store::{InteractionStore, Keyset},
};
use crm_kit::call::Idempotency;

impl<S: InteractionStore> InteractionApp<S> {
    /// LogInteraction.
    pub async fn log_interaction(&self, caller: &Caller, req: LogInteractionRequest) -> ApiResult<Interaction> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let idempotency = Idempotency::of(&req.request_id, &req)?;
        let Some(mut interaction) = req.interaction else {
            return Err(ApiError::invalid("interaction", "is required"));
        };
        let now = now_micros();
        rules::normalize(&mut interaction);
        rules::validate(&interaction, &client_id, now)?;
        self.authorize_write(caller, "LogInteraction", &client_id).await?;
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
        self.store.log_interaction(caller.ctx("LogInteraction"), interaction, idempotency).await
    }

    /// GetInteraction.
    pub async fn get_interaction(&self, _caller: &Caller, req: GetInteractionRequest) -> ApiResult<Interaction> {
        let (client_id, id) = names::child_id("name", &req.name, names::INTERACTIONS)?;
        self.store.get_interaction(client_id, id).await?.ok_or_else(|| ApiError::not_found(&req.name))
    }

    /// ListInteractions: newest `occur_time` first, keyset pages.
    pub async fn list_interactions(
        &self,
        _caller: &Caller,
        req: ListInteractionsRequest,
    ) -> ApiResult<ListInteractionsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let query = format!("interactions|{client_id}");
        let after: Option<Keyset> = self.tokens.cursor(&query, &req.page_token)?;
        let clients = self.history_of(client_id).await?;
        let mut interactions = self.store.list_interactions(&clients, after.as_ref(), size + 1).await?;
        let more = interactions.len() > size;
        interactions.truncate(size);
        let next_page_token = match interactions.last() {
            Some(last) if more => {
                let id = last.name.rsplit('/').next().unwrap_or_default().to_owned();
                self.tokens.encode(&query, &(last.occur_time.as_ref().map_or(0, from_timestamp), id))
            }
            _ => String::new(),
        };
        Ok(ListInteractionsResponse { interactions, next_page_token })
    }
}
