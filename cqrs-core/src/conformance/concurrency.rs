use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use super::append::{assert_log_in_order, must};
use super::{ConformingStore, new_event, numbered_events, payload_field};
use crate::store::{ReadAll, StoreError};
use crate::version::ExpectedVersion;

const WRITERS: usize = 32;

/// 32 writers append with the same expected version at once: exactly one wins, and
/// every other gets a conflict naming the version the winner made.
pub async fn same_expected_version_exactly_one_wins<S: ConformingStore>(store: &S) {
    must(
        store
            .append(
                "race",
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 1),
            )
            .await,
    );
    let barrier = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let event = new_event("Raced", json!({ "writer": writer }));
                store
                    .append("race", ExpectedVersion::Exact(1), vec![event])
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for writer in writers {
        match writer.await {
            Ok(Ok(result)) => {
                wins += 1;
                assert_eq!(result.stream_version, 2);
            }
            Ok(Err(StoreError::WrongExpectedVersion { actual, .. })) => assert_eq!(actual, 2),
            Ok(Err(error)) => {
                panic!("a racing writer failed with something other than a conflict: {error}")
            }
            Err(error) => panic!("a racing writer panicked: {error}"),
        }
    }
    assert_eq!(wins, 1, "exactly one writer must win");
    assert_eq!(must(store.stream_version("race").await), 2);
}

/// 32 writers each add one event to the same stream, reloading and retrying after a
/// conflict: all 32 events are there, once each, at versions 1 to 32.
pub async fn concurrent_writers_lose_no_update<S: ConformingStore>(store: &S) {
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    let version = must(store.stream_version("counter").await);
                    let event = new_event("Incremented", json!({ "writer": writer }));
                    match store
                        .append("counter", ExpectedVersion::Exact(version), vec![event])
                        .await
                    {
                        Ok(_) => return,
                        Err(StoreError::WrongExpectedVersion { .. }) => {
                            tokio::task::yield_now().await
                        }
                        Err(error) => panic!("writer {writer} failed: {error}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        if let Err(error) = writer.await {
            panic!("a writer panicked: {error}");
        }
    }
    let events = must(store.read_stream("counter", 1, 1_000).await);
    let versions: Vec<u64> = events.iter().map(|e| e.header.stream_version).collect();
    assert_eq!(versions, (1..=WRITERS as u64).collect::<Vec<_>>());
    let writers: BTreeSet<u64> = events
        .iter()
        .filter_map(|e| payload_field(&e.payload, "writer").as_u64())
        .collect();
    assert_eq!(
        writers.len(),
        WRITERS,
        "every writer's event must be stored exactly once"
    );
}

/// 16 tasks write 10 streams each at the same time; every stream and the global log
/// come out complete and ordered.
pub async fn many_streams_in_parallel<S: ConformingStore>(store: &S) {
    const TASKS: u64 = 16;
    const STREAMS: u64 = 10;
    const BATCHES: u64 = 5;
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for batch in 0..BATCHES {
                    for stream in 0..STREAMS {
                        let stream_id = format!("parallel-{task}-{stream}");
                        let expected = ExpectedVersion::Exact(batch * 2);
                        must(
                            store
                                .append(&stream_id, expected, numbered_events("N", batch * 2, 2))
                                .await,
                        );
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        if let Err(error) = task.await {
            panic!("a writer panicked: {error}");
        }
    }
    for task in 0..TASKS {
        for stream in 0..STREAMS {
            let events = must(
                store
                    .read_stream(&format!("parallel-{task}-{stream}"), 1, 100)
                    .await,
            );
            let numbers: Vec<u64> = events
                .iter()
                .filter_map(|e| payload_field(&e.payload, "n").as_u64())
                .collect();
            assert_eq!(numbers, (0..BATCHES * 2).collect::<Vec<_>>());
        }
    }
    let all = must(
        store
            .read_all(ReadAll::from_position(1).limit(100_000))
            .await,
    );
    assert_eq!(all.len() as u64, TASKS * STREAMS * BATCHES * 2);
    assert!(
        all.windows(2)
            .all(|w| w[0].header.position < w[1].header.position)
    );
}

/// 64 appends at once (stores that commit them in groups do so here): those with a
/// stale expectation or an event id stored in another stream fail alone, copies of
/// one append all get its one result, every other append commits, and the log holds
/// each committed event once, in order.
pub async fn a_burst_of_appends_fails_only_its_bad_members<S: ConformingStore>(store: &S) {
    let taken = numbered_events("Taken", 1, 1);
    must(
        store
            .append("taken", ExpectedVersion::NoStream, taken.clone())
            .await,
    );
    must(
        store
            .append(
                "stale",
                ExpectedVersion::NoStream,
                numbered_events("S", 1, 2),
            )
            .await,
    );
    let twice = numbered_events("Twice", 1, 2);
    let barrier = Arc::new(Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let store = store.clone();
            let (taken, twice, barrier) = (taken.clone(), twice.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                match n % 16 {
                    5 => {
                        let late = numbered_events("S", 3, 1);
                        store.append("stale", ExpectedVersion::Exact(1), late).await
                    }
                    9 => {
                        let stream = format!("s{n}");
                        store.append(&stream, ExpectedVersion::Any, taken).await
                    }
                    13 => store.append("twice", ExpectedVersion::Any, twice).await,
                    _ => {
                        let events = numbered_events("G", 1, 2);
                        let stream = format!("s{n}");
                        store
                            .append(&stream, ExpectedVersion::NoStream, events)
                            .await
                    }
                }
            })
        })
        .collect();
    let mut committed = 0;
    let mut twice_positions = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(error) => panic!("an append task panicked: {error}"),
        };
        match n % 16 {
            5 => assert!(
                matches!(
                    outcome,
                    Err(StoreError::WrongExpectedVersion { actual: 2, .. })
                ),
                "{outcome:?}"
            ),
            9 => assert!(
                matches!(outcome, Err(StoreError::DuplicateEventId { .. })),
                "{outcome:?}"
            ),
            13 => twice_positions.push(must(outcome).positions),
            _ => {
                let result = must(outcome);
                assert_eq!(result.stream_version, 2);
                assert_eq!(result.positions.len(), 2);
                assert!(result.positions[1] > result.positions[0]);
                committed += 1;
            }
        }
    }
    assert_eq!(committed, 52);
    assert!(
        twice_positions.windows(2).all(|w| w[0] == w[1]),
        "copies of one append must get one result: {twice_positions:?}"
    );
    assert_eq!(must(store.stream_version("twice").await), 2);
    let total = 3 + 52 * 2 + 2;
    let all = must(store.read_all(ReadAll::from_position(1).limit(1_000)).await);
    let positions: Vec<u64> = all.iter().map(|e| e.header.position).collect();
    assert_log_in_order(&positions, total);
    assert_eq!(
        must(store.head_position().await),
        positions.last().copied().unwrap_or(0)
    );
}
