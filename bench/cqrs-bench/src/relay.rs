//! The relay's throughput into JetStream, beside a plain publish loop of the same
//! messages into a stream of the same settings, in the same run.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};
use cqrs_core::runner::{ProjectionRunner, RunnerOptions};
use cqrs_core::{EventStore, LogFollower, ReadAll};
use cqrs_nats::{Relay, RelayOptions, SubjectTemplate, headers};
use serde::Serialize;

use crate::stats::Figure;

/// Events relayed per second, and the plain loop's messages per second.
#[derive(Debug, Clone, Serialize)]
pub struct RelayFigures {
    /// The relay following the store's log (reads, headers, publishes with
    /// `Nats-Msg-Id` and expected last sequence, acknowledgements), batches of
    /// 1,000; latency per batch.
    pub relay: Figure,
    /// The same messages, built beforehand, published in batches of 1,000 (all
    /// sent, then all acknowledgements awaited); latency per batch.
    pub publish_loop: Figure,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Both figures for every event of `store`, each into a fresh file-stored stream
/// on the server at `url` (deleted afterwards).
pub async fn relay_vs_publish<S>(store: S, url: &str) -> Result<RelayFigures, Failure>
where
    S: EventStore + LogFollower + Clone,
{
    let client = async_nats::connect(url).await?;
    let context = jetstream::new(client.clone());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let options = |name: &str| -> Result<RelayOptions, Failure> {
        Ok(RelayOptions {
            stream: format!("BENCH_{name}_{id}"),
            subjects: SubjectTemplate::new(&format!(
                "bench{name}{id}.{{aggregate}}.{{event_name}}"
            ))?,
            ..RelayOptions::default()
        })
    };

    let relay_options = options("relay")?;
    let relay = Relay::new(client.clone(), relay_options.clone()).await?;
    let runner_options = RunnerOptions {
        batch_size: 1_000,
        ..RunnerOptions::default()
    };
    let mut runner = ProjectionRunner::new(store.clone(), relay).with_options(runner_options);
    let mut batches = Vec::new();
    let start = Instant::now();
    let mut last = start;
    let progress = runner
        .catch_up_with(|_| {
            let now = Instant::now();
            batches.push(now - last);
            last = now;
        })
        .await?;
    let relay = Figure::new(progress.events, start.elapsed(), batches);
    context.delete_stream(&relay_options.stream).await?;

    let loop_options = options("loop")?;
    context.create_stream(loop_options.stream_config()).await?;
    let events = store
        .read_all(ReadAll::from_position(1).limit(usize::MAX))
        .await?;
    let messages: Vec<(String, PublishMessage)> = events
        .iter()
        .map(|event| {
            let message = PublishMessage::build()
                .payload(bytes::Bytes::copy_from_slice(
                    event.payload.as_str().as_bytes(),
                ))
                .headers(headers::to_headers(&event.header));
            (loop_options.subjects.subject(&event.header), message)
        })
        .collect();
    let count = messages.len() as u64;
    let mut batches: Vec<Duration> = Vec::new();
    let start = Instant::now();
    let mut pending = messages.into_iter().peekable();
    while pending.peek().is_some() {
        let began = Instant::now();
        let mut acks = Vec::with_capacity(1_000);
        for (subject, message) in pending.by_ref().take(1_000) {
            acks.push(context.send_publish(subject, message).await?);
        }
        for ack in acks {
            ack.await?;
        }
        batches.push(began.elapsed());
    }
    let publish_loop = Figure::new(count, start.elapsed(), batches);
    context.delete_stream(&loop_options.stream).await?;
    Ok(RelayFigures {
        relay,
        publish_loop,
    })
}
