//! The change-feed relay to NATS JetStream (docs/architecture.md §5): every event of a
//! service's feed is published to the subject `<prefix>.<service>.<resource>.<client>`
//! (e.g. `crm.profile.clients.<id>`, `crm.profile.holdings.<id>`,
//! `crm.scoring.valueScore.<id>`; subscribe to `crm.profile.clients.>`) of one stream,
//! as the service's encoded `ChangeEvent` (masked as any feed subscription is, see
//! `[feeds]`), with `Nats-Msg-Id` = `<service>-<sequence>` so that JetStream drops a
//! message it has already stored.
//!
//! Delivery is at least once and in feed order (so in order per client): each message is
//! published only after the previous one was acknowledged by the stream. The position, the
//! last sequence acknowledged, is stored in a small stream of its own (one message kept per
//! feed: `<prefix>_relay.<service>`) every few events, when the feed goes quiet and when
//! the relay stops; after a restart (or a crash, which stores nothing) the relay
//! resumes from it and republishes what was published since, which the stream's duplicate
//! window drops (`crm_relay_duplicates_total` counts them).
//!
//! Followers read the stream instead of their peers' WatchChanges with `[nats] follow`
//! ([`StreamFollow`], [`open_feed`]); the relay must run for the stream to fill.
//!
//! An event reporting an erasure (EraseClient in the profile, and the interaction service's
//! erasure that follows it) first purges the stream of every message of that feed about
//! the client, then is published itself, as the marker that the client was erased.

mod follow;

use std::{future::Future, time::Duration};

use anyhow::Context as _;
use async_nats::jetstream::{
    self,
    stream::{self, LastRawMessageErrorKind},
};
use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};

pub use follow::{FeedEvents, StreamFollow, open_feed, start_sequence, subscribe};

use crate::{follow::Sequenced, server::Shutdown};

/// `[nats]`: the JetStream server the relay publishes to, and whether followers read from it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    /// `nats://host:4222`; empty: no relay, followers use the services' gRPC feeds.
    pub url: String,
    /// The JetStream stream (created when missing, on subjects `<subject_prefix>.>`).
    pub stream: String,
    /// First token of every subject.
    pub subject_prefix: String,
    /// Stream holding each relayed feed's position (its last message per feed).
    pub position_stream: String,
    /// Run the relay inside `crm up` and `crm serve` (each service process relays its own
    /// feed); `crm relay` runs it on its own whatever this says.
    pub relay: bool,
    /// Followers (segmentation, scoring, interaction) read their peers' feeds from the
    /// stream instead of the peers' WatchChanges.
    pub follow: bool,
    /// The relay stores its position at least every this many events.
    pub position_every: u64,
    /// How long JetStream remembers message ids to drop duplicates, seconds.
    pub duplicate_window_s: u64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            stream: "CRM".to_owned(),
            subject_prefix: "crm".to_owned(),
            position_stream: "CRM_RELAY".to_owned(),
            relay: false,
            follow: false,
            position_every: 100,
            duplicate_window_s: 120,
        }
    }
}

impl NatsConfig {
    /// Whether a NATS server is configured.
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }

    /// The subjects of `feed` (`crm.profile.>`).
    pub fn feed_subjects(&self, feed: &str) -> String {
        format!("{}.{feed}.>", self.subject_prefix)
    }

    /// The subject of `feed`'s stored position (`crm_relay.profile`).
    pub fn position_subject(&self, feed: &str) -> String {
        format!("{}_relay.{feed}", self.subject_prefix)
    }
}

/// A change event the relay can publish: sequenced, belonging to a client, naming its
/// resource, encodable.
pub trait Relayed: Sequenced + prost::Message + Default + Send + 'static {
    /// The resource that changed (`clients/1/holdings/2`).
    fn resource(&self) -> &str;
    /// The client it belongs to.
    fn client(&self) -> &str;
    /// Whether it reports that the client's personal data was erased: the relay then purges
    /// what it published of the client before it.
    fn erased(&self) -> bool {
        false
    }
}

macro_rules! relayed {
    ($($event:ty),+) => {
        $(impl Relayed for $event {
            fn resource(&self) -> &str {
                &self.resource
            }

            fn client(&self) -> &str {
                &self.client
            }
        })+
    };
}

