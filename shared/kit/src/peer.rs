//! Calls from one suite service to another: a lazily connected channel per peer, and the
//! calling service's own bearer token, sent with the W3C trace context of the calling span.
//!
//! In embedded mode a service mints its own short-lived CHANNEL token (subject
//! `svc:<name>`) with the data directory's signing key; in production it presents the token
//! file configured as `auth.service_token_file`, re-read when it is refreshed.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::Interceptor,
    transport::{Channel, Endpoint},
};

use crate::auth::{Role, SERVICE_SUBJECT_PREFIX, SecretKey, TokenIssuer};

/// How long a minted service token lives; it is renewed at half its life.
const MINTED_TTL: Duration = Duration::from_secs(3600);
/// How often a configured token file is re-read.
const FILE_REFRESH: Duration = Duration::from_secs(60);

enum Source {
    Minted { issuer: TokenIssuer, subject: String },
    File(PathBuf),
}

struct Cached {
    value: MetadataValue<Ascii>,
    renew_at: Instant,
}

/// The token a service presents to its peers (as an interceptor, it also passes on the
/// current span's trace context). Cheap to clone; `Debug` never shows it.
#[derive(Clone)]
pub struct PeerAuth {
    source: Arc<Source>,
    cached: Arc<Mutex<Option<Cached>>>,
}

impl std::fmt::Debug for PeerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PeerAuth(**redacted**)")
    }
}

impl PeerAuth {
    /// Mints CHANNEL tokens for `svc:<service>` with the embedded signing key.
    pub fn minted(secret: &SecretKey, service: &str) -> anyhow::Result<Self> {
        let issuer = TokenIssuer::new(secret)?;
        Ok(Self::from_source(Source::Minted { issuer, subject: format!("{SERVICE_SUBJECT_PREFIX}{service}") }))
    }

    /// Presents the bare JWT stored in `path` (re-read every minute).
    pub fn from_file(path: PathBuf) -> Self {
        Self::from_source(Source::File(path))
    }

    fn from_source(source: Source) -> Self {
        Self { source: Arc::new(source), cached: Arc::new(Mutex::new(None)) }
    }

    /// The `authorization` header value, renewed when due.
    pub fn header(&self) -> anyhow::Result<MetadataValue<Ascii>> {
        let mut cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cached.as_ref().filter(|c| c.renew_at > Instant::now()) {
            return Ok(c.value.clone());
        }
        let (token, life) = match self.source.as_ref() {
            Source::Minted { issuer, subject } => {
                (issuer.mint(subject, Role::Channel, None, MINTED_TTL)?, MINTED_TTL / 2)
            }
            Source::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => (text.trim().to_owned(), FILE_REFRESH),
                // Mid-rotation or briefly missing: keep presenting the token read last time.
                Err(err) if cached.is_some() => {
                    tracing::warn!(path = %path.display(), error = %err, "service token not re-read; keeping the last one");
                    let c = cached.as_mut().expect("checked");
                    c.renew_at = Instant::now() + FILE_REFRESH;
                    return Ok(c.value.clone());
                }
                Err(err) => {
                    return Err(anyhow::Error::from(err).context(format!("reading service token {}", path.display())));
                }
            },
        };
        let value: MetadataValue<Ascii> = format!("Bearer {token}").parse().context("service token is not ASCII")?;
        *cached = Some(Cached { value: value.clone(), renew_at: Instant::now() + life });
        Ok(value)
    }
}

impl Interceptor for PeerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let value = self.header().map_err(|e| {
            tracing::error!(error = %e, "no service token for a peer call");
            Status::unauthenticated("this service has no token for its peers")
        })?;
        request.metadata_mut().insert("authorization", value);
        // The suite's own work (jobs, followers, peer reads) would rather wait for a place
        // than be shed: see `server::PRIORITY_HEADER`.
        request
            .metadata_mut()
            .insert(crate::server::PRIORITY_HEADER, MetadataValue::from_static(crate::server::PRIORITY_BATCH));
        // The peer's span joins the trace of the call (or follower batch) that made this one.
        crate::telemetry::inject_current(request.metadata_mut());
        Ok(request)
    }
}

/// A channel to a peer at `url`, connected on first use and reconnected when it drops.
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("peer url {url:?}"))?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    Ok(endpoint.connect_lazy())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, TokenVerifier};

    #[test]
    fn minted_tokens_verify_as_the_service_and_are_reused() {
        let secret = SecretKey::generate().expect("key");
        let auth = PeerAuth::minted(&secret, "scoring").expect("auth");
        let first = auth.header().expect("header");
        assert_eq!(first, auth.header().expect("again"), "a token is reused until half its life");
        let token = first.to_str().expect("ascii").strip_prefix("Bearer ").expect("bearer").to_owned();
        let verifier = TokenVerifier::from_secret(&secret, &AuthConfig::default()).expect("verifier");
        let principal = verifier.verify(&token).expect("valid");
        assert_eq!(principal.subject, "svc:scoring");
        assert_eq!(principal.role, Role::Channel);
        assert!(principal.is_suite_service());
        assert!(!format!("{auth:?}").contains(&token));
    }

    #[test]
    fn a_token_file_gone_mid_rotation_keeps_the_last_token() {
        let dir = std::env::temp_dir().join(format!("crm-peer-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("token");
        std::fs::write(&path, "abc.def.ghi\n").expect("write");
        let auth = PeerAuth::from_file(path.clone());
        let first = auth.header().expect("read");
        assert_eq!(first.to_str().expect("ascii"), "Bearer abc.def.ghi");
        std::fs::remove_file(&path).expect("remove");
        if let Some(c) = auth.cached.lock().expect("lock").as_mut() {
            c.renew_at = Instant::now();
        }
        assert_eq!(auth.header().expect("kept"), first);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_token_file_is_an_error_not_an_empty_header() {
        let auth = PeerAuth::from_file(PathBuf::from("/nonexistent/crm/token"));
        assert!(auth.header().is_err());
    }
}
