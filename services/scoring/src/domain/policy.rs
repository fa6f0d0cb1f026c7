//! Who may do what with value models, profitability and scores (docs/architecture.md §7).
//!
//! * Every authenticated role reads models and scores; contact-centre agents see a score's
//!   tier and composite score but not its money terms or components.
//! * ADMIN and RISK_ANALYST change the value model.
//! * ADMIN, RISK_ANALYST and CHANNEL record profitability and (re)score any client;
//!   relationship and key-account managers only clients in their own portfolio
//!   (`crm_kit::policy::check_portfolio`: a manager asking about a client outside the
//!   portfolio, or one that does not exist, gets the same PERMISSION_DENIED).
//! * Profitability records are read by every role but contact-centre agents.
//! * ADMIN and CHANNEL follow the change feed.

use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

pub use crm_kit::policy::{can_watch, portfolio_bound};

/// Roles that change the value model.
pub const MODEL_WRITERS: [Role; 2] = [Role::Admin, Role::RiskAnalyst];

/// Whether the caller may change the value model.
pub fn can_update_model(principal: &Principal) -> ApiResult<()> {
    principal.require_role(&MODEL_WRITERS)
}

/// Whether the caller sees money terms and components of scores.
pub fn sees_money(principal: &Principal) -> bool {
    principal.role != Role::ContactCentreAgent
}

/// Whether the caller reads profitability records.
pub fn can_read_profitability(principal: &Principal) -> ApiResult<()> {
    if sees_money(principal) {
        return Ok(());
    }
    Err(ApiError::permission_denied(
        "ROLE_CANNOT_READ_PROFITABILITY",
        format!("role {} may not read profitability figures", principal.role),
    ))
}

/// Whether the role records profitability and scores clients at all.
pub fn can_write(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::RiskAnalyst | Role::Channel | Role::RelationshipManager | Role::KeyAccountManager => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_WRITE",
            format!("role {} may not record profitability or score clients", principal.role),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crm_kit::policy::check_portfolio;

    use super::*;

    fn who(role: Role, subject: &str) -> Principal {
        Principal { subject: subject.into(), role, portfolio: None }
    }

    /// Managers write for their own portfolio; a client outside it and a made-up one are
    /// refused alike (the rule is the kit's `check_portfolio`, after `can_write`).
    #[test]
    fn writers_and_their_portfolios() {
        let rm = who(Role::RelationshipManager, "rm-1");
        assert!(can_write(&rm).is_ok());
        assert!(check_portfolio(&rm, "clients/a", Some("rm-1")).is_ok());
        let foreign = check_portfolio(&rm, "clients/b", Some("rm-2")).expect_err("foreign");
        let missing = check_portfolio(&rm, "clients/zz", None).expect_err("missing");
        assert_eq!(foreign.code(), tonic::Code::PermissionDenied);
        assert_eq!(foreign.to_string(), missing.to_string());
        let analyst = who(Role::RiskAnalyst, "ra-1");
        assert!(can_write(&analyst).is_ok());
        assert_eq!(check_portfolio(&analyst, "clients/zz", None).expect_err("missing").code(), tonic::Code::NotFound);
        let agent = who(Role::ContactCentreAgent, "cc-1");
        assert_eq!(can_write(&agent).expect_err("role").reason(), "ROLE_CANNOT_WRITE");
    }

    #[test]
    fn model_writers_and_money_visibility() {
        assert!(can_update_model(&who(Role::RiskAnalyst, "r")).is_ok());
        assert!(can_update_model(&who(Role::RelationshipManager, "r")).is_err());
        assert!(!sees_money(&who(Role::ContactCentreAgent, "c")));
        assert!(sees_money(&who(Role::MarketingAnalyst, "m")));
        assert!(can_read_profitability(&who(Role::ContactCentreAgent, "c")).is_err());
    }
}
