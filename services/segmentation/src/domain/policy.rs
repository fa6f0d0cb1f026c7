//! Who may do what with segmentation (docs/architecture.md §7).
//!
//! Marketing analysts and administrators manage schemes (create, change, preview, activate,
//! retire). Every authenticated role reads schemes, memberships and reports: the gateway's
//! Client 360 shows a client's segments to whoever looks at the client, and the interaction
//! service reads reports as CHANNEL for its next best actions.

use crm_kit::{
    ApiResult,
    auth::{Principal, Role},
};

/// Roles that manage schemes.
pub const MANAGERS: [Role; 2] = [Role::MarketingAnalyst, Role::Admin];

/// Whether the caller may create, change, preview, activate or retire schemes.
pub fn can_manage(principal: &Principal) -> ApiResult<()> {
    principal.require_role(&MANAGERS)
}

/// Whether the caller may read schemes, memberships and reports (every role may).
pub fn can_read(principal: &Principal) -> ApiResult<()> {
    principal.require_role(&Role::ALL)
}

/// Whether the caller sees money (segment revenue, mean value, target-market profit inputs).
/// Contact-centre agents do not: a small segment's revenue is one client's revenue, and the
/// value scoring service withholds the same figures from them.
pub fn sees_money(principal: &Principal) -> bool {
    principal.role != Role::ContactCentreAgent
}

/// Whether the caller may evaluate target markets (their inputs are money).
pub fn can_evaluate(principal: &Principal) -> ApiResult<()> {
    if sees_money(principal) {
        return Ok(());
    }
    let others: Vec<Role> = Role::ALL.into_iter().filter(|r| *r != Role::ContactCentreAgent).collect();
    principal.require_role(&others)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_analysts_and_admins_manage_but_everyone_reads() {
        for role in Role::ALL {
            let p = Principal { subject: "u".into(), role, portfolio: None };
            assert_eq!(can_manage(&p).is_ok(), matches!(role, Role::MarketingAnalyst | Role::Admin), "{role}");
            assert!(can_read(&p).is_ok());
            assert_eq!(can_evaluate(&p).is_ok(), role != Role::ContactCentreAgent, "{role}");
        }
    }
}
