//! Following a feed through the stream instead of the service's WatchChanges (`[nats]
//! follow`): an ordered consumer on the feed's subjects, from the start of the stream,
//! skipping what the follower has already applied. The follower's position stays its own
//! cursor, stored in its database with what it applied (the stream does not index the feed
//! sequence): a restart, or a broken connection, opens a new consumer after that cursor, so
//! delivery is at least once and in feed order, as over WatchChanges, and appliers stay
//! idempotent.

use async_nats::jetstream::{
    self,
    consumer::{DeliverPolicy, pull},
};
use futures::{Stream, StreamExt as _, stream::BoxStream};
use tonic::Status;

use super::{NatsConfig, Relayed};

/// The events of `feed` after `after`, as the relay published them, then live.
pub async fn subscribe<E: Relayed>(
    js: &jetstream::Context,
    config: &NatsConfig,
    feed: &str,
    after: i64,
) -> Result<impl Stream<Item = Result<E, Status>> + Unpin + Send + 'static, Status> {
    let unavailable = |what: &str, err: &dyn std::fmt::Display| Status::unavailable(format!("{what}: {err}"));
    let stream = js.get_stream(&config.stream).await.map_err(|e| unavailable("the JetStream stream", &e))?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: config.feed_subjects(feed),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable("an ordered consumer", &e))?;
    let messages = consumer.messages().await.map_err(|e| unavailable("the consumer's messages", &e))?;
    let events = messages.filter_map(move |message| {
        let event = match message {
            Ok(message) => {
                E::decode(message.payload.as_ref()).map_err(|e| Status::data_loss(format!("undecodable event: {e}")))
            }
            Err(err) => Err(Status::unavailable(format!("reading the stream: {err}"))),
        };
        futures::future::ready(match event {
            Ok(event) if event.sequence() <= after => None,
            other => Some(other),
        })
    });
    Ok(Box::pin(events))
}

/// A feed's events as a follower reads them, from the stream or from WatchChanges.
pub type FeedEvents<E> = BoxStream<'static, Result<E, Status>>;

/// Followers' access to the stream when `[nats] follow` is on.
#[derive(Clone, Debug)]
pub struct StreamFollow {
    js: jetstream::Context,
    config: NatsConfig,
}

impl StreamFollow {
    /// Connected to the configured server when `[nats] follow` is on (and a URL is set);
    /// `None` otherwise: followers read their peers' WatchChanges.
    pub async fn configured(config: &NatsConfig) -> anyhow::Result<Option<Self>> {
        if !(config.enabled() && config.follow) {
            return Ok(None);
        }
        let js = super::connect(config).await?;
        Ok(Some(Self { js, config: config.clone() }))
    }

    /// The events of `feed` after `after` from the stream.
    pub async fn open<E: Relayed>(&self, feed: &str, after: i64) -> Result<FeedEvents<E>, Status> {
        Ok(Box::pin(subscribe(&self.js, &self.config, feed, after).await?))
    }
}

/// Opens `feed` after `after` for a follower: from the stream when `stream` is set, else
/// with `watch` (the peer's WatchChanges, not called otherwise).
pub async fn open_feed<E, S, W>(
    stream: Option<&StreamFollow>,
    feed: &str,
    after: i64,
    watch: W,
) -> Result<FeedEvents<E>, Status>
where
    E: Relayed,
    S: Stream<Item = Result<E, Status>> + Send + 'static,
    W: std::future::Future<Output = Result<S, Status>>,
{
    match stream {
        Some(stream) => {
            tracing::debug!(feed, after, "following through the NATS stream");
            stream.open(feed, after).await
        }
        None => Ok(Box::pin(watch.await?)),
    }
}
