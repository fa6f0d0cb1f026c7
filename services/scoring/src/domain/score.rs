//! The value score (docs/domain.md §3): every term computed in exact decimals and recorded as a
//! component with its inputs, in the order it is computed, so that anyone can recompute it.

use crm_proto::crm::scoring::v1::{Tier, ValueScore};

use super::{
    convert::{self, ALL},
    decimal::{Dec, Overflow},
    model::Params,
    period::Period,
    profitability::Figures,
    sheet::{Sheet, from, x},
};

/// What the other members of the client's group contribute.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupIncome {
    /// Other group members that have a score.
    pub members_scored: usize,
    /// Sum of their latest risk-adjusted income.
    pub income: Dec,
}

/// Everything a score is computed from besides the model.
#[derive(Clone, Debug)]
pub struct ScoreInputs {
    pub client_id: String,
    /// The client's credit grade as the profile holds it ("" when unrated).
    pub credit_grade: String,
    /// Whether the client's customer type is SME (the unrated SME risk weight applies).
    pub sme: bool,
    /// The period scored (the client's latest).
    pub period: Period,
    /// The figures of that period.
    pub figures: Figures,
    /// The previous period of the same length, if recorded.
    pub previous: Option<(Period, Figures)>,
    /// The rest of the group.
    pub group: GroupIncome,
    /// Industry × region access the client gives ("" when unknown).
    pub access: String,
    /// Clients of the same access cell ranked ahead of this one by standalone score (then
    /// client id): they already give the bank this access. Ignored when `access` is "".
    pub access_rank: i64,
}

/// A computed score and the keys it is stored and ordered by.
#[derive(Clone, Debug)]
pub struct Computed {
    /// The score (without `score_time`).
    pub score: ValueScore,
    /// Composite score, exact.
    pub composite: Dec,
    /// Standalone score (the composite without the market-access part): the key the
    /// clients of one access cell are ranked by.
    pub standalone: Dec,
    /// Risk-adjusted income, exact.
    pub risk_adjusted_income: Dec,
    pub tier: Tier,
}

/// The tier a composite score falls in.
pub fn tier_of(model: &Params, composite: Dec) -> Tier {
    if composite >= model.key_account {
        Tier::KeyAccount
    } else if composite >= model.grow {
        Tier::Grow
    } else if composite >= model.maintain {
        Tier::Maintain
    } else {
        Tier::ReviewForExit
    }
}

/// The tier of the composite score, capped at the model's `below_hurdle_tier` when the
/// client earns below the hurdle and its relationship value does not make up the shortfall.
fn tier_with_hurdle(
    s: &mut Sheet,
    m: &Params,
    model: &str,
    composite: Dec,
    eva: Dec,
    relationship: Dec,
) -> Result<Tier, Overflow> {
    let by_score = tier_of(m, composite);
    let shortfall = eva.plus(relationship)?.is_negative();
    // Tiers are numbered best first: the cap is the worse of the two.
    let capped =
        if shortfall && (m.below_hurdle_tier as i32) > (by_score as i32) { m.below_hurdle_tier } else { by_score };
    s.push(
        "tier",
        "KEY_ACCOUNT if composite_score ≥ key_account, else GROW if ≥ grow, else MAINTAIN if ≥ maintain, else \
         REVIEW_FOR_EXIT; at best below_hurdle_tier when eva + relationship_value < 0",
        "tier",
        vec![
            x("composite_score", composite, from("composite_score")),
            x("key_account", m.key_account, format!("{model} tier_thresholds.key_account")),
            x("grow", m.grow, format!("{model} tier_thresholds.grow")),
            x("maintain", m.maintain, format!("{model} tier_thresholds.maintain")),
            x("eva", eva, from("eva")),
            x("relationship_value", relationship, from("relationship_value")),
            ("below_hurdle_tier", tier_label(m.below_hurdle_tier).to_owned(), format!("{model} below_hurdle_tier")),
        ],
        tier_label(capped).to_owned(),
    );
    Ok(capped)
}

