//! Layered configuration: built-in defaults < `crm.toml` < `CRM__...` environment < flags.
//!
//! Environment keys are nested with double underscores, e.g.
//! `CRM__PROFILE__DATABASE_URL=postgres://...` or `CRM__TELEMETRY__OTLP_ENDPOINT=...`.
//! Database URLs may hold passwords: `Debug` output redacts them.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::{auth::AuthConfig, db::DbConfig, telemetry::TelemetryConfig};

/// The whole suite's configuration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where embedded databases and the dev signing key live.
    pub data_dir: PathBuf,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// Token verification.
    pub auth: AuthConfig,
    /// The audit trail's key and checkpoints.
    pub audit: AuditConfig,
    /// Who receives clear values from the change feeds.
    pub feeds: FeedConfig,
    /// The key that seals sensitive values at rest.
    pub encryption: EncryptionConfig,
    /// Request limits applied by every service.
    pub limits: Limits,
    /// ISO 3166-1 alpha-2 region in which the profile service reads a phone number written
    /// without its country code when the call names no region (a contact's own number is
    /// read in its client's country). Default `CN`.
    pub phone_region: String,
    /// Where a process serves `/metrics`, `/livez` and `/readyz` besides the gateway's port.
    pub metrics: MetricsConfig,
    /// The change-feed relay to NATS JetStream, and following through it.
    pub nats: crate::relay::NatsConfig,
    /// `[profile]`: the client profile service (default `127.0.0.1:50051`).
    pub profile: ServiceConfig,
    /// `[segmentation]` (default `127.0.0.1:50052`).
    pub segmentation: ServiceConfig,
    /// `[scoring]`: the value scoring service (default `127.0.0.1:50053`).
    pub scoring: ServiceConfig,
    /// `[interaction]`: the interaction and channels service (default `127.0.0.1:50054`).
    pub interaction: ServiceConfig,
    /// The gateway (gRPC, gRPC-Web and REST front door).
    pub gateway: GatewayConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./crm-data"),
            telemetry: TelemetryConfig::default(),
            auth: AuthConfig::default(),
            audit: AuditConfig::default(),
            feeds: FeedConfig::default(),
            encryption: EncryptionConfig::default(),
            limits: Limits::default(),
            phone_region: "CN".to_owned(),
            metrics: MetricsConfig::default(),
            nats: crate::relay::NatsConfig::default(),
            profile: ServiceConfig::on("127.0.0.1:50051"),
            segmentation: ServiceConfig::on("127.0.0.1:50052"),
            scoring: ServiceConfig::on("127.0.0.1:50053"),
            interaction: ServiceConfig::on("127.0.0.1:50054"),
            gateway: GatewayConfig::default(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (or `./crm.toml` if present), then `CRM__` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("crm.toml")),
        }
        figment.merge(Env::prefixed("CRM__").split("__")).extract().map_err(explain)
    }

    /// Database settings of a service; an empty URL means SQLite under `data_dir`. The
    /// audit key is read (created in the data directory when none is configured) and the
    /// trail's checkpoints go to `<checkpoint_dir>/<file_name>.checkpoints`.
    pub fn database(&self, service: &ServiceConfig, file_name: &str) -> anyhow::Result<DbConfig> {
        let url = if service.database_url.is_empty() {
            format!("sqlite:{}", self.data_dir.join(file_name).display())
        } else {
            service.database_url.clone()
        };
        let key_file = self.audit.key_file.clone().unwrap_or_else(|| self.data_dir.join(AUDIT_KEY_FILE));
        let key = if self.audit.key_file.is_some() {
            std::fs::read(&key_file).with_context(|| format!("reading the audit key {}", key_file.display()))?
        } else {
            load_or_create_secret(&key_file, 32)?
        };
        anyhow::ensure!(key.len() >= 32, "the audit key {} is shorter than 32 bytes", key_file.display());
        let checkpoint_dir = self.audit.checkpoint_dir.clone().unwrap_or_else(|| self.data_dir.join("audit"));
        let checkpoints = checkpoint_dir.join(format!("{file_name}.checkpoints"));
        let name = file_name.split('.').next().unwrap_or(file_name).to_owned();
        Ok(DbConfig {
            name,
            url,
            max_connections: service.database_max_connections,
            audit: Some(crate::audit::AuditSeal::new(&key, Some(checkpoints))),
            ..DbConfig::default()
        })
    }
}

