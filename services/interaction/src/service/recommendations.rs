//! ListRecommendations: next best actions from the client's segments (segmentation service)
//! and its holdings (profile service), with whether the client may be contacted about them.

use std::collections::BTreeSet;

use crm_kit::{ApiError, ApiResult};
use crm_proto::crm::{
    interaction::v1::{
        Channel, ContactPurpose, ContactabilityReason, EligibilityCheck, ListRecommendationsRequest,
        ListRecommendationsResponse, Recommendation,
    },
    profile::v1::{Client, LifecycleStage},
};

use super::{Caller, InteractionApp};
use crate::domain::{
    consent::Evaluation,
    eligibility::{self, RiskFacts},
    names,
    recommend::{self, Ranked, SegmentFacts},
};

/// Recommendations returned when the request says 0.
const DEFAULT_RECOMMENDATIONS: usize = 10;
/// Most recommendations returned.
const MAX_RECOMMENDATIONS: usize = 50;

fn limit_of(page_size: i32) -> ApiResult<usize> {
    match usize::try_from(page_size) {
        Err(_) => Err(ApiError::invalid("page_size", "must not be negative")),
        Ok(0) => Ok(DEFAULT_RECOMMENDATIONS),
        Ok(n) => Ok(n.min(MAX_RECOMMENDATIONS)),
    }
}

/// Whether marketing may reach the client, on which channel, and why (or why not).
fn marketing_reach(eval: &Evaluation) -> (bool, Channel, ContactabilityReason) {
    use ContactabilityReason as R;
    if let Some(channel) = eval.preferred_for(ContactPurpose::Marketing) {
        let reason = eval
            .permission(ContactPurpose::Marketing, channel)
            .and_then(|p| R::try_from(p.reason).ok())
            .unwrap_or(R::ConsentGranted);
        return (true, channel, reason);
    }
    let reasons: Vec<R> = eval
        .permissions
        .iter()
        .filter(|p| p.purpose == ContactPurpose::Marketing as i32)
        .filter_map(|p| R::try_from(p.reason).ok())
        .collect();
    let why = [R::DoNotContact, R::OptedOut, R::NoConsent, R::NoContactDetails]
        .into_iter()
        .find(|r| reasons.contains(r))
        .unwrap_or(R::Unspecified);
    (false, Channel::Unspecified, why)
}

