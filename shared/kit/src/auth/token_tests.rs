//! Tests of token minting and verification.

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
    let cfg: AuthConfig = serde_json::from_str(r#"{"algorithm":"EdDSA","key_file":"/etc/crm/jwt.pub"}"#).expect("json");
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
