//! Who may do what (docs/architecture.md §7).
//!
//! Every authenticated role reads interactions, cases, contactability and recommendations:
//! the relationship history is shared bank-wide, which is the point of contact management.
//! Writes depend on the role and, for relationship and key-account managers, on the
//! portfolio. Permission is decided before existence: a manager writing for a client
//! outside their portfolio, or for one that does not exist, gets the same PERMISSION_DENIED.

use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

pub use crm_kit::policy::can_watch;

/// Whether the role records interactions, cases and channel preferences at all.
pub fn can_write(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin
        | Role::Channel
        | Role::RelationshipManager
        | Role::KeyAccountManager
        | Role::ContactCentreAgent => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_WRITE",
            format!("role {} may not record interactions, cases or channel preferences", principal.role.as_str()),
        )),
    }
}

/// Whether the role writes content items (content management is marketing's).
pub fn can_write_content(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::MarketingAnalyst => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_WRITE_CONTENT",
            "only MARKETING_ANALYST and ADMIN may write content items",
        )),
    }
}

/// Whether the role makes key-account plans.
pub fn can_plan(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::KeyAccountManager => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_PLAN",
            "only KEY_ACCOUNT_MANAGER and ADMIN may make account plans",
        )),
    }
}

/// Whether the role decides exit reviews: the relationship's managers (their own portfolio,
/// checked after this) and ADMIN.
pub fn can_decide_exit(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::RelationshipManager | Role::KeyAccountManager => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_DECIDE_EXIT",
            "only RELATIONSHIP_MANAGER, KEY_ACCOUNT_MANAGER and ADMIN may decide exit reviews",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::policy::check_portfolio;

    fn who(role: Role, subject: &str) -> Principal {
        Principal { subject: subject.into(), role, portfolio: None }
    }

    #[test]
    fn managers_and_admin_decide_exit_reviews() {
        assert!(can_decide_exit(&who(Role::RelationshipManager, "rm-1")).is_ok());
        assert!(can_decide_exit(&who(Role::Admin, "a")).is_ok());
        let err = can_decide_exit(&who(Role::ContactCentreAgent, "cc-1")).expect_err("agents do not");
        assert_eq!(err.reason(), "ROLE_CANNOT_DECIDE_EXIT");
        assert!(can_decide_exit(&who(Role::Channel, "svc")).is_err(), "a person decides");
    }

    #[test]
    fn managers_write_only_their_portfolio_and_learn_nothing_else() {
        let rm = who(Role::RelationshipManager, "rm-1");
        assert!(can_plan(&rm).is_err() && can_write_content(&rm).is_err());
        assert!(check_portfolio(&rm, "clients/a", Some("rm-1")).is_ok());
        let denied = check_portfolio(&rm, "clients/b", Some("rm-2")).expect_err("other portfolio");
        let missing = check_portfolio(&rm, "clients/zz", None).expect_err("made up");
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert_eq!(denied.to_string(), missing.to_string());
    }

    #[test]
    fn agents_write_for_any_client_and_analysts_for_none() {
        let agent = who(Role::ContactCentreAgent, "cc-1");
        assert!(check_portfolio(&agent, "clients/b", Some("rm-2")).is_ok());
        assert_eq!(check_portfolio(&agent, "clients/zz", None).expect_err("missing").code(), tonic::Code::NotFound);
        assert!(can_plan(&who(Role::KeyAccountManager, "kam-1")).is_ok());
        assert!(can_write_content(&who(Role::MarketingAnalyst, "ma-1")).is_ok());
        let analyst = who(Role::RiskAnalyst, "ra-1");
        assert_eq!(can_write(&analyst).expect_err("read only").code(), tonic::Code::PermissionDenied);
        assert!(can_watch(&agent).is_err() && can_watch(&who(Role::Channel, "svc:x")).is_ok());
    }
}
