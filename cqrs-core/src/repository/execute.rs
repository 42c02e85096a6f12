//! Executing a command: take the aggregate's turn, decide on its state (cached or
//! replayed), append, and decide again after a conflict or on newer events.

use uuid::Uuid;

use super::batch::{Job, MAX_BATCH, Outcome};
use super::turns::{Batched, Taken, Turn};
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

    /// [`execute_with`](Self::execute_with) inside its span.
    pub(super) async fn execute_in_span<C>(
        &self,
        id: &str,
        command: C,
        options: ExecuteOptions,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let stream_id = A::stream_id(id);
        let mut idempotent = options.command_id.is_some();
        let command_id = options.command_id.unwrap_or_else(Uuid::new_v4);
        tracing::Span::current().record("command_id", tracing::field::display(command_id));
        // Commands on one aggregate take turns: each decides on the state the one
        // before it left, so they never conflict with each other. A command without
        // an expected version or an id of its own can be decided by the command
        // holding the aggregate, together with it, in one append.
        let batchable = self.clone_event.is_some()
            && options.expected_version.is_none()
            && options.command_id.is_none();
        let mut job = batchable.then(|| Job::new(&command, &options.metadata, command_id));
        let turn = loop {
            match self.turns.take(&stream_id, job.take()).await {
                Taken::Turn(turn) => break turn,
                Taken::Done(outcome) => return outcome,
                // Whether the job was written is told by its command id.
                Taken::Lost => idempotent = true,
            }
        };
        if idempotent && let Some(earlier) = self.earlier_outcome(&stream_id, command_id).await? {
            return Ok(earlier);
        }
        let command = Pending {
            stream_id: &stream_id,
            command: &command,
            options: &options,
            command_id,
            idempotent,
            batchable,
        };
        let started = std::time::Instant::now();
        let mut attempt = 1;
        loop {
            let result = self.decide_and_append(&turn, &command).await;
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
                    tracing::Span::current().record("retries", attempt);
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

    /// Decides the command on the aggregate's state and appends its events, with the
    /// commands waiting for the aggregate that can go with it.
    ///
    /// A cached state is used as it is, without asking the store: the append's version
    /// check proves it current. Only when the append conflicts, or the decision would
    /// not append (a refusal, nothing to do, another expected version), are newer
    /// events read and the command decided again on them.
    async fn decide_and_append<C>(
        &self,
        turn: &Turn<'_, Job<A>, Outcome<A>>,
        pending: &Pending<'_, C>,
    ) -> Outcome<A>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let stream_id = pending.stream_id;
        let (mut replayed, mut current) = match self.cache.as_ref().and_then(|c| c.take(stream_id))
        {
            Some(cached) => (cached, false),
            None => (self.replay(stream_id).await?, true),
        };
        loop {
            match self
                .decide(
                    stream_id,
                    pending.command.clone(),
                    pending.options,
                    &replayed,
                )
                .await
            {
                Decided::Events(events) => {
                    let own = Part {
                        events,
                        metadata: pending.options.metadata.clone(),
                        command_id: pending.command_id,
                    };
                    let batch = if pending.batchable {
                        turn.take_batch(MAX_BATCH)
                    } else {
                        Vec::new()
                    };
                    let appended = if batch.is_empty() {
                        self.append_parts(stream_id, replayed, vec![own], false)
                            .await?
                    } else {
                        self.append_batch(turn, stream_id, replayed, own, batch)
                            .await?
                    };
                    match appended {
                        Appended::Committed(envelopes) => {
                            return Ok(envelopes.into_iter().next().unwrap_or_default());
                        }
                        Appended::Conflict(_, stale) if !current => {
                            if pending.idempotent
                                && let Some(earlier) =
                                    self.earlier_outcome(stream_id, pending.command_id).await?
                            {
                                if let Some(stale) = stale {
                                    self.keep_unchanged(stream_id, stale);
                                }
                                return Ok(earlier);
                            }
                            replayed = match stale {
                                Some(stale) => self.catch_up(stream_id, stale).await?,
                                None => self.replay(stream_id).await?,
                            };
                            current = true;
                        }
                        Appended::Conflict(error, stale) => {
                            // Another writer won the race: bring the state up to date for
                            // the next command (or a retry), which then appends at once.
                            if self.cache.is_some()
                                && let Some(stale) = stale
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

    /// Decides the waiting commands on the state after `own`, in order, and appends
    /// everything they decided in one append; answers each waiting command. After a
    /// conflict they go back to the queue, undecided.
    async fn append_batch(
        &self,
        turn: &Turn<'_, Job<A>, Outcome<A>>,
        stream_id: &str,
        mut replayed: Replayed<A>,
        own: Part<A>,
        batch: Vec<Batched<Job<A>, Outcome<A>>>,
    ) -> Result<Appended<A>, CommandError<A::Error>> {
        let Some(clone_event) = self.clone_event else {
            turn.give_back(batch);
            return self
                .append_parts(stream_id, replayed, vec![own], false)
                .await;
        };
        let apply_all = |replayed: &mut Replayed<A>, events: &[A::Event]| {
            for event in events {
                replayed.loaded.state.apply(clone_event(event));
            }
            replayed.loaded.version += events.len() as u64;
        };
        apply_all(&mut replayed, &own.events);
        let mut parts = vec![own];
        // For each waiting command: its outcome when it appends nothing.
        let mut outcomes: Vec<Option<Outcome<A>>> = Vec::with_capacity(batch.len());
        #[expect(
            clippy::needless_range_loop,
            reason = "an iterator's borrow of a job would live across the await, and jobs are not Sync"
        )]
        for index in 0..batch.len() {
            let decision = batch[index]
                .job
                .decide(&replayed.loaded.state, &self.services);
            match decision.await {
                Ok(events) if events.is_empty() => outcomes.push(Some(Ok(Vec::new()))),
                Ok(events) => {
                    apply_all(&mut replayed, &events);
                    let job = &batch[index].job;
                    parts.push(Part {
                        events,
                        metadata: job.metadata.clone(),
                        command_id: job.command_id,
                    });
                    outcomes.push(None);
                }
                Err(rejection) => outcomes.push(Some(Err(CommandError::Rejected(rejection)))),
            }
        }
        match self.append_parts(stream_id, replayed, parts, true).await {
            Ok(Appended::Committed(envelopes)) => {
                let mut envelopes = envelopes.into_iter();
                let own = envelopes.next().unwrap_or_default();
                for (batched, outcome) in batch.into_iter().zip(outcomes) {
                    let outcome =
                        outcome.unwrap_or_else(|| Ok(envelopes.next().unwrap_or_default()));
                    batched.answer(outcome);
                }
                Ok(Appended::Committed(vec![own]))
            }
            Ok(conflict) => {
                turn.give_back(batch);
                Ok(conflict)
            }
            Err(error) => {
                for batched in batch {
                    batched.answer(Err(CommandError::Store(StoreError::backend(
                        format!("append to stream `{stream_id}` with other commands"),
                        error.to_string(),
                    ))));
                }
                Err(error)
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

    /// Appends the parts' events in one append, each command's with its own
    /// metadata and ids, at the state's version (before the parts' events, when
    /// `applied` says the state holds them already); the committed events by part.
    async fn append_parts(
        &self,
        stream_id: &str,
        replayed: Replayed<A>,
        parts: Vec<Part<A>>,
        applied: bool,
    ) -> Result<Appended<A>, CommandError<A::Error>> {
        let total: u64 = parts.iter().map(|p| p.events.len() as u64).sum();
        let version = if applied {
            replayed.loaded.version.saturating_sub(total)
        } else {
            replayed.loaded.version
        };
        let mut new_events = Vec::new();
        let mut headers = Vec::new();
        for part in &parts {
            let causation_id = part.metadata.causation_id.unwrap_or(part.command_id);
            let metadata = Metadata {
                causation_id: Some(causation_id),
                correlation_id: Some(part.metadata.correlation_id.unwrap_or(causation_id)),
                ..part.metadata.clone()
            };
            for (index, event) in part.events.iter().enumerate() {
                let mut new_event = NewEvent::from_event(event, metadata.clone())?;
                new_event.event_id = event_id(part.command_id, index);
                headers.push(EventHeader {
                    stream_id: stream_id.into(),
                    stream_version: 0,
                    position: 0,
                    event_id: new_event.event_id,
                    event_name: new_event.event_name.as_str().into(),
                    event_version: new_event.event_version,
                    recorded_at: metadata.timestamp,
                    metadata: new_event.metadata.clone(),
                });
                new_events.push(new_event);
            }
        }
        let expected = match version {
            0 => ExpectedVersion::NoStream,
            version => ExpectedVersion::Exact(version),
        };
        let result = match self.store.append(stream_id, expected, new_events).await {
            Ok(result) => result,
            Err(error) => {
                let error = CommandError::from(error);
                // A state holding events that were not written is thrown away.
                let stale = (!applied).then_some(replayed);
                if error.is_conflict() {
                    return Ok(Appended::Conflict(error, stale));
                }
                if let Some(stale) = stale {
                    self.keep_unchanged(stream_id, stale);
                }
                return Err(error);
            }
        };
        if result.duplicate
            && let [part] = parts.as_slice()
            // Another copy of this command committed these very events first.
            && let Some(earlier) = self.earlier_outcome(stream_id, part.command_id).await?
        {
            return Ok(Appended::Committed(vec![earlier]));
        }
        match parts.first() {
            Some(part) if !applied => self.keep(stream_id, replayed, &part.events).await,
            _ => self.keep_applied(stream_id, replayed).await,
        }
        let mut headers = headers.into_iter().zip(result.positions).zip(version + 1..);
        let committed = parts
            .into_iter()
            .map(|part| {
                part.events
                    .into_iter()
                    .zip(headers.by_ref())
                    .map(|(event, ((mut header, position), stream_version))| {
                        header.stream_version = stream_version;
                        header.position = position;
                        header.recorded_at = result.recorded_at;
                        EventEnvelope { header, event }
                    })
                    .collect()
            })
            .collect();
        Ok(Appended::Committed(committed))
    }
}

/// One command's share of an append.
struct Part<A: Aggregate> {
    events: Vec<A::Event>,
    metadata: Metadata,
    command_id: Uuid,
}

/// The command being executed, with what was decided about it before its turn.
struct Pending<'a, C> {
    stream_id: &'a str,
    command: &'a C,
    options: &'a ExecuteOptions,
    command_id: Uuid,
    /// Found out by its command id whether it was written before.
    idempotent: bool,
    /// Waiting commands may be decided with it.
    batchable: bool,
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
    /// The committed events, by command.
    Committed(Vec<Vec<EventEnvelope<A::Event>>>),
    /// Another writer moved the stream: the error, and the state to catch up (`None`:
    /// it held events that were not written, replay instead).
    Conflict(CommandError<A::Error>, Option<Replayed<A>>),
}

/// Sleeps before a retry; without a Tokio runtime (a test on `pollster`), retries
/// at once.
async fn pause(duration: std::time::Duration) {
    if !duration.is_zero() && tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(duration).await;
    }
}
