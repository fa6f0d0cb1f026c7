//! Servers under test: each on a free port of `127.0.0.1`, awaited through its health
//! service (no sleeps), and stopped with a drain that must end cleanly.

use std::{future::Future, net::SocketAddr, time::Duration};

use crm_kit::server::{Shutdown, ShutdownTrigger};
use tokio::{net::TcpListener, task::JoinHandle};
use tonic::transport::Channel;

use crate::TestDb;

/// How long a server under test may take to report SERVING.
pub const SERVING_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// `service` reports SERVING.
    pub async fn start<D, S, F>(service: &str, deps: D, serve: S) -> Self
    where
        S: FnOnce(TcpListener, D, Shutdown) -> F,
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("addr");
        let (trigger, shutdown) = Shutdown::new();
        let task = tokio::spawn(serve(listener, deps, shutdown));
        let channel = serving_channel(addr, service).await;
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

/// A channel to `addr` once `service` there reports SERVING; panics after [`SERVING_TIMEOUT`].
pub async fn serving_channel(addr: SocketAddr, service: &str) -> Channel {
    let channel = channel(addr);
    crm_kit::server::wait_serving(channel.clone(), service, SERVING_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{service} is not serving: {e}"));
    channel
}

/// A channel to an address where nothing listens (a port bound, then released).
pub async fn nowhere() -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    channel(addr)
}

/// Polls `probe` until it yields `Some`; panics naming `what` after `timeout`.
pub async fn eventually<T, P, Fut>(what: &str, timeout: Duration, mut probe: P) -> T
where
    P: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
