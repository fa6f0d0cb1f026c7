//! The deployment files agree with the code: the Kubernetes `crm.toml` loads under the strict
//! configuration, every `CRM__...` variable the manifests and the compose file set names a
//! real configuration key, and the ports and probe paths they name are the ones the
//! configuration serves.

use std::collections::BTreeSet;

use crm_kit::config::Config;

const K8S_CONFIG: &str = include_str!("../../../deploy/k8s/crm.toml");
const COMPOSE: &str = include_str!("../../../deploy/compose.yaml");
const SERVICE_DEPLOYMENT: &str = include_str!("../../../deploy/k8s/components/grpc-service/deployment.yaml");
const GATEWAY: &str = include_str!("../../../deploy/k8s/gateway.yaml");
const MIGRATE_JOB: &str = include_str!("../../../deploy/k8s/migrate-job.yaml");
const KUSTOMIZATION: &str = include_str!("../../../deploy/k8s/kustomization.yaml");
const PEER_TOKEN: &str = include_str!("../../../deploy/k8s/components/peer-token/kustomization.yaml");
const POLICIES: &str = include_str!("../../../deploy/k8s/network-policies.yaml");
const VALUES: [(&str, &str); 4] = [
    ("profile", include_str!("../../../deploy/k8s/services/profile/values.yaml")),
    ("segmentation", include_str!("../../../deploy/k8s/services/segmentation/values.yaml")),
    ("scoring", include_str!("../../../deploy/k8s/services/scoring/values.yaml")),
    ("interaction", include_str!("../../../deploy/k8s/services/interaction/values.yaml")),
];

