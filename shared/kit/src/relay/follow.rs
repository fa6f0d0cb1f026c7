//! Following a feed through the stream instead of the service's WatchChanges (`[nats]
//! follow`): an ordered consumer on the feed's subjects, skipping what the follower has
//! already applied. The follower's position stays its own cursor, stored in its database
//! with what it applied: a restart, or a broken connection, opens a new consumer after that
//! cursor, so delivery is at least once and in feed order, as over WatchChanges, and
//! appliers stay idempotent.
//!
//! The stream does not index the feed sequence, but it holds each feed in sequence order
//! (the relay publishes an event only once the previous one is stored, and after a restart
//! republishes everything after its stored position): [`start_sequence`] finds where to
//! start by bisection over the stream, a few message reads instead of a replay from the
//! stream's beginning.

use async_nats::jetstream::{
    self,
    consumer::{DeliverPolicy, pull},
    stream::{RawMessageErrorKind, Stream as JsStream},
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
    let start = if after > 0 { Some(start_sequence(&stream, config, feed, after).await) } else { None };
    let deliver_policy = match start {
        None => DeliverPolicy::All,
        Some(Ok(start_sequence)) => DeliverPolicy::ByStartSequence { start_sequence },
        Some(Err(err)) => {
            tracing::warn!(feed, error = %format!("{err:#}"), "reading the feed from the start of the stream");
            DeliverPolicy::All
        }
    };
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: config.feed_subjects(feed),
            deliver_policy,
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

/// The stream sequence of the first message of `feed` whose event comes after `after` (one
/// past the stream's last message when there is none yet): by bisection, reading the feed
/// sequence (`Crm-Sequence`) of the first message of the feed at or after a stream sequence.
pub async fn start_sequence(stream: &JsStream, config: &NatsConfig, feed: &str, after: i64) -> anyhow::Result<u64> {
    use anyhow::Context as _;
    let state = stream.get_info().await.context("the stream's state")?.state;
    let subjects = config.feed_subjects(feed);
    // The feed sequence of the first message of the feed at or after `at` (None: no more).
    let first_at = async |at: u64| -> anyhow::Result<Option<(u64, i64)>> {
        let found = stream.raw_message_builder().sequence(at).next_by_subject(subjects.clone()).send().await;
        match found {
            Ok(message) => {
                let sequence = message.headers.get("Crm-Sequence").and_then(|v| v.as_str().parse().ok());
                let sequence = sequence.with_context(|| format!("message {} has no Crm-Sequence", message.sequence))?;
                Ok(Some((message.sequence, sequence)))
            }
            Err(err) if err.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(err) => Err(err).context("reading the stream"),
        }
    };
    // The smallest stream sequence whose next feed message is after `after`.
    let (mut low, mut high) = (state.first_sequence.max(1), state.last_sequence.saturating_add(1));
    while low < high {
        let middle = low + (high - low) / 2;
        match first_at(middle).await? {
            // Messages between `middle` and the one found are of other feeds.
            Some((found, sequence)) if sequence <= after => low = found + 1,
            _ => high = middle,
        }
    }
    Ok(low)
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