/// `[metrics]`: the HTTP port of a process's metrics and probes.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// `host:port` serving `GET /metrics` (Prometheus), `/livez` and `/readyz`, e.g.
    /// `0.0.0.0:9464`. Unset: none besides the gateway's own port, which always serves them
    /// (in `crm up` for the whole process).
    pub listen: Option<ListenAddr>,
}

/// The file of the audit key in the data directory, when no key file is configured.
pub const AUDIT_KEY_FILE: &str = "audit-hmac.key";

/// The audit trail's key, held outside the database, and where its head is checkpointed.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// File with the audit key (at least 32 bytes; a mounted secret in production). Unset:
    /// `audit-hmac.key` in the data directory, created on first start.
    pub key_file: Option<PathBuf>,
    /// Folder of the checkpoint files (one per database); unset: `audit/` in the data
    /// directory. Put it on storage the database's administrators cannot rewrite.
    pub checkpoint_dir: Option<PathBuf>,
}

/// The file of the field-encryption key in the data directory, when none is configured.
pub const FIELD_KEY_FILE: &str = "field-encryption.key";

/// The key that seals sensitive values at rest (tax ids, contact phones and e-mails) and
/// keys their lookup index.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionConfig {
    /// File with 64 bytes of key material (a mounted secret in production; the same for
    /// every replica of the profile service). Unset: `field-encryption.key` in the data
    /// directory, created on first start.
    pub key_file: Option<PathBuf>,
}

impl Config {
    /// The field cipher of this configuration (the data directory's key, created when no
    /// key file is configured).
    pub fn field_cipher(&self) -> anyhow::Result<crate::crypto::FieldCipher> {
        match &self.encryption.key_file {
            Some(path) => crate::crypto::FieldCipher::from_file(path, false),
            None => crate::crypto::FieldCipher::from_file(&self.data_dir.join(FIELD_KEY_FILE), true),
        }
    }
}

/// Who receives clear values from the change feeds. A feed subscription is a bulk read:
/// sensitive values (tax ids, contact phones and e-mails) come masked, as a contact-centre
/// agent sees them, unless the subscriber's role is listed here.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Roles whose subscriptions carry sensitive values in clear (e.g. `["CHANNEL"]` for a
    /// bank's master-data system); none by default.
    pub clear_value_roles: Vec<crate::auth::Role>,
}

impl FeedConfig {
    /// Whether `principal`'s subscriptions carry clear values.
    pub fn grants_clear_values(&self, principal: &crate::auth::Principal) -> bool {
        self.clear_value_roles.contains(&principal.role)
    }
}

/// A listen address, `host:port`: an IP address or a host name (`localhost:50051`), resolved
/// when the service binds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListenAddr {
    host: String,
    port: u16,
}

impl ListenAddr {
    /// The port (0: any free port).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The first address the host resolves to.
    pub async fn resolve(&self) -> anyhow::Result<SocketAddr> {
        let target = self.to_string();
        tokio::net::lookup_host(&target)
            .await
            .with_context(|| format!("resolving listen address {target}"))?
            .next()
            .with_context(|| format!("listen address {target} resolves to nothing"))
    }

    /// `http://host:port` for peers: an unspecified host (`0.0.0.0`, `::`) is reached on
    /// loopback.
    pub fn url(&self) -> String {
        match self.host.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{}", self.port),
            Ok(std::net::IpAddr::V6(ip)) => format!("http://[{ip}]:{}", self.port),
            _ => format!("http://{}:{}", self.host, self.port),
        }
    }
}