/// Short tier label used in components ("KEY_ACCOUNT", ...).
pub fn tier_label(tier: Tier) -> &'static str {
    tier.as_str_name().trim_start_matches("TIER_")
}

/// Computes the score of one client.
pub fn compute(m: &Params, i: &ScoreInputs) -> Result<Computed, Overflow> {
    let mut s = Sheet::new(&m.currency);
    let prof = format!("profitability {}", i.period);
    let model = format!("value model v{}", m.version);
    let f = convert::reported(&mut s, m, &i.figures, &prof, "", &ALL)?;
    let (nii, fee, cost, ead, referred_in) = (
        f.value("net_interest_income"),
        f.value("fee_income"),
        f.value("cost_to_serve"),
        f.value("exposure_at_default"),
        f.value("referred_income"),
    );
    let factor = Dec::from_int(i64::from(i.period.annualisation_factor()));
    let factor_src = format!("12 / months in {}", i.period);

    let revenue = s.term(
        "revenue",
        "net_interest_income + fee_income",
        "money",
        vec![
            x("net_interest_income", nii, f.source("net_interest_income")),
            x("fee_income", fee, f.source("fee_income")),
        ],
        nii.plus(fee)?,
    );
    let annual_revenue = s.term(
        "annualised_revenue",
        "revenue × annualisation_factor",
        "money",
        vec![x("revenue", revenue, from("revenue")), x("annualisation_factor", factor, &factor_src)],
        revenue.times(factor)?,
    );
    let annual_cost = s.term(
        "annualised_cost_to_serve",
        "cost_to_serve × annualisation_factor",
        "money",
        vec![x("cost_to_serve", cost, f.source("cost_to_serve")), x("annualisation_factor", factor, &factor_src)],
        cost.times(factor)?,
    );

    let grade = m.resolve_grade(&i.credit_grade, i.sme).ok_or(Overflow)?;
    s.push(
        "credit_grade",
        "grade of the client",
        "grade",
        vec![("credit_grade", grade.grade.clone(), grade.grade_source.clone())],
        grade.grade.clone(),
    );
    let grade_model = format!("{model} grade {}", grade.grade);

    let collateral = f.value("collateral_value");
    let exposure = s.term(
        "exposure_after_collateral",
        "max(0, exposure_at_default − collateral_value)",
        "money",
        vec![
            x("exposure_at_default", ead, f.source("exposure_at_default")),
            x("collateral_value", collateral, f.source("collateral_value")),
        ],
        ead.minus(collateral)?.clamp_to(Dec::ZERO, Dec::from_nanos(i128::MAX)),
    );
    let (lgd, lgd_src) = match i.figures.lgd {
        Some(lgd) => (lgd, format!("{prof} lgd")),
        None => (m.lgd, format!("{model} default_lgd")),
    };
    let expected_loss = s.term(
        "expected_loss",
        "(pd × lgd) × exposure_after_collateral",
        "money",
        vec![
            x("pd", grade.pd, &grade_model),
            x("lgd", lgd, lgd_src),
            x("exposure_after_collateral", exposure, from("exposure_after_collateral")),
        ],
        grade.pd.times(lgd)?.times(exposure)?,
    );
    let rai = s.term(
        "risk_adjusted_income",
        "annualised_revenue − annualised_cost_to_serve − expected_loss",
        "money",
        vec![
            x("annualised_revenue", annual_revenue, from("annualised_revenue")),
            x("annualised_cost_to_serve", annual_cost, from("annualised_cost_to_serve")),
            x("expected_loss", expected_loss, from("expected_loss")),
        ],
        annual_revenue.minus(annual_cost)?.minus(expected_loss)?,
    );
    let capital = s.term(
        "regulatory_capital",
        "(exposure_after_collateral × risk_weight) × capital_ratio",
        "money",
        vec![
            x("exposure_after_collateral", exposure, from("exposure_after_collateral")),
            x("risk_weight", grade.risk_weight, grade.risk_weight_source.clone()),
            x("capital_ratio", m.capital_ratio, format!("{model} capital_ratio")),
        ],
        exposure.times(grade.risk_weight)?.times(m.capital_ratio)?,
    );
    let raroc = s.term(
        "raroc",
        if capital.is_zero() {
            "not applicable: no regulatory_capital consumed (shown as 0; the composite weights the other parts)"
        } else {
            "risk_adjusted_income / regulatory_capital"
        },
        "ratio",
        vec![
            x("risk_adjusted_income", rai, from("risk_adjusted_income")),
            x("regulatory_capital", capital, from("regulatory_capital")),
        ],
        if capital.is_zero() { Dec::ZERO } else { rai.over(capital)? },
    );
    let charge = s.term(
        "capital_charge",
        "hurdle_rate × regulatory_capital",
        "money",
        vec![
            x("hurdle_rate", m.hurdle_rate, format!("{model} hurdle_rate")),
            x("regulatory_capital", capital, from("regulatory_capital")),
        ],
        m.hurdle_rate.times(capital)?,
    );
    let eva = s.term(
        "eva",
        "risk_adjusted_income − capital_charge",
        "money",
        vec![
            x("risk_adjusted_income", rai, from("risk_adjusted_income")),
            x("capital_charge", charge, from("capital_charge")),
        ],
        rai.minus(charge)?,
    );

    let growth = relationship_growth(&mut s, m, i, annual_revenue, factor, &factor_src)?;
    let group_income = s.term(
        "group_income",
        "max(0, other_members_risk_adjusted_income)",
        "money",
        vec![x(
            "other_members_risk_adjusted_income",
            i.group.income,
            format!("latest scores of {} other group members", i.group.members_scored),
        )],
        i.group.income.clamp_to(Dec::ZERO, Dec::from_nanos(i128::MAX)),
    );
    let referred = s.term(
        "annualised_referred_income",
        "referred_income × annualisation_factor",
        "money",
        vec![
            x("referred_income", referred_in, f.source("referred_income")),
            x("annualisation_factor", factor, &factor_src),
        ],
        referred_in.times(factor)?,
    );
    let relationship = s.term(
        "relationship_value",
        "(group_weight × group_income) + (referral_weight × annualised_referred_income) + (growth_weight × revenue_growth)",
        "money",
        vec![
            x("group_weight", m.group_weight, format!("{model} relationship_weights.group")),
            x("group_income", group_income, from("group_income")),
            x("referral_weight", m.referral_weight, format!("{model} relationship_weights.referral")),
            x("annualised_referred_income", referred, from("annualised_referred_income")),
            x("growth_weight", m.growth_weight, format!("{model} relationship_weights.growth")),
            x("revenue_growth", growth, from("revenue_growth")),
        ],
        m.group_weight.times(group_income)?.plus(m.referral_weight.times(referred)?)?.plus(m.growth_weight.times(growth)?)?,
    );

    let raroc_applicable = !capital.is_zero();
    let parts = composite(&mut s, m, &model, raroc_applicable.then_some(raroc), eva, relationship, i)?;
    let (composite, standalone, marginal) = (parts.composite, parts.standalone, parts.marginal);
    let tier = tier_with_hurdle(&mut s, m, &model, composite, eva, relationship)?;
    let cur = &m.currency;
    let score = ValueScore {
        name: super::names::score_name(&i.client_id),
        client: super::names::client_name(&i.client_id),
        expected_loss: Some(expected_loss.to_money(cur)),
        risk_adjusted_income: Some(rai.to_money(cur)),
        economic_capital: Some(capital.to_money(cur)),
        raroc: raroc.to_f64(),
        eva: Some(eva.to_money(cur)),
        relationship_value: Some(relationship.to_money(cur)),
        marginal_factor: marginal.to_f64(),
        composite_score: composite.to_f64(),
        tier: tier as i32,
        components: s.into_components(),
        model_version: m.version,
        score_time: None,
        period: i.period.to_string(),
        revenue: Some(revenue.to_money(cur)),
        cost_to_serve: Some(cost.to_money(cur)),
        annualisation_factor: i.period.annualisation_factor(),
        credit_grade: grade.grade.clone(),
        money_withheld: false,
        recorded_currency: i.figures.currency.clone(),
        raroc_not_applicable: !raroc_applicable,
        access_rank: if i.access.is_empty() { 0 } else { i32::try_from(i.access_rank).unwrap_or(i32::MAX) },
    };
    Ok(Computed { score, composite, standalone, risk_adjusted_income: rai, tier })
}

