//! JWT minting and verification.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{Principal, Role, SecretKey};
use crate::error::ApiError;

/// The audience every crm token is minted for and checked against by default.
pub const DEFAULT_AUDIENCE: &str = "crm";

/// The `iss` claim of tokens minted by [`TokenIssuer`].
pub const ISSUER: &str = "crm";

/// The algorithms a verifier can be pinned to.
const SUPPORTED_ALGORITHMS: &str = "HS256, RS256, ES256, EdDSA";

/// How tokens are verified (`[auth]` in `crm.toml`, `CRM__AUTH__...` in the environment).
///
/// Holds no key material itself, only the path of the key file, so `Debug` is safe to log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The one accepted signing algorithm: `HS256` (default), `RS256`, `ES256` or `EdDSA`.
    pub algorithm: String,
    /// HS256: the secret file (base64, as written by [`super::load_or_create_secret`]);
    /// RS256 / ES256 / EdDSA: the PEM public key. Unset in embedded mode, where the secret
    /// comes from the data directory.
    pub key_file: Option<PathBuf>,
    /// The required `aud` claim (default `crm`).
    pub audience: String,
    /// The required `iss` claim: the identity provider that issues the bank's tokens
    /// (default `crm`, the embedded issuer of `crm token`).
    pub issuer: String,
    /// Longest lifetime (`exp` − `iat`) a token may have, in seconds (default 12 hours); a
    /// token without `iat`, or living longer, is refused.
    pub max_lifetime_seconds: u64,
    /// Clock skew tolerated on `exp` / `nbf`, in seconds (default 30).
    pub leeway_seconds: u64,
    /// The token this service presents when it calls another suite service (a CHANNEL
    /// service account issued by the bank's identity provider), re-read on every refresh.
    /// Unset in embedded mode, where the service mints its own from the data directory's key.
    pub service_token_file: Option<PathBuf>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            algorithm: "HS256".to_owned(),
            key_file: None,
            audience: DEFAULT_AUDIENCE.to_owned(),
            issuer: ISSUER.to_owned(),
            max_lifetime_seconds: 12 * 3600,
            leeway_seconds: 30,
            service_token_file: None,
        }
    }
}

fn parse_algorithm(name: &str) -> anyhow::Result<Algorithm> {
    match name.trim().to_ascii_uppercase().as_str() {
        "HS256" => Ok(Algorithm::HS256),
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        "EDDSA" => Ok(Algorithm::EdDSA),
        _ => bail!("unsupported token algorithm {name:?}; use one of {SUPPORTED_ALGORITHMS}"),
    }
}

/// The claims of a crm access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: who the caller is.
    pub sub: String,
    /// The caller's role.
    pub role: Role,
    /// The caller's portfolio (book of clients), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<String>,
    /// Audience (`crm`).
    pub aud: String,
    /// Issuer (`crm` for tokens minted here).
    pub iss: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
    /// Unique token id.
    pub jti: String,
}

/// What verification reads from a token; tolerant of `aud` arrays from external issuers
/// (the audience itself is checked by `jsonwebtoken`).
#[derive(Deserialize)]
struct VerifiedClaims {
    sub: String,
    role: Role,
    #[serde(default)]
    portfolio: Option<String>,
    iat: u64,
    exp: u64,
}

fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Mints HS256 tokens with an embedded-mode [`SecretKey`] (for `crm token` and tests).
/// Cheap to clone.
#[derive(Clone)]
pub struct TokenIssuer {
    key: Arc<EncodingKey>,
    audience: String,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("algorithm", &"HS256")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer signing with `secret`, audience `crm`.
    pub fn new(secret: &SecretKey) -> anyhow::Result<Self> {
        let key = EncodingKey::from_secret(secret.expose()).context("unusable HS256 secret")?;
        Ok(Self { key: Arc::new(key), audience: DEFAULT_AUDIENCE.to_owned() })
    }

    /// The same issuer minting for another audience (e.g. to match [`AuthConfig::audience`]).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Mints a token for `subject` valid for `ttl` from now.
    pub fn mint(&self, subject: &str, role: Role, portfolio: Option<&str>, ttl: Duration) -> anyhow::Result<String> {
        let expires_at = SystemTime::now().checked_add(ttl).context("token lifetime is too long")?;
        self.mint_with_expiry(subject, role, portfolio, expires_at)
    }

    /// Mints a token expiring at `expires_at`, which may be in the past (tests, tooling).
    pub fn mint_with_expiry(
        &self,
        subject: &str,
        role: Role,
        portfolio: Option<&str>,
        expires_at: SystemTime,
    ) -> anyhow::Result<String> {
        if subject.trim().is_empty() {
            bail!("a token needs a non-empty subject");
        }
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            portfolio: portfolio.filter(|p| !p.is_empty()).map(str::to_owned),
            aud: self.audience.clone(),
            iss: ISSUER.to_owned(),
            iat: unix_seconds(SystemTime::now()),
            exp: unix_seconds(expires_at),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key).context("cannot sign the token")
    }
}

struct VerifierInner {
    algorithm: Algorithm,
    audience: String,
    max_lifetime: u64,
    key: DecodingKey,
    validation: Validation,
}