impl std::str::FromStr for ListenAddr {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(addr.into());
        }
        let (host, port) = text
            .rsplit_once(':')
            .with_context(|| format!("listen address {text:?} needs a port, as host:port (e.g. localhost:8080)"))?;
        let port = port.parse().with_context(|| format!("listen address {text:?} has no valid port"))?;
        let valid_host = !host.is_empty()
            && host
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        anyhow::ensure!(valid_host, "listen address {text:?} is neither an IP address nor a host name");
        Ok(Self { host: host.to_owned(), port })
    }
}

impl TryFrom<String> for ListenAddr {
    type Error = anyhow::Error;

    fn try_from(text: String) -> anyhow::Result<Self> {
        text.parse()
    }
}

impl From<ListenAddr> for String {
    fn from(addr: ListenAddr) -> Self {
        addr.to_string()
    }
}

impl From<SocketAddr> for ListenAddr {
    fn from(addr: SocketAddr) -> Self {
        Self { host: addr.ip().to_string(), port: addr.port() }
    }
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where one service listens, which database it owns, and where its peers are.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// gRPC listen address, `host:port`.
    pub listen: ListenAddr,
    /// How other services and the gateway reach it, e.g. `http://scoring:50053`; empty means
    /// `http://` plus `listen` (with loopback for an unspecified address).
    pub url: String,
    /// `postgres://...` for scale-out; empty for embedded SQLite in the data dir.
    pub database_url: String,
    /// Maximum database connections (readers on SQLite).
    pub database_max_connections: u32,
}

impl ServiceConfig {
    fn on(addr: &str) -> Self {
        Self {
            listen: addr.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)).into()),
            url: String::new(),
            database_url: String::new(),
            database_max_connections: 8,
        }
    }
}

impl ServiceConfig {
    /// The URL peers use to call this service.
    pub fn peer_url(&self) -> String {
        if self.url.is_empty() { self.listen.url() } else { self.url.clone() }
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self::on("127.0.0.1:0")
    }
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("listen", &self.listen)
            .field("url", &self.url)
            .field("database_url", &redact_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .finish()
    }
}

/// The gateway: where it listens, which backend serves which gRPC service, edge limits.
///
/// A new backend service is one entry, e.g. in `crm.toml`:
/// `[gateway.backends.scoring]` with `url = "http://127.0.0.1:50053"` and
/// `services = ["crm.scoring.v1.ValueScoringService"]`, or in the environment
/// `CRM__GATEWAY__BACKENDS__PROFILE__URL=http://profile:50051`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Listen address (gRPC, gRPC-Web and REST on one port), `host:port`.
    pub listen: ListenAddr,
    /// Backends by short name.
    pub backends: BTreeMap<String, BackendConfig>,
    /// Sustained requests per second per principal (token subject); 0 disables the limit.
    pub rate_limit_per_second: u32,
    /// Burst a principal may spend at once above the sustained rate.
    pub rate_limit_burst: u32,
    /// Most requests handled at once by the gateway (the limit adapts below it to the latency
    /// calls see); more wait briefly or are shed (RESOURCE_EXHAUSTED / 429).
    pub max_concurrent_requests: usize,
    /// Requests that may wait for a place when all are taken; beyond, shed at once.
    pub admission_queue: usize,
    /// Longest a request waits for a place, milliseconds (the wait is 1.5 times the unloaded
    /// latency, up to this).
    pub admission_wait_ms: u64,
    /// Largest request body accepted, bytes (REST JSON bodies and gRPC streams alike).
    pub max_request_bytes: usize,
    /// Deadline of each part of a client 360 view, milliseconds (the caller's wins if shorter).
    pub part_timeout_ms: u64,
    /// Origins allowed by CORS (browsers, gRPC-Web); empty allows any origin.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        let backend = |port: u16, service: &str| BackendConfig {
            url: format!("http://127.0.0.1:{port}"),
            services: vec![service.to_owned()],
        };
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)).into(),
            backends: BTreeMap::from([
                ("profile".to_owned(), backend(50051, "crm.profile.v1.ClientProfileService")),
                ("segmentation".to_owned(), backend(50052, "crm.segmentation.v1.SegmentationService")),
                ("scoring".to_owned(), backend(50053, "crm.scoring.v1.ValueScoringService")),
                ("interaction".to_owned(), backend(50054, "crm.interaction.v1.InteractionService")),
            ]),
            rate_limit_per_second: 200,
            rate_limit_burst: 400,
            max_concurrent_requests: 1024,
            admission_queue: 64,
            admission_wait_ms: 50,
            max_request_bytes: 4 * 1024 * 1024,
            part_timeout_ms: 2_000,
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// One backend of the gateway: its address and the gRPC services it serves.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    /// `http://host:port` of the backend.
    pub url: String,
    /// Fully qualified gRPC service names routed to it.
    pub services: Vec<String>,
}

