//! tonic and plain-`http` integration of [`TokenVerifier`].

use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::{AUTH_DOMAIN, Principal, TokenVerifier};
use crate::error::ApiError;

/// A tonic interceptor that verifies the bearer token and stores the [`Principal`] in the
/// request extensions. Failures become UNAUTHENTICATED statuses with `ErrorInfo` in the
/// `crm.auth` domain. Made by [`interceptor`]; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthInterceptor {
    verifier: TokenVerifier,
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let principal =
            self.verifier.verify_metadata(request.metadata()).map_err(|err| err.into_status(AUTH_DOMAIN))?;
        request.extensions_mut().insert(principal);
        Ok(request)
    }
}

/// The authentication interceptor for a tonic service, e.g.
/// `FooServiceServer::with_interceptor(svc, auth::interceptor(verifier))`. Leave the health
/// service unwrapped: health checks carry no token.
pub fn interceptor(verifier: TokenVerifier) -> AuthInterceptor {
    AuthInterceptor { verifier }
}

/// Client side: adds `authorization: Bearer <token>` to every call (tools, tests, the
/// gateway's own calls). `Debug` never shows the token.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>, bool);

impl Bearer {
    /// A bearer for `token` (a bare JWT).
    pub fn new(token: &str) -> Result<Self, tonic::metadata::errors::InvalidMetadataValue> {
        Ok(Self(format!("Bearer {token}").parse()?, false))
    }

    /// Also marks every call as batch work, which would rather wait for a place than be
    /// shed (`server::PRIORITY_HEADER`): bulk tools such as the demo loader.
    pub fn batch(self) -> Self {
        Self(self.0, true)
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(**redacted**)")
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        if self.1 {
            let batch = tonic::metadata::MetadataValue::from_static(crate::server::PRIORITY_BATCH);
            request.metadata_mut().insert(crate::server::PRIORITY_HEADER, batch);
        }
        Ok(request)
    }
}

/// The caller of an RPC, as stored by [`interceptor`]. UNAUTHENTICATED (`TOKEN_MISSING`) when
/// the request did not pass through the interceptor.
pub fn principal<T>(req: &Request<T>) -> Result<&Principal, Status> {
    req.extensions().get::<Principal>().ok_or_else(|| {
        ApiError::unauthenticated("TOKEN_MISSING", "this call is not authenticated").into_status(AUTH_DOMAIN)
    })
}

/// Verifies the `authorization: Bearer <token>` header of a plain HTTP request (gateway, REST).
pub fn principal_from_headers(verifier: &TokenVerifier, headers: &http::HeaderMap) -> Result<Principal, ApiError> {
    let value = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    verifier.verify_authorization(value)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic_types::StatusExt;

    use super::*;
    use crate::auth::{AuthConfig, Role, SecretKey, TokenIssuer};

    fn setup() -> (TokenIssuer, TokenVerifier) {
        let key = SecretKey::from_bytes(vec![9u8; 32]).expect("key");
        let issuer = TokenIssuer::new(&key).expect("issuer");
        let verifier = TokenVerifier::from_secret(&key, &AuthConfig::default()).expect("verifier");
        (issuer, verifier)
    }

    fn reason(status: &Status) -> String {
        status.get_error_details().error_info().map(|i| i.reason.clone()).unwrap_or_default()
    }

    #[test]
    fn interceptor_inserts_the_principal() {
        let (issuer, verifier) = setup();
        let token = issuer.mint("rm-3", Role::RelationshipManager, Some("p-1"), Duration::from_secs(60)).expect("mint");
        let mut request = Request::new(());
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("value"));
        let mut icpt = interceptor(verifier);
        let request = icpt.call(request).expect("authenticated");
        let who = principal(&request).expect("principal");
        assert_eq!(who.subject, "rm-3");
        assert_eq!(who.portfolio_key(), "p-1");
    }

    #[test]
    fn interceptor_rejects_missing_and_bad_tokens_with_error_info() {
        let (_, verifier) = setup();
        let mut icpt = interceptor(verifier);
        let status = icpt.call(Request::new(())).expect_err("no token");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_MISSING");
        let info = status.get_error_details().error_info().cloned().expect("error info");
        assert_eq!(info.domain, "crm.auth");

        let mut request = Request::new(());
        request.metadata_mut().insert("authorization", "Bearer x.y.z".parse().expect("value"));
        let status = icpt.call(request).expect_err("bad token");
        assert_eq!(reason(&status), "TOKEN_INVALID");
    }

    #[test]
    fn principal_is_unauthenticated_without_the_interceptor() {
        let status = principal(&Request::new(5u32)).expect_err("absent");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_MISSING");
    }

    #[test]
    fn principal_from_http_headers() {
        let (issuer, verifier) = setup();
        let mut headers = http::HeaderMap::new();
        let err = principal_from_headers(&verifier, &headers).expect_err("missing");
        assert_eq!(err.reason(), "TOKEN_MISSING");
        let token = issuer.mint("ch-1", Role::Channel, None, Duration::from_secs(60)).expect("mint");
        headers.insert(http::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("value"));
        let who = principal_from_headers(&verifier, &headers).expect("principal");
        assert_eq!(who.role, Role::Channel);
    }
}