/// `revenue_growth`: annualised revenue above the previous period's (0 without one).
fn relationship_growth(
    s: &mut Sheet,
    m: &Params,
    i: &ScoreInputs,
    annual_revenue: Dec,
    factor: Dec,
    factor_src: &str,
) -> Result<Dec, Overflow> {
    let Some((prev_period, prev)) = &i.previous else {
        return Ok(s.term(
            "revenue_growth",
            "0 (no previous period of the same length recorded)",
            "money",
            vec![],
            Dec::ZERO,
        ));
    };
    let label = format!("profitability {prev_period}");
    let fields = ["net_interest_income", "fee_income"];
    let p = convert::reported(s, m, prev, &label, "previous_", &fields)?;
    let (p_nii, p_fee) = (p.value("net_interest_income"), p.value("fee_income"));
    let previous = s.term(
        "previous_annualised_revenue",
        "(previous_net_interest_income + previous_fee_income) × annualisation_factor",
        "money",
        vec![
            x("previous_net_interest_income", p_nii, p.source("net_interest_income")),
            x("previous_fee_income", p_fee, p.source("fee_income")),
            x("annualisation_factor", factor, factor_src),
        ],
        p_nii.plus(p_fee)?.times(factor)?,
    );
    Ok(s.term(
        "revenue_growth",
        "max(0, annualised_revenue − previous_annualised_revenue)",
        "money",
        vec![
            x("annualised_revenue", annual_revenue, from("annualised_revenue")),
            x("previous_annualised_revenue", previous, from("previous_annualised_revenue")),
        ],
        annual_revenue.minus(previous)?.clamp_to(Dec::ZERO, Dec::from_nanos(i128::MAX)),
    ))
}