/// Request limits every service enforces.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request or response message, bytes.
    pub max_message_bytes: usize,
    /// Most calls served at once per service (the limit adapts below it to the latency calls
    /// see); more wait briefly or are shed with RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    /// Calls that may wait for a slot when all are taken; beyond, calls are shed at once.
    pub admission_queue: usize,
    /// Longest a call waits for a slot, milliseconds (the wait is 1.5 times the unloaded latency,
    /// up to this).
    pub admission_wait_ms: u64,
    /// Upper bound on any unary call, milliseconds (a shorter client deadline wins).
    pub request_timeout_ms: u64,
    /// Longest CEL filter accepted, characters.
    pub max_filter_length: usize,
    /// After a shutdown signal, how long in-flight calls may finish before connections close.
    pub drain_timeout_ms: u64,
    /// Server streams (WatchChanges, StreamTimeline) open at once per service.
    pub max_open_streams: usize,
    /// Server streams one principal may hold open at once per service.
    pub max_open_streams_per_principal: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            max_concurrent_requests: 64,
            admission_queue: 64,
            admission_wait_ms: 50,
            request_timeout_ms: 30_000,
            max_filter_length: 2_048,
            drain_timeout_ms: 10_000,
            max_open_streams: 2_000,
            max_open_streams_per_principal: 20,
        }
    }
}

/// A configuration error a person can act on: an unknown key names where it came from and
/// the closest valid key.
fn explain(err: figment::Error) -> anyhow::Error {
    let figment::error::Kind::UnknownField(field, expected) = &err.kind else {
        return anyhow::anyhow!("invalid configuration: {err}");
    };
    let key = err.path.join(".");
    let from_env = err.metadata.as_ref().is_some_and(|meta| meta.name.contains("environment"));
    let source = match &err.metadata {
        _ if from_env => format!(" (environment variable CRM__{})", err.path.join("__").to_uppercase()),
        Some(meta) => meta.source.as_ref().map(|s| format!(" (in {s})")).unwrap_or_default(),
        None => String::new(),
    };
    let parent = err.path.iter().take(err.path.len().saturating_sub(1)).map(|p| format!("{p}.")).collect::<String>();
    let hint = match expected.iter().min_by_key(|candidate| edit_distance(field, candidate)) {
        Some(best) if edit_distance(field, best) <= field.len().max(3) / 2 => {
            format!("; did you mean `{parent}{best}`?")
        }
        _ if !expected.is_empty() => format!("; valid keys here: {}", expected.join(", ")),
        _ => String::new(),
    };
    anyhow::anyhow!("unknown configuration key `{key}`{source}{hint}")
}

/// Levenshtein distance between two keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Replaces the password of a URL with `****`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