/// Verifies bearer tokens: one pinned algorithm, `aud` and `exp` required and checked (with
/// leeway), signature checked. Cheap to clone (shared key inside).
#[derive(Clone)]
pub struct TokenVerifier {
    inner: Arc<VerifierInner>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("algorithm", &self.inner.algorithm)
            .field("audience", &self.inner.audience)
            .field("leeway_seconds", &self.inner.validation.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Embedded mode: verifies HS256 tokens signed with `secret`. `cfg.algorithm` must be
    /// HS256; `cfg.key_file` is ignored.
    pub fn from_secret(secret: &SecretKey, cfg: &AuthConfig) -> anyhow::Result<Self> {
        let algorithm = parse_algorithm(&cfg.algorithm)?;
        if algorithm != Algorithm::HS256 {
            bail!(
                "auth.algorithm is {} but the embedded signing secret is HS256; \
                 unset auth.algorithm or configure auth.key_file",
                cfg.algorithm
            );
        }
        let key = DecodingKey::from_secret(secret.expose()).context("unusable HS256 secret")?;
        Ok(Self::build(algorithm, key, cfg))
    }

    /// Production mode: loads `cfg.key_file` — the PEM public key for RS256 / ES256 / EdDSA,
    /// or the base64 secret file for HS256.
    pub fn from_config(cfg: &AuthConfig) -> anyhow::Result<Self> {
        let algorithm = parse_algorithm(&cfg.algorithm)?;
        let path = cfg
            .key_file
            .as_deref()
            .with_context(|| format!("auth.key_file must name the {} verification key", cfg.algorithm))?;
        let key = match algorithm {
            Algorithm::HS256 => DecodingKey::from_secret(SecretKey::read_file(path)?.expose()),
            Algorithm::RS256 => DecodingKey::from_rsa_pem(&read_pem(path)?),
            Algorithm::ES256 => DecodingKey::from_ec_pem(&read_pem(path)?),
            Algorithm::EdDSA => DecodingKey::from_ed_pem(&read_pem(path)?),
            other => bail!("unsupported token algorithm {other:?}"),
        }
        .with_context(|| bad_key(path, &cfg.algorithm))?;
        Ok(Self::build(algorithm, key, cfg))
    }

    fn build(algorithm: Algorithm, key: DecodingKey, cfg: &AuthConfig) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = cfg.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_audience(&[cfg.audience.as_str()]);
        validation.set_issuer(&[cfg.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "aud", "sub", "iss", "iat"]);
        let inner = VerifierInner {
            algorithm,
            audience: cfg.audience.clone(),
            max_lifetime: cfg.max_lifetime_seconds,
            key,
            validation,
        };
        Self { inner: Arc::new(inner) }
    }

    /// The pinned algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.algorithm
    }

    /// Verifies a bare token (no `Bearer ` prefix). UNAUTHENTICATED with reason
    /// `TOKEN_EXPIRED` or `TOKEN_INVALID` on failure.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = jsonwebtoken::decode::<VerifiedClaims>(token.trim(), &self.inner.key, &self.inner.validation)
            .map_err(map_jwt_error)?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(invalid("empty subject"));
        }
        if claims.exp.saturating_sub(claims.iat) > self.inner.max_lifetime {
            return Err(invalid("its lifetime is longer than this service accepts"));
        }
        Ok(Principal { subject: claims.sub, role: claims.role, portfolio: claims.portfolio.filter(|p| !p.is_empty()) })
    }

    /// Verifies the `authorization: Bearer <token>` entry of gRPC metadata. A missing or
    /// malformed entry gives UNAUTHENTICATED / `TOKEN_MISSING`.
    pub fn verify_metadata(&self, md: &tonic::metadata::MetadataMap) -> Result<Principal, ApiError> {
        let value = md.get(http::header::AUTHORIZATION.as_str()).and_then(|v| v.to_str().ok());
        self.verify_authorization(value)
    }

    /// Verifies the value of an `authorization` header (`None` when absent or not text).
    pub(crate) fn verify_authorization(&self, value: Option<&str>) -> Result<Principal, ApiError> {
        let token = value.and_then(bearer_token).ok_or_else(|| {
            ApiError::unauthenticated("TOKEN_MISSING", "this call needs `authorization: Bearer <token>` metadata")
        })?;
        self.verify(token)
    }
}

fn read_pem(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the public key {}", path.display()))
}

fn bad_key(path: &Path, algorithm: &str) -> String {
    format!("{} is not a usable {algorithm} verification key", path.display())
}

/// The token of `Bearer <token>` (scheme case-insensitive), if well formed.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let well_formed =
        scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(char::is_whitespace);
    well_formed.then_some(token)
}

fn invalid(why: &str) -> ApiError {
    ApiError::unauthenticated("TOKEN_INVALID", format!("the bearer token is invalid: {why}"))
}

fn map_jwt_error(err: jsonwebtoken::errors::Error) -> ApiError {
    let why = match err.kind() {
        ErrorKind::ExpiredSignature => {
            return ApiError::unauthenticated("TOKEN_EXPIRED", "the bearer token has expired; get a new one");
        }
        ErrorKind::InvalidSignature => "bad signature".to_owned(),
        ErrorKind::InvalidAlgorithm => "signing algorithm not accepted".to_owned(),
        ErrorKind::InvalidAudience => "wrong audience".to_owned(),
        ErrorKind::InvalidIssuer => "wrong issuer".to_owned(),
        ErrorKind::ImmatureSignature => "not valid yet".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim {claim}"),
        _ => "malformed token".to_owned(),
    };
    tracing::debug!(error = ?err.kind(), "rejected a bearer token");
    invalid(&why)
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
