//! Servers under test: each on a free port of `127.0.0.1`, awaited through its health
//! service (no sleeps), and stopped with a drain that must end cleanly; and polling for a
//! condition that must fail at once on an error it did not expect.

use std::{fmt::Debug, future::Future, net::SocketAddr, time::Duration};

use crm_kit::server::{Shutdown, ShutdownTrigger};
use tokio::{net::TcpListener, task::JoinHandle};
use tonic::transport::Channel;

use crate::TestDb;

/// How long a server under test may take to report SERVING.
pub const SERVING_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`poll_until`] callers usually wait for a condition (feeds, activations).
pub const POLL_TIMEOUT: Duration = Duration::from_secs(30);

/// Pause between two probes of a poll.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// A server running in this process on a port of its own, with the database it owns.
pub struct TestServer {
    addr: SocketAddr,
    channel: Channel,
    trigger: ShutdownTrigger,
    task: JoinHandle<anyhow::Result<()>>,
    store: Option<TestDb>,
}

impl TestServer {
    /// Binds `127.0.0.1:0`, spawns `serve(listener, deps, shutdown)` and waits until
    /// `service` reports SERVING. A server that stops before (e.g. a failed migration)
    /// fails the test at once with its error, rather than after [`SERVING_TIMEOUT`].
    pub async fn start<D, S, F>(service: &str, deps: D, serve: S) -> Self
    where
        S: FnOnce(TcpListener, D, Shutdown) -> F,
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        Self::start_on(listener, service, deps, serve).await
    }

    /// [`TestServer::start`] on a listener bound beforehand, for services that are each
    /// other's peers (the first one's URL is known before it starts).
    pub async fn start_on<D, S, F>(listener: TcpListener, service: &str, deps: D, serve: S) -> Self
    where
        S: FnOnce(TcpListener, D, Shutdown) -> F,
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let addr = listener.local_addr().expect("addr");
        let (trigger, shutdown) = Shutdown::new();
        let mut task = tokio::spawn(serve(listener, deps, shutdown));
        let channel = channel(addr);
        tokio::select! {
            ready = wait_serving(channel.clone(), service, SERVING_TIMEOUT) => {
                ready.unwrap_or_else(|err| panic!("{service} at {addr} is not serving: {err}"));
            }
            ended = &mut task => match ended {
                Ok(Ok(())) => panic!("{service} at {addr} stopped before it was SERVING"),
                Ok(Err(err)) => panic!("{service} at {addr} failed before it was SERVING: {err:#}"),
                Err(join) => panic!("{service} at {addr} panicked before it was SERVING: {join}"),
            },
        }
        Self { addr, channel, trigger, task, store: None }
    }

    /// Hands the server its database, removed once the server has stopped.
    pub fn owning(mut self, store: TestDb) -> Self {
        self.store = Some(store);
        self
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its `http://` URL (e.g. for a peer channel or a gateway backend).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel to it.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Begins shutdown, waits until the server has drained (it must end cleanly) and removes
    /// its database.
    pub async fn stop(self) {
        self.trigger.fire();
        self.task.await.expect("server task").expect("server ran cleanly");
        if let Some(store) = self.store {
            store.remove().await;
        }
    }
}

/// A lazily connecting channel to `addr`.
pub fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}")).expect("uri").connect_lazy()
}

/// A channel to `addr` once `service` there reports SERVING; panics after [`SERVING_TIMEOUT`],
/// or at once on an error that waiting cannot cure (see [`wait_serving`]).
pub async fn serving_channel(addr: SocketAddr, service: &str) -> Channel {
    let channel = channel(addr);
    wait_serving(channel.clone(), service, SERVING_TIMEOUT)
        .await
        .unwrap_or_else(|err| panic!("{service} at {addr} is not serving: {err}"));
    channel
}

/// [`crm_kit::server::wait_serving`], with the error as text.
pub async fn wait_serving(channel: Channel, service: &str, timeout: Duration) -> Result<(), String> {
    crm_kit::server::wait_serving(channel, service, timeout).await.map_err(|err| err.to_string())
}

/// A channel to an address where nothing listens (a port bound, then released).
pub async fn nowhere() -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    channel(addr)
}

/// Polls `probe` until it yields `Some`; panics naming `what` after `timeout`.
///
/// The probe cannot report an error: it must fail the test itself (`.expect(..)`) on any
/// error it does not expect, so that e.g. PERMISSION_DENIED is not waited out as "not yet".
/// Prefer [`poll_until`], which takes the error and fails at once.
pub async fn eventually<T, P, Fut>(what: &str, timeout: Duration, mut probe: P) -> T
where
    P: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll_until(what, timeout, || {
        let next = probe();
        async move { Ok::<_, std::convert::Infallible>(next.await) }
    })
    .await
}

/// Polls `probe` while it yields `Ok(None)` (the condition is not met yet) and returns the
/// value of the first `Ok(Some(..))`. An `Err` fails the test at once with that error (an
/// unexpected error is never waited out); so does `timeout`, naming `what`.
///
/// ```ignore
/// let report = poll_until("segmentation to see both clients", POLL_TIMEOUT, || async {
///     let report = analyst.preview_scheme(preview()).await?.into_inner();
///     Ok::<_, tonic::Status>((report.population == 2).then_some(report))
/// })
/// .await;
/// ```
pub async fn poll_until<T, E, P, Fut>(what: &str, timeout: Duration, mut probe: P) -> T
where
    E: Debug,
    P: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = tokio::time::Instant::now();
    let mut probes = 0u32;
    loop {
        probes += 1;
        match probe().await {
            Ok(Some(value)) => return value,
            Ok(None) => {}
            Err(err) => panic!("while waiting for {what} (probe {probes}): unexpected error {err:?}"),
        }
        assert!(
            started.elapsed() < timeout,
            "timed out waiting for {what}: still not met after {probes} probes in {timeout:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
