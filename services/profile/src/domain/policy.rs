//! Who may do what to a client record (DESIGN §7).
//!
//! Everyone authenticated may read (the bank shares client information); writes depend on
//! the role and, for relationship and key-account managers, on the portfolio. Permission
//! is decided before existence is revealed: a manager asking to change a client outside
//! their portfolio, or a client that does not exist, gets the same PERMISSION_DENIED.

use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};
use crm_proto::crm::profile::v1::Client;

pub use crm_kit::policy::can_watch;
use crm_kit::policy::{check_portfolio, portfolio_bound};

/// Whether the role writes client records at all.
pub fn can_write(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::Channel | Role::RelationshipManager | Role::KeyAccountManager => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_WRITE",
            format!("role {} may not change client records", principal.role.as_str()),
        )),
    }
}

/// Checks a write to an existing record (`current` is `None` when it does not exist).
pub fn check_write(principal: &Principal, resource: &str, current: Option<&Client>) -> ApiResult<()> {
    can_write(principal)?;
    check_portfolio(principal, resource, current.map(|c| c.relationship_manager.as_str()))
}

/// Checks (and completes) a new or changed record's portfolio: managers create and keep
/// clients only in their own portfolio; an empty manager defaults to theirs.
pub fn check_assignment(principal: &Principal, client: &mut Client) -> ApiResult<()> {
    can_write(principal)?;
    if !portfolio_bound(principal) {
        return Ok(());
    }
    if client.relationship_manager.is_empty() {
        client.relationship_manager = principal.portfolio_key().to_owned();
    }
    if client.relationship_manager != principal.portfolio_key() {
        return Err(ApiError::permission_denied(
            "NOT_IN_PORTFOLIO",
            "relationship managers may assign clients only to their own portfolio",
        ));
    }
    Ok(())
}

/// Whether the caller sees sensitive fields (tax id) unmasked. The suite's own services
/// (scoring, segmentation, interaction) never need them in clear: they get masked values, so
/// their bulk reads neither expose tax ids nor flood the audit trail.
pub fn sees_sensitive(principal: &Principal) -> bool {
    !matches!(principal.role, Role::ContactCentreAgent | Role::MarketingAnalyst) && !principal.is_suite_service()
}

/// Whether the caller sees contact phone numbers and e-mail unmasked (the suite's services
/// only need to know that they exist).
pub fn sees_contact_details(principal: &Principal) -> bool {
    principal.role != Role::ContactCentreAgent && !principal.is_suite_service()
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
        let mine = Client { relationship_manager: "rm-1".into(), ..Default::default() };
        let theirs = Client { relationship_manager: "rm-2".into(), ..Default::default() };
        assert!(check_write(&rm, "clients/a", Some(&mine)).is_ok());
        let denied = check_write(&rm, "clients/b", Some(&theirs)).expect_err("other portfolio");
        let missing = check_write(&rm, "clients/zz", None).expect_err("made-up");
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert_eq!(missing.code(), tonic::Code::PermissionDenied);
        assert_eq!(denied.to_string(), missing.to_string());
    }

    #[test]
    fn admins_see_not_found_and_read_only_roles_cannot_write() {
        let admin = who(Role::Admin, "root");
        assert_eq!(check_write(&admin, "clients/zz", None).expect_err("missing").code(), tonic::Code::NotFound);
        let agent = who(Role::ContactCentreAgent, "cc-1");
        assert_eq!(check_write(&agent, "clients/zz", None).expect_err("role").code(), tonic::Code::PermissionDenied);
        assert!(!sees_sensitive(&agent) && !sees_contact_details(&agent));
    }

    #[test]
    fn suite_services_read_masked_but_other_channels_do_not() {
        let scoring = who(Role::Channel, "svc:scoring");
        assert!(!sees_sensitive(&scoring) && !sees_contact_details(&scoring));
        let bank_channel = who(Role::Channel, "mobile-banking");
        assert!(sees_sensitive(&bank_channel) && sees_contact_details(&bank_channel));
    }

    #[test]
    fn managers_default_and_keep_assignment_in_portfolio() {
        let rm =
            Principal { subject: "rm-1".into(), role: Role::RelationshipManager, portfolio: Some("book-7".into()) };
        let mut new = Client::default();
        check_assignment(&rm, &mut new).expect("defaults");
        assert_eq!(new.relationship_manager, "book-7");
        let mut elsewhere = Client { relationship_manager: "book-8".into(), ..Default::default() };
        assert!(check_assignment(&rm, &mut elsewhere).is_err());
    }
}
