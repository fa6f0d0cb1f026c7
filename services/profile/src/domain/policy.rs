//! Who may do what to a client record (docs/architecture.md §7).
//!
//! Everyone authenticated may read (the bank shares client information); writes depend on
//! the role and, for relationship and key-account managers, on the portfolio. Permission
//! is decided before existence is revealed: a manager asking to change a client outside
//! their portfolio, or a client that does not exist, gets the same PERMISSION_DENIED.

pub use crm_kit::policy::can_watch;
use crm_kit::policy::portfolio_bound;
use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

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

/// The relationship manager a new or changed record gets when the caller asks for
/// `requested` ("" for none): managers create and keep clients only in their own portfolio,
/// and an empty manager defaults to theirs; other writers get what they ask for.
pub fn assign_manager(principal: &Principal, requested: &str) -> ApiResult<String> {
    can_write(principal)?;
    if !portfolio_bound(principal) {
        return Ok(requested.to_owned());
    }
    let own = principal.portfolio_key();
    if !requested.is_empty() && requested != own {
        return Err(ApiError::permission_denied(
            "NOT_IN_PORTFOLIO",
            "relationship managers may assign clients only to their own portfolio",
        ));
    }
    Ok(own.to_owned())
}

/// Only administrators and channels (migrations, onboarding systems, the demo loader) import
/// clients in bulk: an import is not bound to a portfolio.
pub fn can_import(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::Channel => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_IMPORT",
            format!("role {} may not import clients", principal.role.as_str()),
        )),
    }
}

/// Only administrators erase a client's personal data: erasure cannot be undone, and is
/// done on a data subject's request that the bank has checked, not by a portfolio's manager.
pub fn can_erase(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin => Ok(()),
        _ => Err(ApiError::permission_denied(
            "ROLE_CANNOT_ERASE",
            format!("role {} may not erase client data; ask an administrator", principal.role.as_str()),
        )),
    }
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
    fn read_only_roles_cannot_write_or_import() {
        let agent = who(Role::ContactCentreAgent, "cc-1");
        assert_eq!(can_write(&agent).expect_err("role").code(), tonic::Code::PermissionDenied);
        assert!(can_import(&agent).is_err() && can_import(&who(Role::RelationshipManager, "rm-1")).is_err());
        assert!(can_import(&who(Role::Channel, "svc:onboarding")).is_ok());
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
        assert_eq!(assign_manager(&rm, "").ok().as_deref(), Some("book-7"));
        assert_eq!(assign_manager(&rm, "book-7").ok().as_deref(), Some("book-7"));
        assert!(assign_manager(&rm, "book-8").is_err());
        assert_eq!(assign_manager(&who(Role::Admin, "root"), "").ok().as_deref(), Some(""));
    }
}
