//! Whether a next best action respects the client's risk: the bank offers no credit product
//! to a client in default, in the value tier REVIEW_FOR_EXIT, or at a watch-list lifecycle
//! stage. Every action carries the checks it was put through, by rule id.

use crm_proto::crm::profile::v1::LifecycleStage;

/// Product lines (names without prefix) on which the bank takes credit risk.
pub const CREDIT_LINES: [&str; 3] = ["LENDING", "TRADE_FINANCE", "CARDS"];
/// The internal grade of a client in default.
pub const DEFAULT_GRADE: &str = "D";
/// The value tier of clients under review for exit.
pub const EXIT_TIER: &str = "REVIEW_FOR_EXIT";
/// Lifecycle stages on the watch list.
pub const WATCH_LIST: [LifecycleStage; 3] = [LifecycleStage::AtRisk, LifecycleStage::Exiting, LifecycleStage::Exited];

/// A non-credit action: no credit risk to check.
pub const RULE_NON_CREDIT: &str = "NBA-NON-CREDIT";
/// No credit product for a client in default.
pub const RULE_DEFAULT: &str = "NBA-CREDIT-DEFAULT";
/// No credit product for a client in REVIEW_FOR_EXIT.
pub const RULE_EXIT_TIER: &str = "NBA-CREDIT-EXIT-TIER";
/// No credit product for a client at a watch-list stage.
pub const RULE_WATCH_LIST: &str = "NBA-CREDIT-WATCH-LIST";

/// What the checks look at.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RiskFacts {
    /// Internal credit grade ("" when not graded).
    pub credit_grade: String,
    pub stage: LifecycleStage,
    /// Value tier without prefix; `None` when the client has no value score (or scoring does
    /// not run with the suite).
    pub tier: Option<String>,
    /// Value scoring runs but could not say: the tier check fails (credit is not offered on
    /// a guess).
    pub tier_unknown: bool,
}

/// One check and its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub rule_id: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// Whether `product_line` is a credit product.
pub fn is_credit(product_line: &str) -> bool {
    CREDIT_LINES.contains(&product_line)
}

fn stage_name(stage: LifecycleStage) -> &'static str {
    stage.as_str_name().trim_start_matches("LIFECYCLE_STAGE_")
}

/// The checks of an action on `product_line` for a client with `facts`; it may be offered
/// when every one passed.
pub fn checks(product_line: &str, facts: &RiskFacts) -> Vec<Check> {
    if !is_credit(product_line) {
        let detail = format!("{product_line} is not a credit product; the credit rules do not apply");
        return vec![Check { rule_id: RULE_NON_CREDIT, passed: true, detail }];
    }
    let grade = if facts.credit_grade.is_empty() { "none" } else { facts.credit_grade.as_str() };
    let in_default = facts.credit_grade == DEFAULT_GRADE;
    let tier = match (&facts.tier, facts.tier_unknown) {
        (_, true) => "unknown (value scoring unavailable)",
        (Some(tier), false) => tier.as_str(),
        (None, false) => "none (no value score)",
    };
    let on_watch = WATCH_LIST.contains(&facts.stage);
    let stage = stage_name(facts.stage);
    vec![
        Check {
            rule_id: RULE_DEFAULT,
            passed: !in_default,
            detail: format!(
                "credit grade {grade} {} in default ({DEFAULT_GRADE})",
                if in_default { "is" } else { "is not" }
            ),
        },
        Check {
            rule_id: RULE_EXIT_TIER,
            passed: !facts.tier_unknown && facts.tier.as_deref() != Some(EXIT_TIER),
            detail: format!("value tier {tier}; credit is not offered in {EXIT_TIER}"),
        },
        Check {
            rule_id: RULE_WATCH_LIST,
            passed: !on_watch,
            detail: format!("lifecycle stage {stage}; credit is not offered at AT_RISK, EXITING or EXITED"),
        },
    ]
}

/// Whether every check passed.
pub fn eligible(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(grade: &str, stage: LifecycleStage, tier: Option<&str>) -> RiskFacts {
        RiskFacts { credit_grade: grade.into(), stage, tier: tier.map(str::to_owned), tier_unknown: false }
    }

    fn failed(line: &str, f: &RiskFacts) -> Vec<&'static str> {
        checks(line, f).into_iter().filter(|c| !c.passed).map(|c| c.rule_id).collect()
    }

    #[test]
    fn a_sound_client_may_be_offered_credit_and_names_the_checks_it_passed() {
        let sound = facts("BBB", LifecycleStage::Active, Some("GROW"));
        let passed = checks("LENDING", &sound);
        assert!(eligible(&passed));
        let rules: Vec<_> = passed.iter().map(|c| c.rule_id).collect();
        assert_eq!(rules, [RULE_DEFAULT, RULE_EXIT_TIER, RULE_WATCH_LIST]);
        assert_eq!(passed[0].detail, "credit grade BBB is not in default (D)");
        assert!(eligible(&checks("LENDING", &facts("", LifecycleStage::Prospect, None))), "no grade, no score");
    }

    #[test]
    fn no_credit_in_default_review_for_exit_or_on_the_watch_list() {
        assert_eq!(failed("LENDING", &facts("D", LifecycleStage::Active, Some("GROW"))), [RULE_DEFAULT]);
        assert_eq!(failed("TRADE_FINANCE", &facts("BB", LifecycleStage::Active, Some(EXIT_TIER))), [RULE_EXIT_TIER]);
        for stage in WATCH_LIST {
            assert_eq!(failed("CARDS", &facts("A", stage, None)), [RULE_WATCH_LIST]);
        }
        let worst = facts("D", LifecycleStage::Exiting, Some(EXIT_TIER));
        assert_eq!(failed("LENDING", &worst), [RULE_DEFAULT, RULE_EXIT_TIER, RULE_WATCH_LIST]);
        let unknown = RiskFacts { tier_unknown: true, ..facts("A", LifecycleStage::Active, None) };
        assert_eq!(failed("LENDING", &unknown), [RULE_EXIT_TIER], "no credit on a guess");
        assert_eq!(
            checks("LENDING", &unknown)[1].detail,
            "value tier unknown (value scoring unavailable); credit is not offered in REVIEW_FOR_EXIT"
        );
        let deposits = checks("DEPOSITS", &worst);
        assert!(eligible(&deposits), "the credit rules are about credit");
        assert_eq!(deposits[0].rule_id, RULE_NON_CREDIT);
    }
}
