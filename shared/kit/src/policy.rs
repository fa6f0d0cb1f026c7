//! Authorisation rules every service applies the same way: managers' portfolios and who
//! follows a raw change feed. Permission is decided before existence is revealed: a manager
//! asking about a client outside their portfolio, or one that does not exist, gets the
//! same PERMISSION_DENIED.

use crate::{
    auth::{Principal, Role},
    error::{ApiError, ApiResult},
};

/// Whether the principal's writes are limited to its own portfolio (relationship and
/// key-account managers).
pub fn portfolio_bound(principal: &Principal) -> bool {
    matches!(principal.role, Role::RelationshipManager | Role::KeyAccountManager)
}

/// The PERMISSION_DENIED a manager gets for a client outside the portfolio (or none).
pub fn not_in_portfolio() -> ApiError {
    ApiError::permission_denied("NOT_IN_PORTFOLIO", "the client does not exist or is not in your portfolio")
}

/// Checks access to client `resource` whose relationship manager is `manager` (`None`
/// when the client does not exist), once the role is known to be allowed.
pub fn check_portfolio(principal: &Principal, resource: &str, manager: Option<&str>) -> ApiResult<()> {
    match manager {
        Some(m) if portfolio_bound(principal) && m != principal.portfolio_key() => {
            Err(not_in_portfolio().with_resource(resource))
        }
        Some(_) => Ok(()),
        None if portfolio_bound(principal) => Err(not_in_portfolio().with_resource(resource)),
        None => Err(ApiError::not_found(resource)),
    }
}

/// Only administrators and service accounts follow a raw change feed (it is unmasked).
pub fn can_watch(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Admin | Role::Channel => Ok(()),
        _ => Err(ApiError::permission_denied("ROLE_CANNOT_WATCH", "only ADMIN and CHANNEL may follow the change feed")),
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn managers_cannot_tell_foreign_clients_from_missing_ones() {
        let rm = Principal { subject: "rm-1".into(), role: Role::RelationshipManager, portfolio: None };
        let admin = Principal::system("test");
        let code =
            |p: &Principal, manager: Option<&str>| check_portfolio(p, "clients/a", manager).err().map(|e| e.code());
        assert_eq!(code(&rm, Some("rm-1")), None);
        assert_eq!(code(&rm, Some("rm-2")), Some(Code::PermissionDenied));
        assert_eq!(code(&rm, None), Some(Code::PermissionDenied));
        assert_eq!(code(&admin, Some("rm-2")), None);
        assert_eq!(code(&admin, None), Some(Code::NotFound));
        assert!(can_watch(&admin).is_ok() && can_watch(&rm).is_err());
    }
}
