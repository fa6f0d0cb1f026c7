//! Key-account plan calls: make a plan, list a client's plans.

use crm_kit::{
    ApiError, ApiResult,
    call::Idempotency,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    AccountPlan, CreateAccountPlanRequest, ListAccountPlansRequest, ListAccountPlansResponse,
};

use super::{Caller, InteractionApp};
use crate::domain::{names, plan as rules, policy};

impl InteractionApp {
    /// Makes a key-account plan: KEY_ACCOUNT_MANAGER (own portfolio) or ADMIN.
    pub async fn create_account_plan(&self, caller: &Caller, req: CreateAccountPlanRequest) -> ApiResult<AccountPlan> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let key = Idempotency::of(&req.request_id, &req)?;
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
        self.authorize_for(caller, &client_id, policy::can_plan).await?;
        if plan.owner.is_empty() {
            plan.owner.clone_from(&caller.principal.subject);
        }
        plan.name = names::child_name(&client_id, names::ACCOUNT_PLANS, &names::new_id());
        plan.client = names::client_name(&client_id);
        plan.creator.clone_from(&caller.principal.subject);
        plan.create_time = Some(to_timestamp(now));
        self.store.add_plan(caller.write().keyed(key.as_ref()), plan).await
    }

    /// A client's account plans (and those of clients merged into it), newest first.
    pub async fn list_account_plans(
        &self,
        _caller: &Caller,
        req: ListAccountPlansRequest,
    ) -> ApiResult<ListAccountPlansResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let page = self.page("plans", client_id, "", req.page_size, &req.page_token).await?;
        let found = self.store.list_plans(&page.clients, page.after.as_ref(), page.limit()).await?;
        let (account_plans, next_page_token) = page.finish(found, |p| (&p.name, p.create_time.as_ref()));
        Ok(ListAccountPlansResponse { account_plans, next_page_token })
    }
}
