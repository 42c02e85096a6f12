//! What a command execution shows from outside: its `tracing` span and its metrics.

use tracing::Instrument;

use super::{CommandError, ExecuteOptions, Repository};
use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::envelope::EventEnvelope;
use crate::store::EventStore;

impl<A, S> Repository<A, S>
where
    A: Aggregate,
    S: EventStore,
{
    /// Executes a command with options: an expected version, an idempotency id,
    /// metadata.
    ///
    /// With a [`command_id`](ExecuteOptions::command_id), a command already executed
    /// under that id appends nothing and returns the events it committed then, also
    /// when two copies race (the loser finds the winner's events).
    ///
    /// Each execution is a `tracing` span `command` (aggregate, stream, command,
    /// command id, expected version; then the new version, events, retries and
    /// outcome) and counts in the metrics (`metrics` crate): `cqrs_commands_total`
    /// by aggregate and outcome, `cqrs_command_seconds`, `cqrs_events_appended_total`.
    pub async fn execute_with<C>(
        &self,
        id: &str,
        command: C,
        options: ExecuteOptions,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let span = tracing::info_span!(
            "command",
            aggregate = A::TYPE_NAME,
            stream = %A::stream_id(id),
            command = command.command_name(),
            command_id = tracing::field::Empty,
            expected = ?options.expected_version,
            version = tracing::field::Empty,
            events = tracing::field::Empty,
            retries = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let result = self
            .execute_in_span(id, command, options)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(events) => {
                if let Some(last) = events.last() {
                    span.record("version", last.header.stream_version);
                }
                span.record("events", events.len());
                metrics::counter!("cqrs_events_appended_total", "aggregate" => A::TYPE_NAME)
                    .increment(events.len() as u64);
                "ok"
            }
            Err(error) => error.outcome(),
        };
        span.record("outcome", outcome);
        metrics::counter!("cqrs_commands_total", "aggregate" => A::TYPE_NAME, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("cqrs_command_seconds", "aggregate" => A::TYPE_NAME)
            .record(started.elapsed().as_secs_f64());
        result
    }
}
