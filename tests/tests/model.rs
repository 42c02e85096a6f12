//! The stores against a model: random sequences of appends (every kind of expected
//! version, exact repeats, ids reused in another stream) and reads of streams and of
//! the log, each answer compared with what a simple in-test model says. Memory and
//! SQLite run 1,000 sequences each; PostgreSQL (when `DATABASE_URL` is set) 64.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use cqrs_core::{
    AppendResult, EventStore, ExpectedVersion, InMemoryEventStore, NewEvent, ReadAll, StoreError,
};
use proptest::prelude::*;
use serde_json::json;

const STREAMS: [&str; 3] = ["a", "b", "c"];
const NAMES: [&str; 2] = ["Even", "Odd"];

/// One step of a sequence.
#[derive(Debug, Clone)]
enum Op {
    /// New events (`count`) to `stream`.
    Append {
        stream: usize,
        expected: ExpectedVersion,
        count: usize,
    },
    /// The events of an earlier append (by index among the appends made so far) again,
    /// to `stream` (its own stream: a retry; another: a clash).
    Repeat {
        earlier: usize,
        stream: usize,
        expected: ExpectedVersion,
    },
    ReadStream {
        stream: usize,
        from: u64,
        max: usize,
    },
    ReadAll {
        from: u64,
        max: usize,
        name: Option<usize>,
    },
}

fn expected() -> impl Strategy<Value = ExpectedVersion> {
    prop_oneof![
        Just(ExpectedVersion::Any),
        Just(ExpectedVersion::NoStream),
        Just(ExpectedVersion::StreamExists),
        (0u64..6).prop_map(ExpectedVersion::Exact),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..STREAMS.len(), expected(), 1usize..4)
            .prop_map(|(stream, expected, count)| Op::Append { stream, expected, count }),
        1 => (0usize..8, 0..STREAMS.len(), expected())
            .prop_map(|(earlier, stream, expected)| Op::Repeat { earlier, stream, expected }),
        1 => (0..STREAMS.len(), 0u64..8, 1usize..5)
            .prop_map(|(stream, from, max)| Op::ReadStream { stream, from, max }),
        1 => (0u64..12, 1usize..6, proptest::option::of(0..NAMES.len()))
            .prop_map(|(from, max, name)| Op::ReadAll { from, max, name }),
    ]
}

/// What the store should hold: the log in order, as (stream, event, position). The
/// store picks positions (they grow; PostgreSQL may leave some unused), the model
/// checks them and remembers them.
#[derive(Default)]
struct Model {
    log: Vec<(String, NewEvent, u64)>,
    /// Every append that committed: its stream, events and result.
    appends: Vec<(String, Vec<NewEvent>, AppendResult)>,
}

impl Model {
    fn version(&self, stream: &str) -> u64 {
        self.log.iter().filter(|(s, _, _)| s == stream).count() as u64
    }

    /// The newest position in the log; `0` when empty.
    fn head(&self) -> u64 {
        self.log.last().map_or(0, |(_, _, position)| *position)
    }

    /// (stream version, position) of each event of `stream`, from version `from`.
    fn stream(&self, stream: &str) -> Vec<(u64, u64, &NewEvent)> {
        let mut version = 0;
        let mut out = Vec::new();
        for (s, event, position) in &self.log {
            if s == stream {
                version += 1;
                out.push((version, *position, event));
            }
        }
        out
    }
}

fn fresh_events(count: usize, seed: usize) -> Vec<NewEvent> {
    (0..count)
        .map(|n| NewEvent::new(NAMES[(seed + n) % 2], 1, json!({ "seed": seed, "n": n })))
        .collect()
}

