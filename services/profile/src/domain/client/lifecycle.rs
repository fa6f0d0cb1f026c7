//! The relationship lifecycle (the bank's training material: target → prospect → active → at
//! risk → exiting → closed): which stage may follow which. A person moves a client; nothing
//! moves it on its own, and a closed (EXITED) relationship stays closed — a returning client
//! is a new prospect record.

use crm_kit::{ApiError, ApiResult};
use crm_proto::crm::profile::v1::LifecycleStage;

/// The stages that may follow `from` (staying put is always allowed).
pub fn next_stages(from: LifecycleStage) -> &'static [LifecycleStage] {
    use LifecycleStage::*;
    match from {
        Unspecified => &[Target, Prospect, Onboarding, Active, AtRisk, Exiting, Exited],
        Target => &[Prospect, Exited],
        Prospect => &[Onboarding, Active, Exited],
        Onboarding => &[Active, Exited],
        Active => &[AtRisk, Exiting],
        AtRisk => &[Active, Exiting],
        Exiting => &[Active, AtRisk, Exited],
        Exited => &[],
    }
}

fn stage_name(stage: LifecycleStage) -> &'static str {
    stage.as_str_name().trim_start_matches("LIFECYCLE_STAGE_")
}

/// Ok when a client may move from `from` to `to`; else FAILED_PRECONDITION
/// LIFECYCLE_TRANSITION_NOT_ALLOWED, naming both stages and those allowed.
pub fn check_transition(resource: &str, from: i32, to: i32) -> ApiResult<()> {
    let from = LifecycleStage::try_from(from).unwrap_or(LifecycleStage::Unspecified);
    let to = LifecycleStage::try_from(to).unwrap_or(LifecycleStage::Unspecified);
    if from == to || next_stages(from).contains(&to) {
        return Ok(());
    }
    let allowed: Vec<&str> = next_stages(from).iter().map(|s| stage_name(*s)).collect();
    let allowed = if allowed.is_empty() { "none".to_owned() } else { allowed.join(",") };
    Err(ApiError::failed_precondition(
        "LIFECYCLE_TRANSITION_NOT_ALLOWED",
        format!("{resource} cannot move from {} to {}; allowed: {allowed}", stage_name(from), stage_name(to)),
    )
    .with_metadata("from", stage_name(from))
    .with_metadata("to", stage_name(to))
    .with_metadata("allowed", allowed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleStage::*;

    fn ok(from: LifecycleStage, to: LifecycleStage) -> bool {
        check_transition("clients/c", from as i32, to as i32).is_ok()
    }

    #[test]
    fn the_lifecycle_runs_forward_from_target_to_closed() {
        let path = [Target, Prospect, Onboarding, Active, AtRisk, Exiting, Exited];
        assert!(path.windows(2).all(|w| ok(w[0], w[1])), "the training material's path");
        assert!(ok(AtRisk, Active) && ok(Exiting, Active), "a client can be kept after all");
        assert!(ok(Active, Active), "staying put is no move");
    }

    #[test]
    fn skipping_or_reopening_is_refused_with_the_allowed_stages() {
        assert!(!ok(Prospect, AtRisk) && !ok(Target, Active) && !ok(Active, Exited) && !ok(Active, Prospect));
        let err = check_transition("clients/c", Exited as i32, Active as i32).expect_err("closed stays closed");
        assert_eq!((err.code(), err.reason()), (tonic::Code::FailedPrecondition, "LIFECYCLE_TRANSITION_NOT_ALLOWED"));
        assert_eq!(err.into_status("t").message(), "clients/c cannot move from EXITED to ACTIVE; allowed: none");
        let err = check_transition("clients/c", Active as i32, Exited as i32).expect_err("exit goes through EXITING");
        assert_eq!(
            err.into_status("t").message(),
            "clients/c cannot move from ACTIVE to EXITED; allowed: AT_RISK,EXITING"
        );
    }
}