impl InteractionApp {
    /// Next best actions for a client, each with whether marketing may reach the client about
    /// it. UNAVAILABLE (never invented advice) when segmentation cannot answer.
    pub async fn list_recommendations(
        &self,
        caller: &Caller,
        req: ListRecommendationsRequest,
    ) -> ApiResult<ListRecommendationsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let limit = limit_of(req.page_size)?;
        let peers = self.peers(caller);
        let (client, mut memberships, (mut held, mut holds_products)) = futures::try_join!(
            peers.client(client_id),
            peers.client_segments(client_id),
            peers.held_product_lines(client_id)
        )?;
        let client = client.ok_or_else(|| ApiError::not_found(&req.parent))?;
        // The profile answers for a merged-away client with its survivor: advise on the
        // survivor's segments and holdings, never on what the old id had.
        let survivor_id = names::client_id("name", &client.name)?;
        if survivor_id != client_id {
            (memberships, (held, holds_products)) =
                futures::try_join!(peers.client_segments(survivor_id), peers.held_product_lines(survivor_id))?;
        }
        let schemes: BTreeSet<&str> = memberships.iter().map(|m| m.scheme.as_str()).collect();
        let reports = futures::future::try_join_all(schemes.iter().map(|s| peers.scheme_report(s))).await?;
        let mut facts = Vec::new();
        for membership in &memberships {
            let Some(report) = reports.iter().find(|r| r.scheme == membership.scheme) else { continue };
            let Some(quality) = report.segments.iter().find(|q| q.segment == membership.segment) else { continue };
            facts.push(SegmentFacts {
                scheme: membership.scheme.clone(),
                segment: membership.segment.clone(),
                display_name: quality.display_name.clone(),
                members: Some(quality.member_count),
                penetration: quality.product_penetration.clone().into_iter().collect(),
                portfolio_penetration: report.product_penetration.clone().into_iter().collect(),
            });
        }
        let segments = memberships.iter().map(|m| m.segment.clone()).collect();
        let ranked = recommend::rank(&facts, &held, usize::MAX);
        if ranked.is_empty() {
            return Ok(ListRecommendationsResponse { segments, ..Default::default() });
        }
        // The tier only matters for credit products: scoring is asked only then. When it
        // cannot answer, credit is withheld (the check fails) and the rest is still offered.
        let tier = if ranked.iter().any(|r| eligibility::is_credit(&r.product_line)) {
            match peers.value_tier(survivor_id).await {
                Ok(tier) => Ok(tier),
                Err(err) if err.code() == tonic::Code::Unavailable => Err(()),
                Err(err) => return Err(err),
            }
        } else {
            Ok(None)
        };
        let risk = risk_facts(&client, tier);
        let (mut offered, mut withheld): (Vec<_>, Vec<_>) = ranked
            .into_iter()
            .map(|r| {
                let checks = eligibility::checks(&r.product_line, &risk);
                (r, checks)
            })
            .partition(|(_, checks)| eligibility::eligible(checks));
        offered.truncate(limit);
        withheld.truncate(limit);
        let unreachable = (false, Channel::Unspecified, ContactabilityReason::Unspecified);
        let reach = if offered.is_empty() {
            unreachable
        } else {
            marketing_reach(&self.evaluate_for(&peers, &client, "", holds_products).await?)
        };
        Ok(ListRecommendationsResponse {
            recommendations: offered.into_iter().map(|(r, checks)| recommendation(r, checks, reach)).collect(),
            segments,
            withheld: withheld.into_iter().map(|(r, checks)| recommendation(r, checks, unreachable)).collect(),
        })
    }
}

/// What the risk checks look at: the client's grade and stage, and its value tier (`Err`:
/// value scoring could not say).
fn risk_facts(client: &Client, tier: Result<Option<String>, ()>) -> RiskFacts {
    RiskFacts {
        credit_grade: client.credit_grade.clone(),
        stage: LifecycleStage::try_from(client.lifecycle_stage).unwrap_or(LifecycleStage::Unspecified),
        tier_unknown: tier.is_err(),
        tier: tier.unwrap_or_default(),
    }
}

fn recommendation(
    r: Ranked,
    checks: Vec<eligibility::Check>,
    (contactable, channel, reason): (bool, Channel, ContactabilityReason),
) -> Recommendation {
    Recommendation {
        credit_product: eligibility::is_credit(&r.product_line),
        product_line: r.product_line,
        reason: r.reason,
        lift: r.lift,
        segment: r.segment,
        segment_display_name: r.segment_display_name,
        scheme: r.scheme,
        segment_penetration: r.segment_penetration,
        portfolio_penetration: r.portfolio_penetration,
        contactable,
        suggested_channel: channel as i32,
        contact_reason: reason as i32,
        score: r.score,
        eligibility_checks: checks
            .into_iter()
            .map(|c| EligibilityCheck { rule_id: c.rule_id.to_owned(), passed: c.passed, detail: c.detail })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::{Reach, evaluate};

    #[test]
    fn limits_default_cap_and_reject_negative() {
        assert_eq!(limit_of(0).ok(), Some(10));
        assert_eq!(limit_of(500).ok(), Some(50));
        assert!(limit_of(-1).is_err());
    }

    #[test]
    fn without_consent_recommendations_say_why_they_cannot_be_offered() {
        let reach = Reach { email: true, ..Default::default() };
        assert_eq!(
            marketing_reach(&evaluate(&[], &reach)),
            (false, Channel::Unspecified, ContactabilityReason::NoConsent)
        );
    }
}
