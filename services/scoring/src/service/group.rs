//! GetGroupValue: the latest scores of a group's members rolled up over the tree.

use std::collections::HashMap;

use crm_kit::{ApiError, ApiResult};
use crm_proto::{
    crm::scoring::v1::{GetGroupValueRequest, GroupMemberValue, GroupValue, Tier, ValueScore},
    google::r#type::Money,
};

use super::{Caller, ScoringApp};
use crate::domain::{
    decimal::{Dec, Overflow},
    names, policy,
};

/// Running totals of the scored members.
#[derive(Default)]
struct Totals {
    revenue: Dec,
    expected_loss: Dec,
    rai: Dec,
    capital: Dec,
    eva: Dec,
}

fn amount(m: &Option<Money>) -> Dec {
    m.as_ref().and_then(Dec::from_money).unwrap_or_default()
}

impl Totals {
    fn add(&mut self, s: &ValueScore) -> Result<(), Overflow> {
        let factor = Dec::from_int(i64::from(s.annualisation_factor));
        self.revenue = self.revenue.plus(amount(&s.revenue).times(factor)?)?;
        self.expected_loss = self.expected_loss.plus(amount(&s.expected_loss))?;
        self.rai = self.rai.plus(amount(&s.risk_adjusted_income))?;
        self.capital = self.capital.plus(amount(&s.economic_capital))?;
        self.eva = self.eva.plus(amount(&s.eva))?;
        Ok(())
    }
}

fn in_currency(s: &ValueScore, currency: &str) -> bool {
    s.risk_adjusted_income.as_ref().is_some_and(|m| m.currency_code == currency)
}

impl ScoringApp {
    /// GetGroupValue: every role; contact-centre agents see tiers and scores, no money.
    pub async fn get_group_value(&self, caller: &Caller, req: GetGroupValueRequest) -> ApiResult<GroupValue> {
        let client_id = names::group_client_id(&req.name)
            .ok_or_else(|| ApiError::invalid("name", "must be of the form clients/{client}/groupValue"))?;
        let group =
            self.peers.group(client_id).await?.ok_or_else(|| ApiError::not_found(names::client_name(client_id)))?;
        let currency = self.current_model().await?.currency_code;
        let ids: Vec<String> =
            group.members.iter().filter_map(|m| names::client_id(&m.client).map(str::to_owned)).collect();
        let scores: HashMap<String, ValueScore> =
            self.store.scores(&ids).await?.into_iter().map(|s| (s.client.clone(), s)).collect();
        let mut totals = Totals::default();
        let mut members = Vec::with_capacity(group.members.len());
        let (mut scored, mut best) = (0, Tier::Unspecified);
        for m in &group.members {
            let score = scores.get(&m.client).filter(|s| in_currency(s, &currency));
            let mut member = GroupMemberValue {
                client: m.client.clone(),
                display_name: m.display_name.clone(),
                parent: m.parent.clone(),
                depth: m.depth,
                ..Default::default()
            };
            if let Some(s) = score {
                totals.add(s).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
                scored += 1;
                let tier = Tier::try_from(s.tier).unwrap_or(Tier::Unspecified);
                if tier != Tier::Unspecified && (best == Tier::Unspecified || (tier as i32) < (best as i32)) {
                    best = tier;
                }
                member.scored = true;
                member.tier = s.tier;
                member.composite_score = s.composite_score;
                member.risk_adjusted_income.clone_from(&s.risk_adjusted_income);
                member.eva.clone_from(&s.eva);
                member.model_version = s.model_version;
            }
            members.push(member);
        }
        let raroc = if totals.capital.is_zero() {
            Dec::ZERO
        } else {
            totals.rai.over(totals.capital).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?
        };
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let mut value = GroupValue {
            name: req.name.clone(),
            ultimate_parent: group.ultimate_parent,
            scored_member_count: count(scored),
            unscored_member_count: count(members.len() - scored),
            members,
            annualised_revenue: Some(totals.revenue.to_money(&currency)),
            expected_loss: Some(totals.expected_loss.to_money(&currency)),
            risk_adjusted_income: Some(totals.rai.to_money(&currency)),
            economic_capital: Some(totals.capital.to_money(&currency)),
            eva: Some(totals.eva.to_money(&currency)),
            raroc: raroc.to_f64(),
            best_tier: best as i32,
            money_withheld: false,
        };
        if !policy::sees_money(&caller.principal) {
            value.annualised_revenue = None;
            value.expected_loss = None;
            value.risk_adjusted_income = None;
            value.economic_capital = None;
            value.eva = None;
            value.raroc = 0.0;
            for m in &mut value.members {
                m.risk_adjusted_income = None;
                m.eva = None;
            }
            value.money_withheld = true;
        }
        Ok(value)
    }
}
