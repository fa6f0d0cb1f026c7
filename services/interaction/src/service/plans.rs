//! Key-account plan calls: make a plan, list a client's plans.

use crm_kit::{
    ApiError, ApiResult, paging,
    time::{from_timestamp, now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    AccountPlan, CreateAccountPlanRequest, ListAccountPlansRequest, ListAccountPlansResponse,
};

use super::{Caller, InteractionApp};
use crate::{
    domain::{names, plan as rules, policy},
    store::{ACCOUNT_PLANS, InteractionStore, Keyset},
};
use crm_kit::call::Idempotency;

impl<S: InteractionStore> InteractionApp<S> {
    /// CreateAccountPlan: KEY_ACCOUNT_MANAGER (own portfolio) or ADMIN.
    pub async fn create_account_plan(&self, caller: &Caller, req: CreateAccountPlanRequest) -> ApiResult<AccountPlan> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let idempotency = Idempotency::of(&req.request_id, &req)?;
        let Some(given) = req.account_plan else { return Err(ApiError::invalid("account_plan", "is required")) };
        let now = now_micros();
        let mut plan = AccountPlan {
            title: given.title,
            objectives: given.objectives,
            team: given.team,
            actions: given.actions,
            review_time: given.review_time,
            owner: given.owner,
            ..Default::default()
        };
        rules::prepare(&mut plan, now)?;
        self.authorize_for(caller, "CreateAccountPlan", &client_id, policy::can_plan).await?;
        if plan.owner.is_empty() {
            plan.owner.clone_from(&caller.principal.subject);
        }
        plan.name = names::child_name(&client_id, ACCOUNT_PLANS, &names::new_id());
        plan.client = names::client_name(&client_id);
        plan.creator.clone_from(&caller.principal.subject);
        plan.create_time = Some(to_timestamp(now));
        self.store.add_plan(caller.ctx("CreateAccountPlan"), plan, idempotency).await
    }

    /// ListAccountPlans: newest first.
    pub async fn list_account_plans(
        &self,
        _caller: &Caller,
        req: ListAccountPlansRequest,
    ) -> ApiResult<ListAccountPlansResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let query = format!("plans|{client_id}");
        let after: Option<Keyset> = self.tokens.cursor(&query, &req.page_token)?;
        let clients = self.history_of(client_id).await?;
        let mut plans = self.store.list_plans(&clients, after.as_ref(), size + 1).await?;
        let more = plans.len() > size;
        plans.truncate(size);
        let next_page_token = match plans.last() {
            Some(last) if more => {
                let id = last.name.rsplit('/').next().unwrap_or_default().to_owned();
                self.tokens.encode(&query, &(last.create_time.as_ref().map_or(0, from_timestamp), id))
            }
            _ => String::new(),
        };
        Ok(ListAccountPlansResponse { account_plans: plans, next_page_token })
    }
}