/// The standalone score, the market-access part and the composite.
struct Parts {
    standalone: Dec,
    marginal: Dec,
    composite: Dec,
}

/// The client's own parts (RAROC, EVA, relationship) make the standalone score; the market
/// access it gives is discounted by the clients already giving it (ranked ahead in its
/// industry × region cell) and added with its own weight (docs/domain.md §3).
fn composite(
    s: &mut Sheet,
    m: &Params,
    model: &str,
    raroc: Option<Dec>,
    eva: Dec,
    relationship: Dec,
    i: &ScoreInputs,
) -> Result<Parts, Overflow> {
    let half = Dec::from_nanos(500_000_000);
    let hundred = Dec::from_int(100);
    // Each part is ½ at its reference point and approaches 0 or 1 without reaching them, so
    // a larger client always scores higher instead of saturating at a cap.
    let eva_part = s.term(
        "eva_part",
        "0.5 + (0.5 × (eva / (|eva| + value_scale)))",
        "ratio",
        vec![x("eva", eva, from("eva")), x("value_scale", m.value_scale, format!("{model} value_scale"))],
        half.plus(half.times(eva.over(eva.abs().plus(m.value_scale)?)?)?)?,
    );
    let relationship_part = s.term(
        "relationship_part",
        "relationship_value / (relationship_value + value_scale)",
        "ratio",
        vec![
            x("relationship_value", relationship, from("relationship_value")),
            x("value_scale", m.value_scale, format!("{model} value_scale")),
        ],
        relationship.over(relationship.plus(m.value_scale)?)?,
    );
    let eva_weighted = m.eva_weight.times(eva_part)?.plus(m.relationship_weight.times(relationship_part)?)?;
    let (standalone, access_weight) = match raroc {
        Some(raroc) => {
            let excess = raroc.minus(m.hurdle_rate)?;
            let raroc_part = s.term(
                "raroc_part",
                "0.5 + (0.5 × ((raroc − hurdle_rate) / (|raroc − hurdle_rate| + hurdle_rate)))",
                "ratio",
                vec![x("raroc", raroc, from("raroc")), x("hurdle_rate", m.hurdle_rate, format!("{model} hurdle_rate"))],
                half.plus(half.times(excess.over(excess.abs().plus(m.hurdle_rate)?)?)?)?,
            );
            let standalone = s.term(
                "standalone_score",
                "100 × ((raroc_weight × raroc_part) + (eva_weight × eva_part) + (relationship_weight × relationship_part))",
                "points",
                vec![
                    x("raroc_weight", m.raroc_weight, format!("{model} score_weights.raroc")),
                    x("raroc_part", raroc_part, from("raroc_part")),
                    x("eva_weight", m.eva_weight, format!("{model} score_weights.eva")),
                    x("eva_part", eva_part, from("eva_part")),
                    x("relationship_weight", m.relationship_weight, format!("{model} score_weights.relationship")),
                    x("relationship_part", relationship_part, from("relationship_part")),
                ],
                hundred.times(m.raroc_weight.times(raroc_part)?.plus(eva_weighted)?)?,
            );
            (standalone, m.access_weight)
        }
        None => {
            // No capital, no return on it: the other parts share the RAROC weight.
            let scale = s.term(
                "weight_scale",
                "1 / (1 − raroc_weight) (RAROC not applicable: the other weights are scaled to sum to 1)",
                "ratio",
                vec![x("raroc_weight", m.raroc_weight, format!("{model} score_weights.raroc"))],
                Dec::ONE.over(Dec::ONE.minus(m.raroc_weight)?)?,
            );
            let standalone = s.term(
                "standalone_score",
                "100 × (weight_scale × ((eva_weight × eva_part) + (relationship_weight × relationship_part)))",
                "points",
                vec![
                    x("weight_scale", scale, from("weight_scale")),
                    x("eva_weight", m.eva_weight, format!("{model} score_weights.eva")),
                    x("eva_part", eva_part, from("eva_part")),
                    x("relationship_weight", m.relationship_weight, format!("{model} score_weights.relationship")),
                    x("relationship_part", relationship_part, from("relationship_part")),
                ],
                hundred.times(scale.times(eva_weighted)?)?,
            );
            let access_weight = s.term(
                "access_weight",
                "weight_scale × score_weights_access",
                "ratio",
                vec![
                    x("weight_scale", scale, from("weight_scale")),
                    x("score_weights_access", m.access_weight, format!("{model} score_weights.access")),
                ],
                scale.times(m.access_weight)?,
            );
            (standalone, access_weight)
        }
    };
    let marginal = if i.access.is_empty() {
        s.term(
            "marginal_factor",
            "0 (industry or region unknown: no market access to credit)",
            "ratio",
            vec![],
            Dec::ZERO,
        )
    } else {
        let rank = Dec::from_int(i.access_rank);
        s.term(
            "marginal_factor",
            "1 / (1 + (portfolio_overlap_factor × access_rank))",
            "ratio",
            vec![
                x("portfolio_overlap_factor", m.overlap_factor, format!("{model} portfolio_overlap_factor")),
                x(
                    "access_rank",
                    rank,
                    format!("clients ahead by standalone_score (then client id) in access cell {}", i.access),
                ),
            ],
            Dec::ONE.over(Dec::ONE.plus(m.overlap_factor.times(rank)?)?)?,
        )
    };
    let weight_source = if raroc.is_some() { format!("{model} score_weights.access") } else { from("access_weight") };
    let composite = s.term(
        "composite_score",
        "standalone_score + (100 × (access_weight × marginal_factor))",
        "points",
        vec![
            x("standalone_score", standalone, from("standalone_score")),
            x("access_weight", access_weight, weight_source),
            x("marginal_factor", marginal, from("marginal_factor")),
        ],
        standalone.plus(hundred.times(access_weight.times(marginal)?)?)?,
    );
    Ok(Parts { standalone, marginal, composite })
}
