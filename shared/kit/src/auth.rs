//! Authentication: JWT bearer tokens, roles and the authenticated [`Principal`].
//!
//! Every RPC but health carries `authorization: Bearer <jwt>` (docs/architecture.md §7).
//! Tokens have `aud` = `crm`, an `exp` that is always checked, and a pinned algorithm: HS256
//! with a secret in embedded mode (the key lives in the data directory, see
//! [`load_or_create_secret`]), or RS256 / ES256 / EdDSA with a public key in production.
//!
//! * [`TokenIssuer`] mints HS256 tokens (`crm token`, tests).
//! * [`TokenVerifier`] checks tokens and yields a [`Principal`].
//! * [`interceptor`] plugs the verifier into a tonic service; handlers read the caller with
//!   [`principal`].

mod grpc;
mod secret;
mod token;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ApiError;

pub use grpc::{AuthInterceptor, Bearer, interceptor, principal, principal_from_headers};
pub use secret::{SECRET_FILE_NAME, SecretKey, load_or_create_secret};
pub use token::{AuthConfig, Claims, DEFAULT_AUDIENCE, ISSUER, TokenIssuer, TokenVerifier};

/// The error domain used for every authentication and authorization failure.
pub const AUTH_DOMAIN: &str = "crm.auth";

/// What a caller may do, carried in the token's `role` claim.
///
/// Serialized (and parsed) as the UPPER_SNAKE names of docs/architecture.md §7, e.g.
/// `RELATIONSHIP_MANAGER`, exactly: a token saying `admin` carries no role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Owns client relationships; writes only within their own portfolio.
    RelationshipManager,
    /// Manages the bank's largest, multi-entity relationships.
    KeyAccountManager,
    /// Contact-centre agent; sees tax ids and contact details masked.
    ContactCentreAgent,
    /// Credit / risk analyst.
    RiskAnalyst,
    /// Marketing analyst (segments, campaigns, target markets).
    MarketingAnalyst,
    /// Platform administrator (audit log, reference data, internal jobs).
    Admin,
    /// Service account of a channel (online banking, branch, partner API).
    Channel,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 7] = [
        Role::RelationshipManager,
        Role::KeyAccountManager,
        Role::ContactCentreAgent,
        Role::RiskAnalyst,
        Role::MarketingAnalyst,
        Role::Admin,
        Role::Channel,
    ];

    /// The canonical UPPER_SNAKE name, e.g. `"RELATIONSHIP_MANAGER"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::RelationshipManager => "RELATIONSHIP_MANAGER",
            Role::KeyAccountManager => "KEY_ACCOUNT_MANAGER",
            Role::ContactCentreAgent => "CONTACT_CENTRE_AGENT",
            Role::RiskAnalyst => "RISK_ANALYST",
            Role::MarketingAnalyst => "MARKETING_ANALYST",
            Role::Admin => "ADMIN",
            Role::Channel => "CHANNEL",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {given:?}; valid roles are {}", valid_roles())]
pub struct UnknownRole {
    /// The rejected input.
    pub given: String,
}

fn valid_roles() -> String {
    Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole { given: s.to_owned() })
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// Subject prefix of the suite's own services' tokens (`svc:scoring`, ...).
pub const SERVICE_SUBJECT_PREFIX: &str = "svc:";

/// The authenticated caller of an RPC, built from a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: a user id, a service account, or `system:<job>`.
    pub subject: String,
    /// The token's `role`.
    pub role: Role,
    /// The token's optional `portfolio` claim (a relationship manager's book).
    pub portfolio: Option<String>,
}

impl Principal {
    /// The principal of an internal job (migrations, seeding, feed relays): role ADMIN,
    /// subject `system:<name>`, no portfolio.
    pub fn system(name: &str) -> Self {
        Self { subject: format!("system:{name}"), role: Role::Admin, portfolio: None }
    }

    /// The portfolio this principal works in: the `portfolio` claim, else the subject.
    pub fn portfolio_key(&self) -> &str {
        self.portfolio.as_deref().unwrap_or(&self.subject)
    }

    /// Whether this is one of the suite's own services calling another (a CHANNEL token
    /// with subject `svc:<service>`, as minted by [`crate::peer::PeerAuth`]).
    pub fn is_suite_service(&self) -> bool {
        self.role == Role::Channel && self.subject.starts_with(SERVICE_SUBJECT_PREFIX)
    }

    /// Whether this principal was made by [`Principal::system`].
    pub fn is_system(&self) -> bool {
        self.subject.starts_with("system:")
    }

    /// `Ok(())` when the principal's role is one of `allowed`, else PERMISSION_DENIED with
    /// reason `ROLE_NOT_PERMITTED`.
    pub fn require_role(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Err(ApiError::permission_denied(
            "ROLE_NOT_PERMITTED",
            format!("role {} may not do this; it needs one of: {}", self.role, names.join(", ")),
        )
        .with_metadata("role", self.role.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_parse_exactly() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert!(role.as_str().to_lowercase().parse::<Role>().is_err(), "{role} in lower case");
            assert_eq!(role.to_string(), role.as_str());
        }
        assert!("Relationship_Manager".parse::<Role>().is_err());
        assert!(" ADMIN".parse::<Role>().is_err());
        assert_eq!(Role::ContactCentreAgent.as_str(), "CONTACT_CENTRE_AGENT");
        assert_eq!(Role::KeyAccountManager.as_str(), "KEY_ACCOUNT_MANAGER");
    }

    #[test]
    fn unknown_role_error_lists_valid_roles() {
        let err = "superuser".parse::<Role>().expect_err("not a role");
        let text = err.to_string();
        assert!(text.contains("superuser"), "{text}");
        for role in Role::ALL {
            assert!(text.contains(role.as_str()), "{text} lacks {role}");
        }
    }

    #[test]
    fn role_serde_uses_upper_snake_names() {
        let json = serde_json::to_string(&Role::MarketingAnalyst).expect("serialize");
        assert_eq!(json, "\"MARKETING_ANALYST\"");
        let back: Role = serde_json::from_str("\"RISK_ANALYST\"").expect("deserialize");
        assert_eq!(back, Role::RiskAnalyst);
        assert!(serde_json::from_str::<Role>("\"risk_analyst\"").is_err());
        assert!(serde_json::from_str::<Role>("\"ROOT\"").is_err());
    }

    #[test]
    fn portfolio_key_prefers_the_portfolio_claim() {
        let mut p =
            Principal { subject: "rm-17".into(), role: Role::RelationshipManager, portfolio: Some("book-9".into()) };
        assert_eq!(p.portfolio_key(), "book-9");
        p.portfolio = None;
        assert_eq!(p.portfolio_key(), "rm-17");
    }

    #[test]
    fn system_principal_is_admin() {
        let p = Principal::system("seed");
        assert_eq!(p.subject, "system:seed");
        assert_eq!(p.role, Role::Admin);
        assert!(p.portfolio.is_none());
        assert!(p.is_system());
    }

    #[test]
    fn require_role_denies_other_roles() {
        let p = Principal { subject: "a".into(), role: Role::ContactCentreAgent, portfolio: None };
        assert!(p.require_role(&[Role::ContactCentreAgent, Role::Admin]).is_ok());
        let err = p.require_role(&[Role::Admin]).expect_err("denied");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
        assert_eq!(err.reason(), "ROLE_NOT_PERMITTED");
    }
}
