//! The cart's events for other services: a relay from the log into NATS
//! JetStream (`cart relay`, `serve --relay-nats`), and what a second service sees
//! when it reads them back (`cart follow`).

use std::future::Future;
use std::time::Duration;

use cqrs_core::Store;
use cqrs_core::runner::error_chain;
use cqrs_core::runner::{ProjectionRunner, RunnerOptions};
use cqrs_nats::{JetStreamFeed, Relay, RelayError, RelayOptions, SubjectTemplate};

use crate::domain::CartEvent;
use crate::error::AppError;

/// The JetStream stream of the cart's events, unless told otherwise.
pub const DEFAULT_STREAM: &str = "CART_EVENTS";
/// Their subjects, unless told otherwise.
pub const DEFAULT_SUBJECTS: &str = "cart_events.{aggregate}.{event_name}";

/// Where the cart's events go in NATS.
#[derive(Debug, Clone, clap::Args)]
pub struct NatsArgs {
    /// The NATS server, with JetStream.
    #[arg(
        long = "nats",
        env = "NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub url: String,
    /// The JetStream stream that holds the cart's events (created when missing,
    /// file storage, one replica, kept forever, 2-minute duplicate window).
    #[arg(long, default_value = DEFAULT_STREAM)]
    pub stream: String,
    /// Each event's subject; the stream takes the template's first token and `.>`.
    #[arg(long, default_value = DEFAULT_SUBJECTS)]
    pub subjects: String,
}

impl NatsArgs {
    /// The server at `url`, with the default stream and subjects.
    pub fn at(url: &str) -> Self {
        NatsArgs {
            url: url.to_owned(),
            stream: DEFAULT_STREAM.to_owned(),
            subjects: DEFAULT_SUBJECTS.to_owned(),
        }
    }
}

fn nats_failed(doing: &str, error: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("{doing}: {error}"))
}

async fn connect(url: &str) -> Result<async_nats::Client, AppError> {
    async_nats::connect(url)
        .await
        .map_err(|e| nats_failed(&format!("connect to NATS at {url}"), e))
}

/// A relay runner over `store` (run it with `run_exclusive`: one relay per stream
/// is active).
pub async fn relay_runner<S: Store>(
    store: &S,
    nats: &NatsArgs,
    batch_size: usize,
) -> Result<ProjectionRunner<S, Relay>, AppError> {
    let subjects =
        SubjectTemplate::new(&nats.subjects).map_err(|e| AppError::Invalid(e.to_string()))?;
    let options = RelayOptions {
        stream: nats.stream.clone(),
        subjects,
        ..RelayOptions::default()
    };
    let mut relay = Relay::new(connect(&nats.url).await?, options)
        .await
        .map_err(|e| nats_failed("open the JetStream stream", error_chain(&e)))?;
    match relay.check_log(store).await {
        Ok(()) => {}
        Err(error @ RelayError::AnotherLog { .. }) => {
            return Err(AppError::Invalid(error.to_string()));
        }
        Err(error) => return Err(nats_failed("check the stream", error_chain(&error))),
    }
    let options = RunnerOptions {
        batch_size,
        ..RunnerOptions::default()
    };
    Ok(ProjectionRunner::new(store.clone(), relay).with_options(options))
}

/// One cart event as another service receives it.
#[derive(Debug, serde::Serialize)]
pub struct Received {
    /// Its position in the cart's log.
    pub position: u64,
    /// The cart's stream.
    pub stream_id: String,
    /// Its version in that stream.
    pub stream_version: u64,
    /// The persisted name.
    pub event_name: String,
    /// The event, decoded into this service's own enum.
    pub event: CartEvent,
}

/// Reads the cart's events back from JetStream with the durable consumer
/// `durable`, decoded into [`CartEvent`] (events of other aggregates are skipped),
/// handing each to `each`: those waiting now when `once`, else as they come until
/// `shutdown`.
pub async fn follow(
    nats: &NatsArgs,
    durable: &str,
    once: bool,
    mut each: impl FnMut(Received),
    shutdown: impl Future<Output = ()>,
) -> Result<(), AppError> {
    let client = connect(&nats.url).await?;
    let mut feed = JetStreamFeed::new(client, &nats.stream, durable)
        .await
        .map_err(|e| nats_failed("open the feed", cqrs_core::runner::error_chain(&e)))?;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let batch = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            batch = feed.fetch_waiting::<CartEvent>(Duration::from_secs(1)) => batch,
        };
        let batch =
            batch.map_err(|e| nats_failed("read the feed", cqrs_core::runner::error_chain(&e)))?;
        let delivered = batch.delivered;
        for envelope in batch.events.iter().cloned() {
            each(Received {
                position: envelope.header.position,
                stream_id: envelope.header.stream_id.to_string(),
                stream_version: envelope.header.stream_version,
                event_name: envelope.header.event_name.to_string(),
                event: envelope.event,
            });
        }
        batch
            .ack()
            .await
            .map_err(|e| nats_failed("acknowledge", cqrs_core::runner::error_chain(&e)))?;
        if once && delivered == 0 {
            return Ok(());
        }
    }
}

/// Prints each event `follow` receives: a line of text, or a JSON object per line.
pub fn printer(json: bool) -> impl FnMut(Received) {
    move |received: Received| {
        if json {
            println!("{}", serde_json::to_string(&received).unwrap_or_default());
        } else {
            println!(
                "{:>8}  {} v{}  {}  {:?}",
                received.position,
                received.stream_id,
                received.stream_version,
                received.event_name,
                received.event
            );
        }
    }
}