/// Reads a binary secret from `path`, creating it with `len` random bytes (mode 0600) if absent.
pub fn load_or_create_secret(path: &Path, len: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    if let Ok(bytes) = std::fs::read(path) {
        anyhow::ensure!(bytes.len() >= 32, "secret file {} is too short", path.display());
        return Ok(bytes);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = vec![0u8; len.max(32)];
    rand::fill(&mut bytes[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&bytes)?;
            file.sync_all()?;
            Ok(bytes)
        }
        // Another process created it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(std::fs::read(path)?),
        Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/crm"), "postgres://app:****@db:5432/crm");
        assert_eq!(redact_url("postgres://app@db/crm"), "postgres://app@db/crm");
        let cfg = ServiceConfig { database_url: "postgres://a:pw@h/d".into(), ..ServiceConfig::default() };
        assert!(!format!("{cfg:?}").contains("pw"));
    }

    #[test]
    fn environment_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRM__PROFILE__DATABASE_URL", "postgres://u@h/db");
            jail.set_env("CRM__LIMITS__MAX_CONCURRENT_REQUESTS", "7");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(cfg.profile.database_url, "postgres://u@h/db");
            assert_eq!(cfg.limits.max_concurrent_requests, 7);
            assert_eq!(cfg.profile.listen.port(), 50051);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_closest_valid_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRM__GATEWAY__LISTN", "0.0.0.0:9000");
            let err = Config::load(None).expect_err("misspelt").to_string();
            assert!(err.contains("gateway.listn"), "{err}");
            assert!(err.contains("CRM__GATEWAY__LISTN"), "{err}");
            assert!(err.contains("did you mean `gateway.listen`"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file("crm.toml", "[limits]\nmax_mesage_bytes = 10\n")?;
            let err = Config::load(None).expect_err("misspelt").to_string();
            assert!(err.contains("limits.max_mesage_bytes") && err.contains("crm.toml"), "{err}");
            assert!(err.contains("`limits.max_message_bytes`"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn only_listed_roles_get_clear_feed_values() {
        use crate::auth::{Principal, Role};
        figment::Jail::expect_with(|jail| {
            jail.create_file("crm.toml", "[feeds]\nclear_value_roles = [\"CHANNEL\"]\n")?;
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            let channel = Principal { subject: "mdm".into(), role: Role::Channel, portfolio: None };
            assert!(cfg.feeds.grants_clear_values(&channel));
            assert!(!cfg.feeds.grants_clear_values(&Principal::system("ops")), "ADMIN is not listed");
            assert!(!FeedConfig::default().grants_clear_values(&channel), "none by default");
            Ok(())
        });
    }

    #[test]
    fn listen_addresses_take_host_names() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRM__GATEWAY__LISTEN", "localhost:9000");
            jail.set_env("CRM__PROFILE__LISTEN", "0.0.0.0:50051");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(cfg.gateway.listen.to_string(), "localhost:9000");
            assert_eq!(cfg.profile.peer_url(), "http://127.0.0.1:50051");
            jail.set_env("CRM__GATEWAY__LISTEN", "localhost");
            assert!(Config::load(None).expect_err("no port").to_string().contains("port"));
            Ok(())
        });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let addr: ListenAddr = "localhost:0".parse().expect("host name");
        assert!(rt.block_on(addr.resolve()).expect("resolves").ip().is_loopback());
    }

    #[test]
    fn gateway_backends_come_from_config() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRM__GATEWAY__BACKENDS__PROFILE__URL", "http://profile:50051");
            jail.set_env("CRM__GATEWAY__RATE_LIMIT_PER_SECOND", "5");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            let profile = &cfg.gateway.backends["profile"];
            assert_eq!(profile.url, "http://profile:50051");
            assert_eq!(profile.services, ["crm.profile.v1.ClientProfileService"]);
            assert_eq!(cfg.gateway.rate_limit_per_second, 5);
            assert_eq!(cfg.gateway.listen.port(), 8080);
            Ok(())
        });
    }

    #[test]
    fn secret_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("crm-secret-{}", uuid::Uuid::new_v4()));
        let path = dir.join("k.key");
        let first = load_or_create_secret(&path, 32).expect("create");
        let second = load_or_create_secret(&path, 32).expect("reuse");
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
