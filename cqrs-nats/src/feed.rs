//! The other side: a service reads a relay's JetStream stream back as typed
//! events with a durable consumer, and feeds them to its own read models.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use cqrs_core::runner::{CatchUpTarget, ProjectionError};
use cqrs_core::{DomainEvent, EventDecodeError, EventEnvelope, RecordedEvent};
use futures_util::{FutureExt, StreamExt};

use crate::headers::{MessageError, recorded_event};

/// Why reading the feed failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// NATS or JetStream failed.
    #[error("JetStream: cannot {operation}")]
    Nats {
        /// What was being done.
        operation: String,
        /// What the client said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A message is not a relayed event.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// A relayed event does not decode into the event enum.
    #[error(transparent)]
    Decode(#[from] Box<EventDecodeError>),
    /// The read model refused a batch.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

fn nats(
    operation: impl Into<String>,
) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> FeedError {
    let operation = operation.into();
    move |source| FeedError::Nats { operation, source }
}

/// A batch of relayed events, decoded; [`ack`](Self::ack) it once they are handled,
/// or they are delivered again (to this or another instance of the service).
pub struct Batch<E> {
    /// The events, in log order.
    pub events: Vec<EventEnvelope<E>>,
    /// Messages delivered, the skipped ones included: 0 when nothing waited.
    pub delivered: usize,
    last: Option<jetstream::Message>,
}

impl<E> Batch<E> {
    /// Acknowledges every message of the batch (the consumer acknowledges all
    /// messages up to one).
    pub async fn ack(self) -> Result<(), FeedError> {
        if let Some(last) = self.last {
            last.ack_with(AckKind::Ack)
                .await
                .map_err(nats("acknowledge a batch"))?;
        }
        Ok(())
    }
}

/// A durable pull consumer on a relay's JetStream stream: what it has delivered
/// and had acknowledged survives restarts of the service, in JetStream.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// # #[derive(serde::Serialize, serde::Deserialize, cqrs_core::DomainEvent)]
/// # enum CartEvent { ItemAdded { sku: String } }
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let mut feed = cqrs_nats::JetStreamFeed::new(client, "CQRS_EVENTS", "billing").await?;
/// let batch = feed.fetch::<CartEvent>().await?;
/// for envelope in &batch.events {
///     println!("{} at {}", envelope.header.event_name, envelope.header.position);
/// }
/// batch.ack().await?;
/// # Ok(()) }
/// ```
pub struct JetStreamFeed {
    consumer: jetstream::consumer::Consumer<pull::Config>,
    batch_size: usize,
}

impl JetStreamFeed {
    /// The durable consumer `durable` on `stream` (created when new, delivering
    /// from the stream's first message).
    pub async fn new(
        client: async_nats::Client,
        stream: &str,
        durable: &str,
    ) -> Result<Self, FeedError> {
        let jetstream = jetstream::new(client);
        let found = jetstream
            .get_stream(stream)
            .await
            .map_err(|e| nats(format!("find stream `{stream}`"))(e.into()))?;
        let config = pull::Config {
            durable_name: Some(durable.to_owned()),
            ack_policy: jetstream::consumer::AckPolicy::All,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ack_wait: Duration::from_secs(30),
            ..Default::default()
        };
        let consumer = found
            .get_or_create_consumer(durable, config)
            .await
            .map_err(|e| nats(format!("create consumer `{durable}` on `{stream}`"))(e.into()))?;
        Ok(JetStreamFeed {
            consumer,
            batch_size: 500,
        })
    }

    /// Messages per batch (500).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The messages waiting now, up to a batch; waits up to `wait` for the first.
    async fn next_messages(
        &mut self,
        wait: Option<Duration>,
    ) -> Result<Vec<(RecordedEvent, jetstream::Message)>, FeedError> {
        let mut messages = match wait {
            None => self
                .consumer
                .fetch()
                .max_messages(self.batch_size)
                .messages()
                .await
                .map_err(|e| nats("fetch messages")(e.into()))?
                .boxed(),
            Some(wait) => self
                .consumer
                .batch()
                .max_messages(self.batch_size)
                .expires(wait)
                .messages()
                .await
                .map_err(|e| nats("fetch messages")(e.into()))?
                .boxed(),
        };
        let mut out = Vec::new();
        while let Some(message) = messages.next().await {
            let message = message.map_err(nats("receive a message"))?;
            out.push((recorded(&message)?, message));
        }
        Ok(out)
    }

    /// The events waiting now (up to a batch), decoded into `E` (upcasting
    /// included); an empty batch when none wait. Events whose names `E` does not
    /// know (another aggregate's, in a stream relaying several) are left out, and
    /// acknowledged with the batch.
    pub async fn fetch<E: DomainEvent>(&mut self) -> Result<Batch<E>, FeedError> {
        self.decoded(None).await
    }

    /// Like [`fetch`](Self::fetch), waiting up to `wait` for a first event when
    /// none waits yet: for a service that follows the stream.
    pub async fn fetch_waiting<E: DomainEvent>(
        &mut self,
        wait: Duration,
    ) -> Result<Batch<E>, FeedError> {
        self.decoded(Some(wait)).await
    }

    async fn decoded<E: DomainEvent>(
        &mut self,
        wait: Option<Duration>,
    ) -> Result<Batch<E>, FeedError> {
        let messages = self.next_messages(wait).await?;
        let delivered = messages.len();
        let last = messages.last().map(|(_, m)| m.clone());
        let events = messages
            .into_iter()
            .filter(|(e, _)| E::event_names().any(|name| name == e.header.event_name))
            .map(|(RecordedEvent { header, payload }, _)| {
                let event = header.decode_payload::<E>(&payload)?;
                Ok(EventEnvelope { header, event })
            })
            .collect::<Result<Vec<_>, FeedError>>()?;
        Ok(Batch {
            events,
            delivered,
            last,
        })
    }

    /// Feeds every waiting event to `target` (any read model a runner could feed:
    /// documents, tables, memory), a batch at a time, acknowledging each batch
    /// after the target committed it. Events at or below the target's checkpoint
    /// are acknowledged without being applied, so a batch delivered again after a
    /// crash lands once. Returns the number of events applied.
    pub async fn catch_up_into<T: CatchUpTarget>(
        &mut self,
        target: &mut T,
    ) -> Result<u64, FeedError> {
        self.feed(target, None).await
    }

    async fn feed<T: CatchUpTarget>(
        &mut self,
        target: &mut T,
        wait: Option<Duration>,
    ) -> Result<u64, FeedError> {
        let names = target.event_names();
        let mut checkpoint = target.checkpoint().await?;
        let mut applied = 0;
        loop {
            let messages = self.next_messages(wait).await?;
            let Some((_, last)) = messages.last() else {
                return Ok(applied);
            };
            let last = last.clone();
            let up_to = messages
                .iter()
                .map(|(e, _)| e.header.position)
                .max()
                .unwrap_or(checkpoint)
                .max(checkpoint);
            let events: Vec<RecordedEvent> = messages
                .into_iter()
                .map(|(event, _)| event)
                .filter(|e| e.header.position > checkpoint)
                .filter(|e| {
                    names
                        .as_ref()
                        .is_none_or(|names| names.iter().any(|n| *n == e.header.event_name))
                })
                .collect();
            let count = events.len() as u64;
            if up_to > checkpoint {
                target.apply(events, up_to).await?;
                checkpoint = up_to;
                applied += count;
            }
            last.ack_with(AckKind::Ack)
                .await
                .map_err(nats("acknowledge a batch"))?;
            if wait.is_some() {
                return Ok(applied);
            }
        }
    }

    /// Feeds `target` as events arrive until `shutdown`; a failure is retried
    /// after `retry` (the unacknowledged batch is delivered again).
    pub async fn run_into<T: CatchUpTarget>(
        &mut self,
        target: &mut T,
        retry: Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        let mut shutdown = pin!(shutdown.fuse());
        loop {
            let pass = self.feed(target, Some(Duration::from_secs(1)));
            let outcome = tokio::select! {
                _ = &mut shutdown => return,
                outcome = pass => outcome,
            };
            if let Err(error) = outcome {
                tracing::warn!(
                    target = target.name(),
                    "JetStream feed: {}",
                    cqrs_core::runner::error_chain(&error)
                );
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(retry) => {}
                }
            }
        }
    }
}

/// A relayed message as the event it carries.
fn recorded(message: &jetstream::Message) -> Result<RecordedEvent, FeedError> {
    let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
    let message = &message.message;
    Ok(recorded_event(
        sequence,
        message.headers.as_ref(),
        &message.payload,
    )?)
}