relayed!(crm_proto::crm::scoring::v1::ChangeEvent);

macro_rules! erasable {
    ($($event:ty => $erased:expr),+) => {
        $(impl Relayed for $event {
            fn resource(&self) -> &str {
                &self.resource
            }

            fn client(&self) -> &str {
                &self.client
            }

            fn erased(&self) -> bool {
                self.kind == $erased as i32
            }
        })+
    };
}

erasable!(
    crm_proto::crm::profile::v1::ChangeEvent => crm_proto::crm::profile::v1::ChangeKind::Erased,
    crm_proto::crm::interaction::v1::ChangeEvent => crm_proto::crm::interaction::v1::ChangeKind::Erased
);

/// The subject token of the client an event belongs to (`clients/1` → `1`; `none` for an
/// event of no client, such as a content item).
pub fn client_token(client: &str) -> String {
    let id = client.strip_prefix("clients/").unwrap_or_default();
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid { id.to_owned() } else { "none".to_owned() }
}

/// The subject token of a resource name: its collection (`clients/1/holdings/2` →
/// `holdings`), or its singleton (`clients/1/valueScore` → `valueScore`).
pub fn resource_token(resource: &str) -> String {
    let segments: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
    let token = match segments.len() {
        0 => "unknown",
        n if n % 2 == 1 => segments[n - 1],
        n => segments[n - 2],
    };
    let valid = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid { token.to_owned() } else { "unknown".to_owned() }
}

/// The JetStream context of `config`, with its stream and position stream created when
/// missing.
pub async fn connect(config: &NatsConfig) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .name("crm")
        .retry_on_initial_connect()
        .connect(config.url.trim())
        .await
        .with_context(|| format!("connecting to NATS at {}", config.url))?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: config.stream.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        duplicate_window: Duration::from_secs(config.duplicate_window_s),
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .with_context(|| format!("the JetStream stream {}", config.stream))?;
    js.get_or_create_stream(stream::Config {
        name: config.position_stream.clone(),
        subjects: vec![format!("{}_relay.>", config.subject_prefix)],
        max_messages_per_subject: 1,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .with_context(|| format!("the relay's position stream {}", config.position_stream))?;
    Ok(js)
}

/// The stored position of `feed` (0 when it was never relayed).
pub async fn position(js: &jetstream::Context, config: &NatsConfig, feed: &str) -> anyhow::Result<i64> {
    let stream = js
        .get_stream(&config.position_stream)
        .await
        .with_context(|| format!("the relay's position stream {}", config.position_stream))?;
    match stream.get_last_raw_message_by_subject(&config.position_subject(feed)).await {
        Ok(message) => std::str::from_utf8(&message.payload)
            .ok()
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("the stored relay position of {feed} is not a number")),
        Err(err) if err.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(0),
        Err(err) => Err(err).with_context(|| format!("reading the relay position of {feed}")),
    }
}

/// Stores `sequence` as the position of `feed`.
async fn save_position(js: &jetstream::Context, config: &NatsConfig, feed: &str, sequence: i64) -> anyhow::Result<()> {
    js.publish(config.position_subject(feed), Bytes::from(sequence.to_string()))
        .await
        .context("storing the relay position")?
        .await
        .context("the acknowledgement of the relay position")?;
    ::metrics::gauge!("crm_relay_position", "feed" => feed.to_owned()).set(sequence as f64);
    Ok(())
}

