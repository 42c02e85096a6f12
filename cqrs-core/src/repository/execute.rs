//! Executing a command: take the aggregate's turn, decide on its state (cached or
//! replayed), append, and decide again after a conflict or on newer events.

use uuid::Uuid;

use super::{CommandError, ExecuteOptions, REPLAY_PAGE, Replayed, Repository, event_id};
use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::envelope::{EventEnvelope, EventHeader, NewEvent};
use crate::metadata::Metadata;
use crate::store::{EventStore, StoreError};
use crate::version::ExpectedVersion;

impl<A, S> Repository<A, S>
where
    A: Aggregate,
    S: EventStore,
{
    /// Executes a command with default options: a new command id, no expected
    /// version, conflicts retried as [`retry_conflicts`](Self::retry_conflicts) says.
    ///
    /// Returns the committed events (none when the handler decided nothing).
    pub async fn execute<C>(
        &self,
        id: &str,
        command: C,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        self.execute_with(id, command, ExecuteOptions::default())
            .await
    }

    /// Executes a command with options: an expected version, an idempotency id,
    /// metadata.
    ///
    /// With a [`command_id`](ExecuteOptions::command_id), a command already executed
    /// under that id appends nothing and returns the events it committed then, also
    /// when two copies race (the loser finds the winner's events).
    pub async fn execute_with<C>(
        &self,
        id: &str,
        command: C,
        options: ExecuteOptions,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let stream_id = A::stream_id(id);
        // Commands on one aggregate take turns: each decides on the state the one
        // before it left, so they never conflict with each other.
        let _turn = self.turns.take(&stream_id).await;
        let idempotent = options.command_id.is_some();
        let command_id = options.command_id.unwrap_or_else(Uuid::new_v4);
        if idempotent && let Some(earlier) = self.earlier_outcome(&stream_id, command_id).await? {
            return Ok(earlier);
        }
        let started = std::time::Instant::now();
        let mut attempt = 1;
        loop {
            let result = self
                .decide_and_append(&stream_id, &command, &options, command_id)
                .await;
            match result {
                Err(error) if error.is_conflict() => {
                    if idempotent
                        && let Some(earlier) = self.earlier_outcome(&stream_id, command_id).await?
                    {
                        return Ok(earlier);
                    }
                    if options.expected_version.is_some()
                        || !self.retry.allows(attempt + 1, started.elapsed())
                    {
                        return Err(error);
                    }
                    pause(self.retry.pause(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The events an earlier execution of this command id committed, if any.
    async fn earlier_outcome(
        &self,
        stream_id: &str,
        command_id: Uuid,
    ) -> Result<Option<Vec<EventEnvelope<A::Event>>>, CommandError<A::Error>> {
        let first_id = event_id(command_id, 0);
        let found = self.store.locate_events(&[first_id]).await?;
        let Some(Some(first)) = found.into_iter().next() else {
            return Ok(None);
        };
        if first.stream_id != stream_id {
            return Err(CommandError::Store(StoreError::DuplicateEventId {
                event_id: first_id,
                stream_id: stream_id.to_owned(),
                existing_stream: first.stream_id,
            }));
        }
        let mut events = Vec::new();
        let mut from = first.stream_version;
        loop {
            let page = self.store.read_stream(stream_id, from, REPLAY_PAGE).await?;
            let full = page.len() == REPLAY_PAGE;
            from += page.len() as u64;
            for recorded in page {
                if recorded.header.event_id != event_id(command_id, events.len()) {
                    return Ok(Some(events));
                }
                events.push(recorded.decode::<A::Event>()?);
            }
            if !full {
                return Ok(Some(events));
            }
        }
    }

    /// Decides the command on the aggregate's state and appends its events.
    ///
    /// A cached state is used as it is, without asking the store: the append's version
    /// check proves it current. Only when the append conflicts, or the decision would
    /// not append (a refusal, nothing to do, another expected version), are newer
    /// events read and the command decided again on them.
    async fn decide_and_append<C>(
        &self,
        stream_id: &str,
        command: &C,
        options: &ExecuteOptions,
        command_id: Uuid,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let (mut replayed, mut current) = match self.cache.as_ref().and_then(|c| c.take(stream_id))
        {
            Some(cached) => (cached, false),
            None => (self.replay(stream_id).await?, true),
        };
        loop {
            match self
                .decide(stream_id, command.clone(), options, &replayed)
                .await
            {
                Decided::Events(events) => {
                    match self
                        .append_decided(stream_id, replayed, events, options, command_id)
                        .await?
                    {
                        Appended::Committed(envelopes) => return Ok(envelopes),
                        Appended::Conflict(_, stale) if !current => {
                            if options.command_id.is_some()
                                && let Some(earlier) =
                                    self.earlier_outcome(stream_id, command_id).await?
                            {
                                self.keep_unchanged(stream_id, stale);
                                return Ok(earlier);
                            }
                            replayed = self.catch_up(stream_id, stale).await?;
                            current = true;
                        }
                        Appended::Conflict(error, stale) => {
                            // Another writer won the race: bring the state up to date for
                            // the next command (or a retry), which then appends at once.
                            if self.cache.is_some()
                                && let Ok(current) = self.catch_up(stream_id, stale).await
                            {
                                self.keep_unchanged(stream_id, current);
                            }
                            return Err(error);
                        }
                    }
                }
                Decided::Final(result) => {
                    if !current {
                        let cached_version = replayed.loaded.version;
                        replayed = self.catch_up(stream_id, replayed).await?;
                        current = true;
                        if replayed.loaded.version != cached_version {
                            continue;
                        }
                    }
                    self.keep_unchanged(stream_id, replayed);
                    return result;
                }
            }
        }
    }

    /// The command's decision on a state, before anything is written.
    async fn decide<C>(
        &self,
        stream_id: &str,
        command: C,
        options: &ExecuteOptions,
        replayed: &Replayed<A>,
    ) -> Decided<A>
    where
        C: Command<Aggregate = A>,
    {
        let loaded = &replayed.loaded;
        if let Some(expected) = options.expected_version
            && expected != loaded.version
        {
            return Decided::Final(Err(CommandError::Conflict {
                stream_id: stream_id.to_owned(),
                expected: ExpectedVersion::Exact(expected),
                actual: loaded.version,
            }));
        }
        match command.handle(&loaded.state, &self.services).await {
            Ok(events) if events.is_empty() => Decided::Final(Ok(Vec::new())),
            Ok(events) => Decided::Events(events),
            Err(rejection) => Decided::Final(Err(CommandError::Rejected(rejection))),
        }
    }

    /// Appends decided events at the state's version.
    async fn append_decided(
        &self,
        stream_id: &str,
        replayed: Replayed<A>,
        events: Vec<A::Event>,
        options: &ExecuteOptions,
        command_id: Uuid,
    ) -> Result<Appended<A>, CommandError<A::Error>> {
        let causation_id = options.metadata.causation_id.unwrap_or(command_id);
        let metadata = Metadata {
            causation_id: Some(causation_id),
            correlation_id: Some(options.metadata.correlation_id.unwrap_or(causation_id)),
            ..options.metadata.clone()
        };
        let mut new_events = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let mut new_event = NewEvent::from_event(event, metadata.clone())?;
            new_event.event_id = event_id(command_id, index);
            new_events.push(new_event);
        }
        let version = replayed.loaded.version;
        let expected = match version {
            0 => ExpectedVersion::NoStream,
            version => ExpectedVersion::Exact(version),
        };
        let headers: Vec<EventHeader> = new_events
            .iter()
            .map(|e| EventHeader {
                stream_id: stream_id.to_owned(),
                stream_version: 0,
                position: 0,
                event_id: e.event_id,
                event_name: e.event_name.clone(),
                event_version: e.event_version,
                recorded_at: metadata.timestamp,
                metadata: e.metadata.clone(),
            })
            .collect();
        let result = match self.store.append(stream_id, expected, new_events).await {
            Ok(result) => result,
            Err(error) => {
                let error = CommandError::from(error);
                if error.is_conflict() {
                    return Ok(Appended::Conflict(error, replayed));
                }
                self.keep_unchanged(stream_id, replayed);
                return Err(error);
            }
        };
        if result.duplicate {
            // Another copy of this command committed these very events first.
            if let Some(earlier) = self.earlier_outcome(stream_id, command_id).await? {
                return Ok(Appended::Committed(earlier));
            }
        }
        self.keep(stream_id, replayed, &events).await;
        Ok(Appended::Committed(
            headers
                .into_iter()
                .zip(events)
                .zip(result.positions)
                .enumerate()
                .map(|(index, ((mut header, event), position))| {
                    header.stream_version = version + 1 + index as u64;
                    header.position = position;
                    header.recorded_at = result.recorded_at;
                    EventEnvelope { header, event }
                })
                .collect(),
        ))
    }
}

/// What a command decided.
enum Decided<A: Aggregate> {
    /// Events to append.
    Events(Vec<A::Event>),
    /// Nothing to append: the result to return (valid once the state is current).
    Final(Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>),
}

/// What became of an append.
enum Appended<A: Aggregate> {
    /// The committed events.
    Committed(Vec<EventEnvelope<A::Event>>),
    /// Another writer moved the stream: the error, and the state to catch up.
    Conflict(CommandError<A::Error>, Replayed<A>),
}

/// Sleeps before a retry; without a Tokio runtime (a test on `pollster`), retries
/// at once.
async fn pause(duration: std::time::Duration) {
    if !duration.is_zero() && tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(duration).await;
    }
}
