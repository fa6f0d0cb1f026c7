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
