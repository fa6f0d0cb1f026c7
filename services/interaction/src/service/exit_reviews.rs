//! Exit review calls: read a client's reviews, decide one. Reviews are opened by the scoring
//! feed follower (`crate::follow::follow_scoring`), never by a call.

use crm_kit::{ApiError, ApiResult, time::now_micros};
use crm_proto::crm::interaction::v1::{
    DecideExitReviewRequest, ExitReview, GetExitReviewRequest, ListExitReviewsRequest, ListExitReviewsResponse,
};

use super::{Caller, InteractionApp};
use crate::domain::{exit_review as rules, names, policy};

impl InteractionApp {
    /// One exit review (every role reads them, as the rest of the relationship history).
    pub async fn get_exit_review(&self, _caller: &Caller, req: GetExitReviewRequest) -> ApiResult<ExitReview> {
        let (client_id, id) = names::child_id("name", &req.name, names::EXIT_REVIEWS)?;
        let mut review =
            self.store.get_exit_review(client_id, id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        rules::mark_overdue(&mut review, now_micros());
        Ok(review)
    }

    /// A client's exit reviews (and those of clients merged into it), newest first.
    pub async fn list_exit_reviews(
        &self,
        _caller: &Caller,
        req: ListExitReviewsRequest,
    ) -> ApiResult<ListExitReviewsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let page = self.page("exitReviews", client_id, "", req.page_size, &req.page_token).await?;
        let found = self.store.list_exit_reviews(&page.clients, page.after.as_ref(), page.limit()).await?;
        let (mut exit_reviews, next_page_token) = page.finish(found, |r| (&r.name, r.create_time.as_ref()));
        let now = now_micros();
        exit_reviews.iter_mut().for_each(|r| rules::mark_overdue(r, now));
        Ok(ListExitReviewsResponse { exit_reviews, next_page_token })
    }

    /// Decides an open review: RELATIONSHIP_MANAGER and KEY_ACCOUNT_MANAGER for clients in
    /// their portfolio (the survivor's, for a review kept under a merged record), or ADMIN.
    pub async fn decide_exit_review(&self, caller: &Caller, req: DecideExitReviewRequest) -> ApiResult<ExitReview> {
        let (client_id, id) = names::child_id("name", &req.name, names::EXIT_REVIEWS)?;
        let (client_id, id) = (client_id.to_owned(), id.to_owned());
        self.authorize_checked(caller, &client_id, policy::can_decide_exit, true).await?;
        let decider = caller.principal.subject.clone();
        let now = now_micros();
        let DecideExitReviewRequest { name, decision, reasons, etag } = req;
        self.store
            .update_exit_review(caller.write(), &client_id, &id, move |current| {
                if !etag.is_empty() && etag != current.etag {
                    return Err(ApiError::etag_mismatch(&name));
                }
                rules::decide(current, decision, &reasons, &decider, now)
            })
            .await
    }
}
