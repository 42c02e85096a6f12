//! Events out to other services: an exactly-once relay from the event log to
//! [NATS JetStream](https://docs.nats.io/nats-concepts/jetstream), and a typed feed
//! that reads it back in another service.
//!
//! The global log already is an outbox: every committed event has a position. A
//! [`Relay`] follows it like a projection (run it with a
//! [`ProjectionRunner`](cqrs_core::runner::ProjectionRunner); `run_exclusive` keeps
//! one relay per JetStream stream active) and publishes each event, in log order,
//! on a subject from a [`SubjectTemplate`], with the event's header in NATS
//! headers ([`headers`]) and the payload as stored.
//!
//! **Exactly once into the broker.** Each publish carries `Nats-Msg-Id` (the event
//! id; JetStream drops a republish inside its duplicate window) and
//! `Nats-Expected-Last-Sequence` (JetStream stores a message only right after the
//! one before it, so a failed publish can never leave a gap behind a later one, and
//! a second relay that thinks it is active cannot interleave). The relay keeps no
//! checkpoint of its own: at every pass it reads the position in the stream's last
//! message and goes on after it. So a relay killed at any point resumes with no gap
//! and no duplicate, however long it was down. The relay owns its stream: nothing
//! else may publish to it.
//!
//! **The other side.** A [`JetStreamFeed`] is a durable pull consumer: it decodes
//! messages into the service's own event enum (upcasting included) or feeds any
//! [`CatchUpTarget`](cqrs_core::runner::CatchUpTarget) (documents, tables, memory),
//! acknowledging each batch after the target committed it and skipping events at or
//! below the target's checkpoint, so each event's effect lands once.
//!
//! ```no_run
//! use cqrs_core::runner::ProjectionRunner;
//! use cqrs_nats::{Relay, RelayOptions};
//! # async fn example(store: cqrs_core::InMemoryEventStore) -> Result<(), Box<dyn std::error::Error>> {
//! let client = async_nats::connect("127.0.0.1:4222").await?;
//! let relay = Relay::new(client, RelayOptions::default()).await?;
//! let mut runner = ProjectionRunner::new(store, relay);
//! runner.catch_up().await?; // every event so far is in JetStream stream CQRS_EVENTS
//! # Ok(()) }
//! ```

mod feed;
pub mod headers;
mod relay;
mod subject;

/// The NATS client the relay and the feed take.
pub use async_nats;
pub use feed::{Batch, FeedError, JetStreamFeed};
pub use relay::{Relay, RelayError, RelayOptions};
pub use subject::{SubjectTemplate, TemplateError};
