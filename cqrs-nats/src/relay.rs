//! The relay: follows the event log and publishes each event to a JetStream stream
//! of its own, in log order, exactly once.

use std::time::Duration;

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage, stream};
use bytes::Bytes;
use cqrs_core::runner::{CatchUpTarget, ProjectionError};
use cqrs_core::{EventStore, ReadAll, RecordedEvent, StoreError};

use crate::headers::{self, to_headers};
use crate::subject::{SubjectTemplate, aggregate_of};

/// What a relay publishes, and where.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The JetStream stream (`CQRS_EVENTS`). The relay owns it: every publish
    /// states the stream's last sequence, so no other publisher may write to it.
    pub stream: String,
    /// Each event's subject (`events.{aggregate}.{event_name}`); the stream's
    /// subjects are the template's prefix and `.>`.
    pub subjects: SubjectTemplate,
    /// Only these persisted event names (`None`: all).
    pub event_names: Option<Vec<String>>,
    /// Only the streams of these aggregates, `cart` for `cart-alice` (`None`: all).
    pub aggregates: Option<Vec<String>>,
    /// Creates the stream when it does not exist (else it must exist).
    pub create_stream: bool,
    /// For a created stream: where JetStream keeps messages (file).
    pub storage: stream::StorageType,
    /// For a created stream: copies in a JetStream cluster (1).
    pub replicas: usize,
    /// For a created stream: how long a message is kept (zero: forever).
    pub max_age: Duration,
    /// For a created stream: the window in which JetStream drops a message whose
    /// `Nats-Msg-Id` (the event id) it has seen (2 minutes).
    pub duplicate_window: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            stream: "CQRS_EVENTS".into(),
            subjects: SubjectTemplate::default(),
            event_names: None,
            aggregates: None,
            create_stream: true,
            storage: stream::StorageType::File,
            replicas: 1,
            max_age: Duration::ZERO,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

