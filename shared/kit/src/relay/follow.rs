//! Following a feed through the stream instead of the service's WatchChanges: an ordered
//! consumer on the feed's subjects, from the start of the stream, skipping what the follower
//! has already applied (its cursor is the feed sequence, which the stream does not index).

use async_nats::jetstream::{
    self,
    consumer::{DeliverPolicy, pull},
};
use futures::{Stream, StreamExt as _};
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