async fn check<S: EventStore>(store: &S, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Append {
                stream,
                expected,
                count,
            } => {
                let stream = STREAMS[*stream];
                let events = fresh_events(*count, step);
                let actual = model.version(stream);
                let answer = store.append(stream, *expected, events.clone()).await;
                if expected.is_satisfied_by(actual) {
                    let result = answer.map_err(|e| TestCaseError::fail(format!("{step}: {e}")))?;
                    prop_assert_eq!(result.positions.len(), *count);
                    let mut previous = model.head();
                    for position in &result.positions {
                        prop_assert!(*position > previous, "{:?}", result.positions);
                        previous = *position;
                    }
                    prop_assert_eq!(result.stream_version, actual + *count as u64);
                    prop_assert!(!result.duplicate);
                    for (event, position) in events.iter().zip(&result.positions) {
                        model
                            .log
                            .push((stream.to_owned(), event.clone(), *position));
                    }
                    model.appends.push((stream.to_owned(), events, result));
                } else {
                    match answer {
                        Err(StoreError::WrongExpectedVersion { actual: a, .. }) => {
                            prop_assert_eq!(a, actual)
                        }
                        other => {
                            prop_assert!(false, "{}: expected a conflict, got {:?}", step, other)
                        }
                    }
                }
            }
            Op::Repeat {
                earlier,
                stream,
                expected,
            } => {
                let Some((original_stream, events, original)) =
                    model.appends.get(*earlier).cloned()
                else {
                    continue;
                };
                let stream = STREAMS[*stream];
                let answer = store.append(stream, *expected, events).await;
                if stream == original_stream {
                    let result = answer.map_err(|e| TestCaseError::fail(format!("{step}: {e}")))?;
                    prop_assert!(result.duplicate);
                    prop_assert_eq!(&result.positions, &original.positions);
                    prop_assert_eq!(result.stream_version, original.stream_version);
                } else {
                    prop_assert!(
                        matches!(answer, Err(StoreError::DuplicateEventId { .. })),
                        "{}: expected a clash, got {:?}",
                        step,
                        answer
                    );
                }
            }
            Op::ReadStream { stream, from, max } => {
                let stream = STREAMS[*stream];
                let read = store
                    .read_stream(stream, *from, *max)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let expected: Vec<_> = model
                    .stream(stream)
                    .into_iter()
                    .filter(|(version, _, _)| *version >= *from)
                    .take(*max)
                    .collect();
                prop_assert_eq!(read.len(), expected.len());
                for (got, (version, position, event)) in read.iter().zip(expected) {
                    prop_assert_eq!(got.header.stream_version, version);
                    prop_assert_eq!(got.header.position, position);
                    prop_assert_eq!(got.header.event_id, event.event_id);
                    prop_assert_eq!(&got.payload, &event.payload);
                }
            }
            Op::ReadAll { from, max, name } => {
                let mut query = ReadAll::from_position(*from).limit(*max);
                if let Some(name) = name {
                    query = query.only([NAMES[*name]]);
                }
                let read = store
                    .read_all(query)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let expected: Vec<(u64, uuid::Uuid)> = model
                    .log
                    .iter()
                    .map(|(_, event, position)| (*position, event))
                    .filter(|(position, event)| {
                        *position >= *from && name.is_none_or(|n| event.event_name == NAMES[n])
                    })
                    .take(*max)
                    .map(|(position, event)| (position, event.event_id))
                    .collect();
                let got: Vec<(u64, uuid::Uuid)> = read
                    .iter()
                    .map(|e| (e.header.position, e.header.event_id))
                    .collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
    let heads: BTreeMap<&str, u64> = STREAMS.iter().map(|s| (*s, model.version(s))).collect();
    for (stream, version) in heads {
        prop_assert_eq!(store.stream_version(stream).await.unwrap(), version);
    }
    prop_assert_eq!(store.head_position().await.unwrap(), model.head());
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn memory_matches_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(check(&InMemoryEventStore::new(), &ops))?;
    }

    #[test]
    fn sqlite_matches_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(async {
            let store = cqrs_sqlite::SqliteEventStore::open_in_memory().await.unwrap();
            check(&store, &ops).await
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
    #[test]
    fn postgres_matches_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(async {
            let Some(store) = cqrs_postgres::testing::fresh_store("model").await else {
                return Ok(());
            };
            let outcome = check(&store, &ops).await;
            cqrs_postgres::testing::drop_schema(store).await;
            outcome
        })?;
    }
}
