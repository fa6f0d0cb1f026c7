//! `--spawn`: the bench starts the suite itself, as a child process (`crm up`), so that the
//! server's CPU and memory are its own process's and nothing else's.
//!
//! Every service listens on a free loopback port; the gateway's per-principal rate limit is
//! off (one bench principal would otherwise be throttled like any user). The bench reads the
//! addresses from the banner `crm up` prints once it is ready (after the demo data, if
//! asked for, has loaded) and then waits for every service to report SERVING.

use std::{
    io::BufReader,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context as _;
use tokio::sync::oneshot;

use super::session::Targets;

/// How long the services have to report SERVING once the banner is out.
const SERVING_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the suite has to drain after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start the suite.
#[derive(Clone, Debug)]
pub struct SpawnSpec {
    /// The `crm` binary.
    pub exe: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Load the demo portfolio of this many clients first (only into empty databases).
    pub demo_clients: Option<u64>,
    /// More environment (e.g. `CRM__PROFILE__DATABASE_URL`).
    pub env: Vec<(String, String)>,
}

/// The running suite.
pub struct Spawned {
    child: Option<Child>,
    /// Where it listens.
    pub targets: Targets,
}

impl Spawned {
    /// Starts the suite and waits until it is ready.
    pub async fn start(spec: &SpawnSpec) -> anyhow::Result<Self> {
        let mut command = Command::new(&spec.exe);
        command.arg("up").arg("--data-dir").arg(&spec.data_dir);
        if let Some(clients) = spec.demo_clients {
            command.args(["--demo", "--demo-clients", &clients.to_string()]);
        }
        for service in ["PROFILE", "SEGMENTATION", "SCORING", "INTERACTION", "GATEWAY"] {
            command.env(format!("CRM__{service}__LISTEN"), "127.0.0.1:0");
        }
        command.env("CRM__GATEWAY__RATE_LIMIT_PER_SECOND", "0");
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        command.envs(spec.env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", spec.exe.display()))?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let (ready, banner) = oneshot::channel();
        std::thread::spawn(move || read_banner(BufReader::new(stdout), ready));
        let mut spawned = Self { child: Some(child), targets: Targets::default() };
        spawned.targets = banner.await.map_err(|_| anyhow::anyhow!("crm up exited before it was ready"))??;
        for (addr, service) in [
            (&spawned.targets.profile, crm_profile::SERVICE_NAME),
            (&spawned.targets.interaction, crm_interaction::SERVICE_NAME),
            (&spawned.targets.gateway, ""),
        ] {
            let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
            crm_kit::server::wait_serving(channel, service, SERVING_TIMEOUT).await?;
        }
        Ok(spawned)
    }

    /// The suite's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Stops the suite: SIGTERM (it drains), then a kill if it has not exited in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
        while child.try_wait()?.is_none() {
            if tokio::time::Instant::now() >= deadline {
                child.kill()?;
                child.wait()?;
                anyhow::bail!("the suite did not stop within {STOP_TIMEOUT:?} of SIGTERM; killed");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads the banner's addresses (`  profile  grpc://127.0.0.1:50051  (...)`), sends them
/// once its last line (`  data ...`) is read, then keeps draining stdout as a terminal would.
fn read_banner(stdout: impl std::io::BufRead, ready: oneshot::Sender<anyhow::Result<Targets>>) {
    let mut targets = Targets::default();
    let mut lines = stdout.lines();
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        let (Some(name), Some(url)) = (words.next(), words.next()) else { continue };
        let addr = url.trim_start_matches("grpc://").trim_start_matches("http://").to_owned();
        match name {
            "profile" => targets.profile = addr,
            "interaction" => targets.interaction = addr,
            "gateway" => targets.gateway = addr,
            "data" => {
                let missing = [&targets.profile, &targets.interaction, &targets.gateway].iter().any(|a| a.is_empty());
                let result =
                    if missing { Err(anyhow::anyhow!("crm up's banner lacks an address")) } else { Ok(targets) };
                let _ = ready.send(result);
                lines.for_each(drop);
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_banner_gives_every_address() {
        let banner = "crm suite is up\n  gateway  http://127.0.0.1:4001  (gRPC...)\n  profile  grpc://127.0.0.1:4002  (x)\n  segmentation grpc://127.0.0.1:4003  (x)\n  interaction grpc://127.0.0.1:4005  (x)\n  data     /tmp/d\n";
        let (tx, rx) = oneshot::channel();
        read_banner(std::io::Cursor::new(banner), tx);
        let targets = rx.await.expect("sent").expect("complete");
        assert_eq!((targets.gateway.as_str(), targets.profile.as_str()), ("127.0.0.1:4001", "127.0.0.1:4002"));
        assert_eq!(targets.interaction, "127.0.0.1:4005");
    }
}