impl RelayOptions {
    /// The stream's settings when the relay creates it.
    pub fn stream_config(&self) -> stream::Config {
        stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.subjects.wildcard()],
            storage: self.storage,
            num_replicas: self.replicas,
            max_age: self.max_age,
            duplicate_window: self.duplicate_window,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        }
    }
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The stream's last message is not the log's event at its position: the
    /// stream was filled from another log (a database recreated, another
    /// application). Relaying would skip this log's events up to that position.
    #[error(
        "JetStream stream `{stream}` ends with event {event_id} at position {position}, which this log does not hold there: it was relayed from another log; give the relay a new stream, or delete this one"
    )]
    AnotherLog {
        /// The stream.
        stream: String,
        /// The position in its last message.
        position: u64,
        /// The event id in its last message.
        event_id: uuid::Uuid,
    },
    /// The log or the stream could not be read for the check.
    #[error("cannot check JetStream stream `{stream}` against the log")]
    Check {
        /// The stream.
        stream: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The JetStream stream could not be created or found.
    #[error("JetStream stream `{stream}` is not available")]
    Stream {
        /// Its name.
        stream: String,
        /// What JetStream said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A [`CatchUpTarget`] that publishes events to JetStream: run it with a
/// [`ProjectionRunner`](cqrs_core::runner::ProjectionRunner) (`run_exclusive` keeps
/// one relay per stream active; status and lag as for a projection, under the name
/// `relay:<stream>`).
///
/// Exactly once, in order: each publish carries `Nats-Msg-Id` (the event id) and
/// the stream's expected last sequence, so JetStream stores a message only right
/// after its predecessor and drops a republish. The relay's checkpoint is the
/// position in the stream's last message, read from JetStream at every pass; a
/// relay killed between a publish and anything else resumes after the last
/// stored message, with no gap and no duplicate, however long it was down.
pub struct Relay {
    name: String,
    jetstream: jetstream::Context,
    stream: stream::Stream,
    options: RelayOptions,
    /// The stream's last sequence, as read at the pass's start and advanced by
    /// acknowledged publishes; `None` after a failure, until read again.
    last_sequence: Option<u64>,
    /// The furthest position covered (published or filtered out) and the stream's
    /// last sequence then: valid while the stream has not moved.
    covered: Option<(u64, u64)>,
}

fn unavailable(
    operation: impl Into<String>,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> ProjectionError {
    ProjectionError::Store(StoreError::unavailable(operation, source))
}

impl Relay {
    /// A relay over `client`, creating its stream as `options` say (or finding it).
    pub async fn new(
        client: async_nats::Client,
        options: RelayOptions,
    ) -> Result<Self, RelayError> {
        let jetstream = jetstream::new(client);
        let failed = |source: Box<dyn std::error::Error + Send + Sync>| RelayError::Stream {
            stream: options.stream.clone(),
            source,
        };
        let stream = if options.create_stream {
            jetstream
                .get_or_create_stream(options.stream_config())
                .await
                .map_err(|e| failed(e.into()))?
        } else {
            jetstream
                .get_stream(&options.stream)
                .await
                .map_err(|e| failed(e.into()))?
        };
        Ok(Relay {
            name: format!("relay:{}", options.stream),
            jetstream,
            stream,
            options,
            last_sequence: None,
            covered: None,
        })
    }

    /// The JetStream stream it publishes to.
    pub fn stream_name(&self) -> &str {
        &self.options.stream
    }

    /// Checks that the stream was filled from `store`'s log: its last message's
    /// event is the log's event at that position. Call it before running the
    /// relay: a stream left from another log (a database recreated beside an old
    /// stream) would otherwise make the relay skip this log's events up to that
    /// position. An empty stream passes.
    pub async fn check_log<S: EventStore>(&mut self, store: &S) -> Result<(), RelayError> {
        let stream = self.options.stream.clone();
        let check = |source: Box<dyn std::error::Error + Send + Sync>| RelayError::Check {
            stream: stream.clone(),
            source,
        };
        let last = self
            .stream
            .info()
            .await
            .map_err(|e| check(e.into()))?
            .state
            .last_sequence;
        if last == 0 {
            return Ok(());
        }
        let message = self
            .stream
            .get_raw_message(last)
            .await
            .map_err(|e| check(e.into()))?;
        let relayed =
            headers::from_headers(last, Some(&message.headers)).map_err(|e| check(e.into()))?;
        let found = store
            .read_all(ReadAll::from_position(relayed.position).limit(1))
            .await
            .map_err(|e| check(e.into()))?;
        match found.first() {
            Some(event)
                if event.header.position == relayed.position
                    && event.header.event_id == relayed.event_id =>
            {
                Ok(())
            }
            _ => Err(RelayError::AnotherLog {
                stream,
                position: relayed.position,
                event_id: relayed.event_id,
            }),
        }
    }

    fn relays(&self, event: &RecordedEvent) -> bool {
        self.options.aggregates.as_ref().is_none_or(|aggregates| {
            let aggregate = aggregate_of(&event.header.stream_id);
            aggregates.iter().any(|a| a == aggregate)
        })
    }

    /// Publishes `events` pipelined, each expecting the one before it as the
    /// stream's last message; then waits for every acknowledgement, in order.
    async fn publish(
        &mut self,
        events: Vec<RecordedEvent>,
        from_sequence: u64,
    ) -> Result<u64, ProjectionError> {
        let mut acks: Vec<(u64, u64, PublishAckFuture)> = Vec::with_capacity(events.len());
        let mut last = from_sequence;
        for RecordedEvent { header, payload } in events {
            let message = PublishMessage::build()
                .payload(Bytes::copy_from_slice(payload.as_str().as_bytes()))
                .headers(to_headers(&header))
                .expected_last_sequence(last);
            let subject = self.options.subjects.subject(&header);
            let ack = self
                .jetstream
                .send_publish(subject, message)
                .await
                .map_err(|e| {
                    unavailable(
                        format!("publish the event at position {}", header.position),
                        e,
                    )
                })?;
            last += 1;
            acks.push((header.position, last, ack));
        }
        for (position, sequence, ack) in acks {
            let ack = ack
                .await
                .map_err(|e| unavailable(format!("publish the event at position {position}"), e))?;
            if ack.duplicate || ack.sequence != sequence {
                return Err(unavailable(
                    format!("publish the event at position {position}"),
                    format!(
                        "JetStream stored it at sequence {} (duplicate: {}), not {sequence}: the stream `{}` was written by someone else",
                        ack.sequence, ack.duplicate, self.options.stream
                    ),
                ));
            }
        }
        Ok(last)
    }
}

impl CatchUpTarget for Relay {
    fn name(&self) -> &str {
        &self.name
    }

    fn event_names(&self) -> Option<Vec<String>> {
        self.options.event_names.clone()
    }

    async fn checkpoint(&mut self) -> Result<u64, ProjectionError> {
        let stream = &self.options.stream;
        let info = self.stream.info().await.map_err(|e| {
            unavailable(format!("read the state of JetStream stream `{stream}`"), e)
        })?;
        let last = info.state.last_sequence;
        self.last_sequence = Some(last);
        if let Some((position, at)) = self.covered
            && at == last
        {
            return Ok(position);
        }
        if last == 0 {
            return Ok(0);
        }
        let message = self.stream.get_raw_message(last).await.map_err(|e| {
            unavailable(
                format!("read the last message ({last}) of JetStream stream `{stream}`; if it was purged, the relay cannot tell where it stopped"),
                e,
            )
        })?;
        let position = headers::from_headers(last, Some(&message.headers))
            .map_err(|e| unavailable(format!("resume the relay to `{stream}`"), e))?
            .position;
        self.covered = Some((position, last));
        Ok(position)
    }

    async fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> Result<(), ProjectionError> {
        let Some(from_sequence) = self.last_sequence.take() else {
            return Err(unavailable(
                "publish a batch",
                "the stream's last sequence is not known since a failure; the next pass reads it",
            ));
        };
        let events: Vec<RecordedEvent> = events.into_iter().filter(|e| self.relays(e)).collect();
        let last = self.publish(events, from_sequence).await?;
        self.last_sequence = Some(last);
        self.covered = Some((up_to, last));
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), ProjectionError> {
        Err(ProjectionError::Store(StoreError::InvalidSetting {
            setting: "relay",
            value: self.name.clone(),
            reason: "a relay is not rebuilt: what it published stays published; to publish the whole log again, delete the JetStream stream and start the relay".into(),
        }))
    }
}
