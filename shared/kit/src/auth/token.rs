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
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::auth::secret::tests::TestDir;

    const HOUR: Duration = Duration::from_secs(3600);

    // Test-only key pairs (generated with openssl for these tests; never used elsewhere).
    const ED_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILK894sG+zjCnynuK3d9NMTGwpQlgENCFY0SIDy6jzxe
-----END PRIVATE KEY-----
";
    const ED_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEArBZWlzKAXBoksQs0yqgigLYphHKI2BgICSjsWV+TiHM=
-----END PUBLIC KEY-----
";
    const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3/XDwLcwFzJ0RkOq
Q8OEEoUVbQhdcuQ7WKAJZDHH5XyhRANCAARV4EvjHPXh8NiicNGPYUJvBHyd22MW
Q82CmJjHdN4DfZjYo6RlpbhxkuZpu3S5w2uMfHwLViQiggSRlfCC1Mwo
-----END PRIVATE KEY-----
";
    const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVeBL4xz14fDYonDRj2FCbwR8ndtj
FkPNgpiYx3TeA32Y2KOkZaW4cZLmabt0ucNrjHx8C1YkIoIEkZXwgtTMKA==
-----END PUBLIC KEY-----
";

    fn secret(byte: u8) -> SecretKey {
        SecretKey::from_bytes(vec![byte; 32]).expect("secret")
    }

    fn pair(byte: u8) -> (TokenIssuer, TokenVerifier) {
        let key = secret(byte);
        let issuer = TokenIssuer::new(&key).expect("issuer");
        let verifier = TokenVerifier::from_secret(&key, &AuthConfig::default()).expect("verifier");
        (issuer, verifier)
    }

    fn claims_now(exp_in: i64) -> Claims {
        let now = unix_seconds(SystemTime::now());
        Claims {
            sub: "rm-1".into(),
            role: Role::RelationshipManager,
            portfolio: None,
            aud: "crm".into(),
            iss: "crm".into(),
            iat: now,
            exp: now.saturating_add_signed(exp_in),
            jti: "j".into(),
        }
    }

    fn assert_rejected(result: Result<Principal, ApiError>, reason: &str) {
        let err = result.expect_err("token must be rejected");
        assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err}");
        assert_eq!(err.reason(), reason, "{err}");
    }

    #[test]
    fn minted_token_verifies_to_the_same_principal() {
        let (issuer, verifier) = pair(1);
        let token = issuer.mint("rm-42", Role::RelationshipManager, Some("book-7"), HOUR).expect("mint");
        let principal = verifier.verify(&token).expect("verify");
        assert_eq!(principal.subject, "rm-42");
        assert_eq!(principal.role, Role::RelationshipManager);
        assert_eq!(principal.portfolio.as_deref(), Some("book-7"));

        let claims = jsonwebtoken::dangerous::insecure_decode::<Claims>(&token).expect("claims").claims;
        assert_eq!(claims.aud, "crm");
        assert_eq!(claims.iss, "crm");
        assert!(claims.exp > claims.iat);
        assert!(uuid::Uuid::parse_str(&claims.jti).is_ok());

        let admin = issuer.mint("ops", Role::Admin, None, HOUR).expect("mint");
        let principal = verifier.verify(&admin).expect("verify");
        assert_eq!(principal.role, Role::Admin);
        assert!(principal.portfolio.is_none());
    }

    #[test]
    fn expired_token_is_rejected_as_expired() {
        let (issuer, verifier) = pair(1);
        let past = SystemTime::now() - HOUR;
        let token = issuer.mint_with_expiry("rm-1", Role::RiskAnalyst, None, past).expect("mint");
        assert_rejected(verifier.verify(&token), "TOKEN_EXPIRED");
    }

    #[test]
    fn leeway_accepts_slightly_expired_tokens() {
        let (issuer, verifier) = pair(1);
        let just_now = SystemTime::now() - Duration::from_secs(5);
        let token = issuer.mint_with_expiry("rm-1", Role::RiskAnalyst, None, just_now).expect("mint");
        assert!(verifier.verify(&token).is_ok());
    }

    #[test]
    fn wrong_audience_is_invalid() {
        let (issuer, verifier) = pair(1);
        let token = issuer.clone().with_audience("payments").mint("rm-1", Role::Channel, None, HOUR).expect("mint");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
    }

    #[test]
    fn missing_audience_or_expiry_is_invalid() {
        let key = secret(1);
        let (_, verifier) = pair(1);
        let enc = EncodingKey::from_secret(key.expose()).expect("key");
        let no_aud = serde_json::json!({"sub": "x", "role": "ADMIN", "exp": claims_now(600).exp});
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &no_aud, &enc).expect("enc");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
        let no_exp = serde_json::json!({"sub": "x", "role": "ADMIN", "aud": "crm"});
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &no_exp, &enc).expect("enc");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
    }

    fn signed(claims: &serde_json::Value) -> String {
        let enc = EncodingKey::from_secret(secret(1).expose()).expect("key");
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &enc).expect("enc")
    }

    #[test]
    fn another_issuer_a_missing_issue_time_or_a_long_life_is_invalid() {
        let (_, verifier) = pair(1);
        let mut other = serde_json::to_value(claims_now(600)).expect("json");
        other["iss"] = "someone-else".into();
        assert_rejected(verifier.verify(&signed(&other)), "TOKEN_INVALID");
        let mut no_iat = serde_json::to_value(claims_now(600)).expect("json");
        no_iat.as_object_mut().expect("object").remove("iat");
        assert_rejected(verifier.verify(&signed(&no_iat)), "TOKEN_INVALID");
        let max = AuthConfig::default().max_lifetime_seconds;
        let long = serde_json::to_value(claims_now(i64::try_from(max).expect("fits") + 60)).expect("json");
        assert_rejected(verifier.verify(&signed(&long)), "TOKEN_INVALID");
        let fine = serde_json::to_value(claims_now(i64::try_from(max).expect("fits") - 60)).expect("json");
        assert!(verifier.verify(&signed(&fine)).is_ok());
    }

    #[test]
    fn a_role_in_other_letter_case_is_invalid() {
        let (_, verifier) = pair(1);
        let mut claims = serde_json::to_value(claims_now(600)).expect("json");
        claims["role"] = "admin".into();
        assert_rejected(verifier.verify(&signed(&claims)), "TOKEN_INVALID");
    }

    #[test]
    fn unknown_role_is_invalid() {
        let key = secret(1);
        let (_, verifier) = pair(1);
        let enc = EncodingKey::from_secret(key.expose()).expect("key");
        let mut claims = serde_json::to_value(claims_now(600)).expect("json");
        claims["role"] = "ROOT".into();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &enc).expect("enc");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
    }

    #[test]
    fn token_signed_with_another_secret_is_invalid() {
        let (other_issuer, _) = pair(2);
        let (_, verifier) = pair(1);
        let token = other_issuer.mint("rm-1", Role::Admin, None, HOUR).expect("mint");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
    }

    #[test]
    fn tampered_payload_is_invalid() {
        let (issuer, verifier) = pair(1);
        let token = issuer.mint("agent-1", Role::ContactCentreAgent, None, HOUR).expect("mint");
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        claims["role"] = "ADMIN".into();
        let forged =
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json")), parts[2]);
        assert_rejected(verifier.verify(&forged), "TOKEN_INVALID");
    }

    #[test]
    fn alg_none_is_rejected() {
        let (_, verifier) = pair(1);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims_now(600)).expect("json"));
        assert_rejected(verifier.verify(&format!("{header}.{claims}.")), "TOKEN_INVALID");
        assert_rejected(verifier.verify(&format!("{header}.{claims}")), "TOKEN_INVALID");
    }

    #[test]
    fn other_hmac_algorithm_is_rejected_even_with_the_right_secret() {
        let key = secret(1);
        let (_, verifier) = pair(1);
        let enc = EncodingKey::from_secret(key.expose()).expect("key");
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims_now(600), &enc).expect("enc");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims_now(600), &enc).expect("enc");
        assert!(verifier.verify(&token).is_ok(), "control: HS256 with the same key passes");
    }

    #[test]
    fn garbage_is_invalid() {
        let (_, verifier) = pair(1);
        for token in ["", "abc", "a.b.c", "....", "eyJ.eyJ.sig"] {
            assert_rejected(verifier.verify(token), "TOKEN_INVALID");
        }
    }

    #[test]
    fn metadata_without_bearer_token_is_token_missing() {
        let (issuer, verifier) = pair(1);
        let mut md = tonic::metadata::MetadataMap::new();
        assert_rejected(verifier.verify_metadata(&md), "TOKEN_MISSING");
        md.insert("authorization", "Basic dXNlcjpwYXNz".parse().expect("value"));
        assert_rejected(verifier.verify_metadata(&md), "TOKEN_MISSING");
        md.insert("authorization", "Bearer".parse().expect("value"));
        assert_rejected(verifier.verify_metadata(&md), "TOKEN_MISSING");
        md.insert("authorization", "Bearer ".parse().expect("value"));
        assert_rejected(verifier.verify_metadata(&md), "TOKEN_MISSING");

        let token = issuer.mint("rm-1", Role::KeyAccountManager, None, HOUR).expect("mint");
        md.insert("authorization", format!("bearer {token}").parse().expect("value"));
        assert_eq!(verifier.verify_metadata(&md).expect("verify").role, Role::KeyAccountManager);
        md.insert("authorization", "Bearer not-a-jwt".parse().expect("value"));
        assert_rejected(verifier.verify_metadata(&md), "TOKEN_INVALID");
    }

    #[test]
    fn from_config_hs256_reads_the_secret_file() {
        let dir = TestDir::new("auth-hs256");
        let key = crate::auth::load_or_create_secret(&dir.0).expect("secret");
        let cfg = AuthConfig { key_file: Some(dir.0.join(crate::auth::SECRET_FILE_NAME)), ..AuthConfig::default() };
        let verifier = TokenVerifier::from_config(&cfg).expect("verifier");
        let token = TokenIssuer::new(&key).expect("issuer").mint("rm-1", Role::Admin, None, HOUR).expect("mint");
        assert!(verifier.verify(&token).is_ok());
        assert!(TokenVerifier::from_config(&AuthConfig::default()).is_err(), "key_file required");
    }

    fn asymmetric_verifier(dir: &TestDir, algorithm: &str, public_pem: &str) -> TokenVerifier {
        let path = dir.0.join(format!("{algorithm}.pub.pem"));
        std::fs::create_dir_all(&dir.0).expect("dir");
        std::fs::write(&path, public_pem).expect("write");
        let cfg = AuthConfig { algorithm: algorithm.into(), key_file: Some(path), ..AuthConfig::default() };
        TokenVerifier::from_config(&cfg).expect("verifier")
    }

    #[test]
    fn from_config_eddsa_and_es256_verify_public_key_tokens() {
        let dir = TestDir::new("auth-asym");
        let cases = [
            ("EdDSA", Algorithm::EdDSA, EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()), ED_PUBLIC),
            ("ES256", Algorithm::ES256, EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()), EC_PUBLIC),
        ];
        for (name, alg, enc, public) in cases {
            let enc = enc.expect("private key");
            let verifier = asymmetric_verifier(&dir, name, public);
            assert_eq!(verifier.algorithm(), alg);
            let token = jsonwebtoken::encode(&Header::new(alg), &claims_now(600), &enc).expect("enc");
            let principal = verifier.verify(&token).expect("verify");
            assert_eq!(principal.subject, "rm-1");
            let expired = jsonwebtoken::encode(&Header::new(alg), &claims_now(-3600), &enc).expect("enc");
            assert_rejected(verifier.verify(&expired), "TOKEN_EXPIRED");
        }
    }

    #[test]
    fn hs256_token_keyed_with_the_public_key_is_rejected() {
        // Classic key confusion: an attacker signs HS256 using the public key as the secret.
        let dir = TestDir::new("auth-confusion");
        let verifier = asymmetric_verifier(&dir, "EdDSA", ED_PUBLIC);
        let enc = EncodingKey::from_secret(ED_PUBLIC.as_bytes()).expect("key");
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims_now(600), &enc).expect("enc");
        assert_rejected(verifier.verify(&token), "TOKEN_INVALID");
    }

    #[test]
    fn config_rejects_unsupported_algorithms_and_mismatched_secrets() {
        let cfg = AuthConfig { algorithm: "HS512".into(), ..AuthConfig::default() };
        let err = TokenVerifier::from_secret(&secret(1), &cfg).expect_err("unsupported");
        assert!(err.to_string().contains("EdDSA"), "{err}");
        let cfg = AuthConfig { algorithm: "RS256".into(), ..AuthConfig::default() };
        assert!(TokenVerifier::from_secret(&secret(1), &cfg).is_err());
        assert!(
            TokenVerifier::from_secret(&secret(1), &AuthConfig { algorithm: "hs256".into(), ..AuthConfig::default() })
                .is_ok()
        );
    }

    #[test]
    fn auth_config_defaults_and_partial_deserialization() {
        let cfg = AuthConfig::default();
        assert_eq!(cfg.algorithm, "HS256");
        assert_eq!(cfg.audience, "crm");
        assert_eq!(cfg.leeway_seconds, 30);
        assert!(cfg.key_file.is_none());
        let cfg: AuthConfig =
            serde_json::from_str(r#"{"algorithm":"EdDSA","key_file":"/etc/crm/jwt.pub"}"#).expect("json");
        assert_eq!(cfg.algorithm, "EdDSA");
        assert_eq!(cfg.audience, "crm");
        assert_eq!(cfg.leeway_seconds, 30);
    }

    #[test]
    fn debug_output_never_contains_key_material() {
        let key = SecretKey::from_bytes(b"0123456789abcdef0123456789abcdef".to_vec()).expect("key");
        let issuer = TokenIssuer::new(&key).expect("issuer");
        let verifier = TokenVerifier::from_secret(&key, &AuthConfig::default()).expect("verifier");
        for text in [format!("{issuer:?}"), format!("{verifier:?}"), format!("{key:?}")] {
            assert!(!text.contains("0123456789abcdef"), "{text}");
            assert!(!text.contains("MDEyMzQ1"), "{text}");
        }
    }
}
