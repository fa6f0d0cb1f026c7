//! Who may do what (DESIGN §7).
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
use crm_proto::crm::profile::v1::Client;

pub use crm_kit::policy::can_watch;
use crm_kit::policy::check_portfolio;

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

/// Checks a write for a client as the profile service knows it (`None`: no such client),
/// once the role is known to write.
pub fn check_client(principal: &Principal, resource: &str, client: Option<&Client>) -> ApiResult<()> {
    check_portfolio(principal, resource, client.map(|c| c.relationship_manager.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, subject: &str) -> Principal {
        Principal { subject: subject.into(), role, portfolio: None }
    }

    #[test]
    fn managers_write_only_their_portfolio_and_learn_nothing_else() {
        let rm = who(Role::RelationshipManager, "rm-1");
        assert!(can_plan(&rm).is_err() && can_write_content(&rm).is_err());
        let mine = Client { relationship_manager: "rm-1".into(), ..Default::default() };
        let theirs = Client { relationship_manager: "rm-2".into(), ..Default::default() };
        assert!(check_client(&rm, "clients/a", Some(&mine)).is_ok());
        let denied = check_client(&rm, "clients/b", Some(&theirs)).expect_err("other portfolio");
        let missing = check_client(&rm, "clients/zz", None).expect_err("made up");
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert_eq!(denied.to_string(), missing.to_string());
    }

    #[test]
    fn agents_write_for_any_client_and_analysts_for_none() {
        let agent = who(Role::ContactCentreAgent, "cc-1");
        let theirs = Client { relationship_manager: "rm-2".into(), ..Default::default() };
        assert!(check_client(&agent, "clients/b", Some(&theirs)).is_ok());
        assert_eq!(check_client(&agent, "clients/zz", None).expect_err("missing").code(), tonic::Code::NotFound);
        assert!(can_plan(&who(Role::KeyAccountManager, "kam-1")).is_ok());
        assert!(can_write_content(&who(Role::MarketingAnalyst, "ma-1")).is_ok());
        let analyst = who(Role::RiskAnalyst, "ra-1");
        assert_eq!(can_write(&analyst).expect_err("read only").code(), tonic::Code::PermissionDenied);
        assert!(can_watch(&agent).is_err() && can_watch(&who(Role::Channel, "svc:x")).is_ok());
    }
}
