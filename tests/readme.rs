//! The README's walkthrough, run as written against a demo suite: every `sh walkthrough`
//! block of README.md is read (see `readme/script.rs`), its `crm token` calls mint tokens
//! with the suite's key, its `curl` calls are made over HTTP to the gateway (on a free port
//! instead of 8080), and each answer must be a success that contains what the README's
//! `# →` lines say it does. The demo clients the banner names must be the README's.

#[path = "readme/run.rs"]
mod run;
#[path = "readme/script.rs"]
mod script;

use crm::{showcase, suite::Service};
use crm_e2e::start_demo;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage};

/// Large enough to hold the clients the banner names (every 100th gets a case).
const DEMO_CLIENTS: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readme_walkthrough_works_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
    let steps = script::walkthrough(&readme).unwrap_or_else(|err| panic!("{err}"));
    assert!(steps.len() > 20, "the walkthrough has {} steps; are its blocks marked `sh walkthrough`?", steps.len());

    let running = start_demo(DEMO_CLIENTS).await;
    let named = showcase::find(&running.config, &running.suite).await.expect("the named demo clients");
    assert_eq!(named.len(), showcase::COUNT, "{named:#?}");
    for client in &named {
        for fact in [&client.name, &client.display_name, &client.contact_email, &client.registration_number] {
            assert!(readme.contains(fact.as_str()), "README.md does not name the demo client's {fact:?}: {client:#?}");
        }
    }

    let gateway = running.suite.addr(Service::Gateway).expect("gateway");
    let mut shell = run::Shell::new(format!("http://{gateway}"), |role, subject, portfolio| {
        running.token(role, subject, portfolio)
    });
    let mut failures = Vec::new();
    for step in &steps {
        if let Err(err) = shell.step(step).await {
            failures.push(format!("README.md line {}: {err}", step.line));
        }
    }
    running.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {} walkthrough steps failed:\n{}",
        failures.len(),
        steps.len(),
        failures.join("\n")
    );
}

/// The gRPC examples (for those who have grpcurl) are not run, but each must call a method
/// the suite has with a request whose every field exists.
#[test]
fn the_grpc_examples_name_real_methods_and_fields() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
    let pool = DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET).expect("descriptors");
    let mut checked = 0;
    for (line, text) in script::blocks(&readme, &["sh"]).expect("blocks") {
        for step in script::parse(&text, line).unwrap_or_else(|err| panic!("{err}")) {
            for command in &step.pipeline {
                let words: Vec<String> = command.iter().map(literal).collect();
                if words.first().map(String::as_str) != Some("grpcurl") {
                    continue;
                }
                let Some(method) = words.last().filter(|w| w.starts_with("crm.")) else { continue };
                let (service, name) = method.rsplit_once('/').expect("Service/Method");
                let service =
                    pool.get_service_by_name(service).unwrap_or_else(|| panic!("line {}: {service}?", step.line));
                let rpc = service.methods().find(|m| m.name() == name);
                let rpc = rpc.unwrap_or_else(|| panic!("README.md line {}: {method} does not exist", step.line));
                if let Some(at) = words.iter().position(|w| w == "-d") {
                    let mut json = serde_json::Deserializer::from_str(&words[at + 1]);
                    let options = DeserializeOptions::new().deny_unknown_fields(true);
                    DynamicMessage::deserialize_with_options(rpc.input(), &mut json, &options)
                        .unwrap_or_else(|err| panic!("README.md line {}: the request of {method}: {err}", step.line));
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "only {checked} gRPC examples found");
}

/// A word as written, variables left as `$NAME`.
fn literal(word: &script::Word) -> String {
    word.iter()
        .map(|part| match part {
            script::Part::Lit(text) => text.clone(),
            script::Part::Var(name) => format!("${name}"),
            script::Part::Subst(_) => "$(...)".to_owned(),
        })
        .collect()
}
