//! `crm bench` cannot rot: the bench spawns `crm up --demo` on free ports (its own
//! `--spawn` code), then runs every scenario over every path it serves for a moment with two
//! callers, once on a fixed rate, and the ratio run (interleaved in two rounds). Every iteration must succeed and the
//! server process must have been sampled; no figure is asserted (timings are the machine's).

use std::time::Duration;

use crm::bench::{
    Load, Scenario, Session, Via, ratios,
    report::RunRecord,
    sampler::Probe,
    spawn::{SpawnSpec, Spawned},
};
use crm_kit::auth::{self, TokenIssuer};

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// Removes the data directory however the test ends.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn brief(concurrency: usize, rate: Option<f64>) -> Load {
    Load {
        concurrency,
        duration: Duration::from_millis(400),
        warmup: Duration::from_millis(100),
        rate,
        progress: false,
    }
}

fn assert_clean(record: &RunRecord) {
    let what = format!("{} via {:?}", record.scenario.name(), record.via);
    assert!(record.iterations > 0, "{what}: no iteration was recorded");
    assert!(record.errors.is_empty(), "{what}: failed iterations {:?}", record.errors);
    assert!(record.calls >= record.iterations, "{what}: every iteration makes a call");
    assert!(record.latency_ms.max > 0.0, "{what}: latencies were recorded");
    let server = record.server.unwrap_or_else(|| panic!("{what}: the server process was not sampled"));
    assert!(server.peak_rss_bytes > 0, "{what}: the server's resident set was read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_over_every_path_it_serves_without_errors() {
    let data_dir = TempDir(std::env::temp_dir().join(format!("crm-bench-{}", uuid::Uuid::new_v4().simple())));
    let spec = SpawnSpec { exe: CRM.into(), data_dir: data_dir.0.clone(), demo_clients: Some(120), env: Vec::new() };
    let suite = Spawned::start(&spec).await.expect("the suite starts and reports SERVING");
    let probe = Probe::new(suite.pid()).expect("the suite's process is readable");
    let issuer = TokenIssuer::new(&auth::load_or_create_secret(&data_dir.0).expect("key")).expect("issuer");
    let session = Session::prepare(suite.targets.clone(), issuer, 100, Some(probe)).await.expect("fixture");
    assert_eq!(session.fixture().clients.len(), 100, "the sample is taken from the demo portfolio");
    assert!(session.fixture().missing_kinds().is_empty(), "the demo has keys of every kind");

    let mut ran = 0;
    for scenario in Scenario::ALL {
        for via in [Via::Direct, Via::Gateway, Via::Rest] {
            if scenario.check(via).is_err() {
                let refused = session.run(scenario, via, &brief(2, None)).await;
                assert!(refused.is_err(), "{} via {via:?} is refused up front", scenario.name());
                continue;
            }
            let record = session.run(scenario, via, &brief(2, None)).await.expect("the run completes");
            assert_clean(&record);
            if scenario == Scenario::ContactCentre {
                assert_eq!(record.calls, 4 * record.iterations, "lookup, 360, interaction and case per iteration");
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 24, "every scenario over every path it serves");

    // Open loop: iterations are due on a schedule, so their number is known in advance.
    let open = session.run(Scenario::GetClient, Via::Gateway, &brief(2, Some(50.0))).await.expect("open loop");
    assert_clean(&open);
    assert_eq!(open.mode, "open");
    assert!((19..=21).contains(&open.iterations), "20 iterations were due in the window: {}", open.iterations);

    // Two rounds: each run in two interleaved slices, added up into one record.
    let measured = ratios::measure(&session, &brief(2, None), 2).await.expect("the ratio run completes");
    measured.runs.iter().for_each(assert_clean);
    assert!(measured.runs.iter().all(|r| r.seconds >= 0.4), "both slices of each run count");
    assert_eq!(measured.ratios.len(), 5);
    for ratio in &measured.ratios {
        assert!(ratio.value.is_finite() && ratio.value > 0.0, "{}: {}", ratio.name, ratio.value);
    }
    assert_eq!(measured.runs[5].concurrency, 1, "the 360 latency is taken with one sequential caller");

    suite.stop().await.expect("the suite stops cleanly on SIGTERM");
}