fn k8s_config() -> Config {
    let dir = std::env::temp_dir().join(format!("crm-manifests-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("crm.toml");
    std::fs::write(&file, K8S_CONFIG).expect("write");
    let config = Config::load(Some(&file)).unwrap_or_else(|err| panic!("deploy/k8s/crm.toml: {err:#}"));
    let _ = std::fs::remove_dir_all(dir);
    config
}

/// Every `CRM__A__B` in `text` (placeholders `CRM__SERVICE__` and `CRM__SECTION__` aside).
fn env_keys(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("CRM__") {
        let tail = &rest[at..];
        let end =
            tail.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        let key = &tail[..end];
        if key.len() > 5 && !key.starts_with("CRM__SERVICE__") && !key.starts_with("CRM__SECTION__") {
            keys.insert(key.to_owned());
        }
        rest = &tail[end..];
    }
    keys
}

/// Whether `CRM__A__B_C` is a key of the configuration (`a.b_c` in its serialized form).
fn is_config_key(config: &serde_json::Value, key: &str) -> bool {
    let path = key.trim_start_matches("CRM__").to_ascii_lowercase();
    let mut node = config;
    for segment in path.split("__") {
        match node.get(segment) {
            Some(next) => node = next,
            // Optional keys are absent when unset: the struct's field list decides.
            None => return node.is_object() && OPTIONAL.contains(&segment),
        }
    }
    true
}

/// Keys that serialize as absent when unset.
const OPTIONAL: [&str; 5] = ["otlp_endpoint", "key_file", "service_token_file", "listen", "checkpoint_dir"];

#[test]
fn the_kubernetes_config_loads_strictly_and_serves_what_the_manifests_probe() {
    let config = k8s_config();
    let metrics = config.metrics.listen.as_ref().expect("[metrics] listen is set for the pods");
    let port = metrics.port();
    assert!(SERVICE_DEPLOYMENT.contains(&format!("containerPort: {port}")), "the metrics port is declared");
    assert!(SERVICE_DEPLOYMENT.contains(&format!("prometheus.io/port: \"{port}\"")), "and scraped");
    assert!(SERVICE_DEPLOYMENT.contains("path: /livez") && GATEWAY.contains("path: /livez"), "liveness is /livez");
    assert!(POLICIES.matches(&format!("port: {port}")).count() >= 4, "every service admits the scraper");
    let gateway_port = config.gateway.listen.port();
    assert!(GATEWAY.contains(&format!("containerPort: {gateway_port}")));
    assert!(POLICIES.contains(&format!("port: {gateway_port}")));
    assert!(config.nats.enabled() && config.nats.relay, "the pods relay their feeds");
    assert!(config.nats.follow, "and follow each other through the stream");
    for (name, values) in VALUES {
        let service = match name {
            "profile" => &config.profile,
            "segmentation" => &config.segmentation,
            "scoring" => &config.scoring,
            _ => &config.interaction,
        };
        let port = service.listen.port();
        assert!(values.contains(&format!("port: {port} ")), "{name}: values.yaml port is the listen port {port}");
        assert_eq!(service.url, format!("http://crm-{name}:{port}"), "{name}: peers reach its Service");
        let backend = &config.gateway.backends[name];
        assert_eq!(backend.url, service.url, "the gateway routes {name} to its Service");
        assert!(POLICIES.contains(&format!("port: {port}, protocol: TCP")), "{name}: a policy admits its port");
        assert!(values.contains(&format!("CRM__{}__DATABASE_URL", name.to_ascii_uppercase())));
    }
}

#[test]
fn every_environment_variable_the_deployments_set_is_a_configuration_key() {
    let config = serde_json::to_value(Config::default()).expect("serializable");
    let sources = [
        ("compose.yaml", COMPOSE),
        ("peer-token", PEER_TOKEN),
        ("grpc-service", SERVICE_DEPLOYMENT),
        ("migrate-job.yaml", MIGRATE_JOB),
    ];
    let mut checked = 0;
    for (file, text) in sources.into_iter().chain(VALUES) {
        for key in env_keys(text) {
            assert!(is_config_key(&config, &key), "{file} sets {key}, which no configuration key reads");
            checked += 1;
        }
    }
    assert!(checked >= 6, "found {checked} variables");
    assert!(!is_config_key(&config, "CRM__FEED__NATS_URL"), "an unknown key is caught");
}

#[test]
fn the_migration_job_runs_crm_migrate_on_every_service_database() {
    assert!(KUSTOMIZATION.contains("- migrate-job.yaml"), "the kustomization includes the Job");
    assert!(MIGRATE_JOB.contains("kind: Job") && MIGRATE_JOB.contains("apiVersion: batch/v1"));
    // The command it names is the CLI's (`crm migrate`, no further arguments).
    use clap::Parser;
    let parsed = crate::cli::Cli::try_parse_from(["crm", "migrate"]).expect("`crm migrate` parses");
    assert!(matches!(parsed.command, crate::cli::Command::Migrate));
    assert!(MIGRATE_JOB.contains(r#"args: ["migrate"]"#));
    // Same config mount and working directory as the services, so it reads the same crm.toml.
    for line in ["workingDir: /etc/crm", "mountPath: /etc/crm/crm.toml", "name: crm-config", "mountPath: /data"] {
        assert!(MIGRATE_JOB.contains(line) && SERVICE_DEPLOYMENT.contains(line), "both have `{line}`");
    }
    // Every service's database from that service's own Secret: a missing URL would migrate a
    // throwaway SQLite file under data_dir instead.
    for (name, _) in VALUES {
        let env = format!("name: CRM__{}__DATABASE_URL", name.to_ascii_uppercase());
        let at = MIGRATE_JOB.find(&env).unwrap_or_else(|| panic!("the Job sets {env}"));
        let secret = format!("name: crm-{name}, key: database-url");
        assert!(MIGRATE_JOB[at..].lines().take(3).any(|line| line.contains(&secret)), "{env} from {secret}");
    }
    assert!(MIGRATE_JOB.contains("requests:") && MIGRATE_JOB.contains("cpu:"), "it has resource requests");
}