/// Relays `feed` until `shutdown`: `open(after)` opens the service's feed after a sequence
/// (its WatchChanges). Reconnects with backoff after any failure, resuming from the stored
/// position.
pub async fn run<E, S, O, OF>(
    js: jetstream::Context,
    config: NatsConfig,
    feed: &'static str,
    mut open: O,
    shutdown: Shutdown,
) where
    E: Relayed,
    S: Stream<Item = Result<E, tonic::Status>> + Unpin,
    O: FnMut(i64) -> OF,
    OF: Future<Output = Result<S, tonic::Status>>,
{
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        match relay_once(&js, &config, feed, &mut open, &shutdown).await {
            Ok(()) => return,
            Err(err) => {
                crate::throttled!(1, warn!(feed, error = %format!("{err:#}"), "relay interrupted; resuming"));
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn relay_once<E, S, O, OF>(
    js: &jetstream::Context,
    config: &NatsConfig,
    feed: &'static str,
    open: &mut O,
    shutdown: &Shutdown,
) -> anyhow::Result<()>
where
    E: Relayed,
    S: Stream<Item = Result<E, tonic::Status>> + Unpin,
    O: FnMut(i64) -> OF,
    OF: Future<Output = Result<S, tonic::Status>>,
{
    let mut stored = position(js, config, feed).await?;
    let mut relayed = stored;
    tracing::info!(feed, after = stored, stream = %config.stream, "relaying the change feed to NATS");
    let mut events = open(stored).await.with_context(|| format!("opening the {feed} feed"))?;
    loop {
        // Store the position when the feed goes quiet, so a restart republishes little.
        let next = tokio::select! {
            next = tokio::time::timeout(Duration::from_millis(200), events.next()) => next,
            () = shutdown.cancelled() => {
                if relayed > stored {
                    save_position(js, config, feed, relayed).await?;
                }
                return Ok(());
            }
        };
        let event = match next {
            Ok(Some(event)) => event.context("reading the feed")?,
            Ok(None) => anyhow::bail!("the {feed} feed ended"),
            Err(_) => {
                if relayed > stored {
                    save_position(js, config, feed, relayed).await?;
                    stored = relayed;
                }
                continue;
            }
        };
        if event.sequence() <= relayed {
            continue;
        }
        if event.erased() {
            purge_client(js, config, feed, event.client()).await?;
        }
        publish(js, config, feed, &event).await?;
        relayed = event.sequence();
        if (relayed - stored) as u64 >= config.position_every.max(1) {
            save_position(js, config, feed, relayed).await?;
            stored = relayed;
        }
    }
}

/// Removes from the stream every message of `feed` about `client` (an erasure).
async fn purge_client(js: &jetstream::Context, config: &NatsConfig, feed: &str, client: &str) -> anyhow::Result<()> {
    let filter = format!("{}.{feed}.*.{}", config.subject_prefix, client_token(client));
    let stream = js.get_stream(&config.stream).await.with_context(|| format!("the stream {}", config.stream))?;
    let purged = stream.purge().filter(filter.clone()).await.with_context(|| format!("purging {filter}"))?;
    tracing::info!(feed, client, purged = purged.purged, "purged an erased client's messages from the stream");
    Ok(())
}

/// Publishes one event and waits for the stream's acknowledgement.
async fn publish<E: Relayed>(
    js: &jetstream::Context,
    config: &NatsConfig,
    feed: &str,
    event: &E,
) -> anyhow::Result<()> {
    let subject = format!(
        "{}.{feed}.{}.{}",
        config.subject_prefix,
        resource_token(event.resource()),
        client_token(event.client())
    );
    let mut message = jetstream::message::PublishMessage::build()
        .payload(Bytes::from(event.encode_to_vec()))
        .message_id(format!("{feed}-{}", event.sequence()))
        .header("Crm-Sequence", event.sequence().to_string().as_str())
        .header("Crm-Client", event.client());
    if !event.traceparent().is_empty() {
        message = message.header(crate::telemetry::TRACEPARENT, event.traceparent());
    }
    let ack = js
        .send_publish(subject.clone(), message)
        .await
        .with_context(|| format!("publishing to {subject}"))?
        .await
        .with_context(|| format!("the stream's acknowledgement of {subject}"))?;
    if ack.duplicate {
        ::metrics::counter!("crm_relay_duplicates_total", "feed" => feed.to_owned()).increment(1);
    } else {
        ::metrics::counter!("crm_relay_published_total", "feed" => feed.to_owned()).increment(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_resource_collection() {
        assert_eq!(resource_token("clients/1"), "clients");
        assert_eq!(resource_token("clients/1/holdings/2"), "holdings");
        assert_eq!(resource_token("clients/1/valueScore"), "valueScore");
        assert_eq!(resource_token(""), "unknown");
        assert_eq!(resource_token("a.b/1"), "unknown", "a dot would split the subject");
        let config = NatsConfig::default();
        assert_eq!(config.feed_subjects("profile"), "crm.profile.>");
        assert!(!config.enabled());
    }
}
