//! What the repository retries and what it records: conflicts retried within the
//! policy's attempts (and never other errors), the correlation id a command's events
//! carry, and an idempotent command whose events fill more than one page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cqrs_core::{
    Aggregate, AppendResult, Command, CommandError, DomainEvent, EventStore, ExecuteOptions,
    ExpectedVersion, InMemoryEventStore, Metadata, NewEvent, ReadAll, RecordedEvent, Repository,
    RetryPolicy, StoreError, StoredId, Uuid,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Counter)]
enum CounterEvent {
    Bumped { n: u32 },
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Counter)]
enum CounterCommand {
    /// Emits `times` events at once.
    Bump { times: u32 },
}

#[derive(Debug, PartialEq, thiserror::Error)]
enum CounterError {}

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "counter", event = CounterEvent, error = CounterError)]
struct Counter {
    bumps: u32,
}

impl Counter {
    fn bump(&self, times: u32) -> Result<Vec<CounterEvent>, CounterError> {
        Ok((0..times).map(|n| CounterEvent::Bumped { n }).collect())
    }

    fn on_bumped(&mut self, _n: u32) {
        self.bumps += 1;
    }
}

/// What every append of [`Faulty`] answers.
#[derive(Clone, Copy)]
enum Fault {
    Conflict,
    Broken,
}

/// A store whose appends always fail, counting them; reads go to memory.
#[derive(Clone)]
struct Faulty {
    inner: InMemoryEventStore,
    fault: Fault,
    appends: Arc<AtomicU32>,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        Faulty {
            inner: InMemoryEventStore::new(),
            fault,
            appends: Arc::default(),
        }
    }
}

impl EventStore for Faulty {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        _events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        Err(match self.fault {
            Fault::Conflict => StoreError::WrongExpectedVersion {
                stream_id: stream_id.to_owned(),
                expected,
                actual: 7,
            },
            Fault::Broken => StoreError::backend("append", std::io::Error::other("disk on fire")),
        })
    }
    async fn read_stream(
        &self,
        s: &str,
        f: u64,
        m: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(s, f, m).await
    }
    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(query).await
    }
    async fn stream_version(&self, s: &str) -> Result<u64, StoreError> {
        self.inner.stream_version(s).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }
    async fn list_streams(
        &self,
        query: cqrs_core::ListStreams,
    ) -> Result<Vec<cqrs_core::StreamSummary>, StoreError> {
        self.inner.list_streams(query).await
    }
    async fn locate_events(&self, ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        self.inner.locate_events(ids).await
    }
}

fn bump(times: u32) -> CounterCommand {
    CounterCommand::Bump { times }
}

#[tokio::test]
async fn conflicts_are_retried_exactly_as_many_times_as_the_policy_allows() {
    for attempts in [1, 2, 5] {
        let store = Faulty::new(Fault::Conflict);
        let counters = Repository::<Counter, _>::new(store.clone()).retry_conflicts(
            RetryPolicy::attempts(attempts).backoff(Duration::ZERO, Duration::ZERO),
        );
        let error = counters.execute("c", bump(1)).await.unwrap_err();
        assert!(error.is_conflict(), "{error}");
        assert_eq!(store.appends.load(Ordering::SeqCst), attempts);
    }
}

#[tokio::test]
async fn a_time_bound_stops_the_retries() {
    let store = Faulty::new(Fault::Conflict);
    let counters = Repository::<Counter, _>::new(store.clone()).retry_conflicts(
        RetryPolicy::for_up_to(Duration::from_millis(30))
            .backoff(Duration::from_millis(1), Duration::from_millis(2)),
    );
    // A hang-guard, not a measurement: retrying forever would never return.
    let outcome = tokio::time::timeout(Duration::from_secs(20), counters.execute("c", bump(1)))
        .await
        .expect("the retries stopped");
    assert!(outcome.unwrap_err().is_conflict());
    assert!(store.appends.load(Ordering::SeqCst) > 1);
}

#[tokio::test]
async fn other_store_errors_are_never_retried() {
    let store = Faulty::new(Fault::Broken);
    let counters = Repository::<Counter, _>::new(store.clone())
        .retry_conflicts(RetryPolicy::attempts(5).backoff(Duration::ZERO, Duration::ZERO));
    let error = counters.execute("c", bump(1)).await.unwrap_err();
    assert!(
        matches!(error, CommandError::Store(StoreError::Backend { .. })),
        "{error}"
    );
    assert_eq!(store.appends.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn events_carry_the_correlation_id_given_or_their_command_id() {
    let store = InMemoryEventStore::new();
    let counters = Repository::<Counter, _>::new(store.clone());
    let request = Uuid::new_v4();
    let options = ExecuteOptions {
        metadata: Metadata {
            correlation_id: Some(request),
            ..Metadata::default()
        },
        ..ExecuteOptions::default()
    };
    let correlated = counters.execute_with("c", bump(2), options).await.unwrap();
    for event in &correlated {
        assert_eq!(event.header.metadata.correlation_id, Some(request));
    }
    let command = Uuid::new_v4();
    let own = counters
        .execute_with("c", bump(1), ExecuteOptions::default().command_id(command))
        .await
        .unwrap();
    assert_eq!(own[0].header.metadata.causation_id, Some(command));
    assert_eq!(own[0].header.metadata.correlation_id, Some(command));
    let stored = store.read_stream("counter-c", 1, 10).await.unwrap();
    assert_eq!(stored[0].header.metadata.correlation_id, Some(request));
    assert_eq!(stored[2].header.metadata.correlation_id, Some(command));
}

/// A command whose events fill more than one read page, executed again under its
/// id, returns every one of them and appends nothing.
#[tokio::test]
async fn a_repeated_command_with_more_than_a_page_of_events_returns_them_all() {
    let store = InMemoryEventStore::new();
    let counters = Repository::<Counter, _>::new(store.clone());
    let options = ExecuteOptions::default().command_id(Uuid::new_v4());
    let first = counters
        .execute_with("big", bump(2_500), options.clone())
        .await
        .unwrap();
    let again = counters
        .execute_with("big", bump(2_500), options)
        .await
        .unwrap();
    assert_eq!(again.len(), 2_500);
    assert_eq!(again, first);
    assert_eq!(store.stream_version("counter-big").await.unwrap(), 2_500);
}
