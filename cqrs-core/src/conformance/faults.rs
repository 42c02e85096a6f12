//! Faults: writes that fail for real, and callers that give up.

use serde_json::json;

use super::append::{assert_log_in_order, must};
use super::{ConformingStore, Harness, new_event, numbered_events};
use crate::store::ReadAll;
use crate::version::ExpectedVersion;

/// Writes that fail (a full disk, a commit the database refuses) leave nothing
/// behind, and once the cause is gone every write works again, on every connection.
pub async fn writes_work_again_after_failed_commits<S: ConformingStore>(
    store: &S,
    harness: &Harness<S>,
) {
    must(
        store
            .append(
                "before",
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 1),
            )
            .await,
    );
    harness.fail_writes(store, true).await;
    // Large enough to need new space on disk; several at once, to reach several
    // connections.
    let blob = "x".repeat(256 * 1024);
    let attempts = futures_util::future::join_all((0..4).map(|i| {
        let event = new_event("Big", json!({ "blob": blob }));
        async move {
            let stream = format!("during-{i}");
            let result = store
                .append(&stream, ExpectedVersion::NoStream, vec![event])
                .await;
            (stream, result)
        }
    }))
    .await;
    harness.fail_writes(store, false).await;
    assert!(
        attempts.iter().any(|(_, result)| result.is_err()),
        "no write failed while the fault held"
    );
    for (stream, result) in &attempts {
        let stored = must(store.stream_version(stream).await);
        assert_eq!(stored, u64::from(result.is_ok()), "{stream}: {result:?}");
    }

    for i in 0..12 {
        must(
            store
                .append(
                    &format!("after-{i}"),
                    ExpectedVersion::NoStream,
                    numbered_events("N", 0, 1),
                )
                .await,
        );
    }
    let together = futures_util::future::join_all((0..8).map(|i| async move {
        store
            .append(
                &format!("together-{i}"),
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 2),
            )
            .await
    }))
    .await;
    for result in together {
        must(result);
    }
    let positions: Vec<u64> = must(store.read_all(ReadAll::from_position(1)).await)
        .iter()
        .map(|e| e.header.position)
        .collect();
    let succeeded = attempts.iter().filter(|(_, result)| result.is_ok()).count() as u64;
    assert_log_in_order(&positions, 1 + succeeded + 12 + 8 * 2);
}

/// Callers that give up (their append future is dropped, at any moment) never make
/// another caller's append fail: each appends all its events or none, and the
/// others all succeed.
pub async fn callers_that_give_up_take_no_other_append_down<S: ConformingStore>(store: &S) {
    const ROUNDS: u64 = 12;
    const APPENDS: u64 = 12;
    for round in 0..ROUNDS {
        let mut tasks = Vec::new();
        for i in 0..APPENDS {
            let store = store.clone();
            let stream = format!("r{round}-{i}");
            tasks.push(tokio::spawn(async move {
                store
                    .append(
                        &stream,
                        ExpectedVersion::NoStream,
                        numbered_events("N", 0, 2),
                    )
                    .await
            }));
        }
        // Give up on every third caller, a little later each round: before it queued,
        // while it waits, while its group commits.
        tokio::time::sleep(std::time::Duration::from_micros(round * 150)).await;
        for (i, task) in tasks.iter().enumerate() {
            if i % 3 == 0 {
                task.abort();
            }
        }
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await {
                Ok(result) => {
                    must(result);
                }
                Err(error) if error.is_cancelled() && i % 3 == 0 => {}
                Err(error) => panic!("round {round}, append {i}: {error}"),
            }
        }
    }
    for round in 0..ROUNDS {
        for i in 0..APPENDS {
            let stream = format!("r{round}-{i}");
            let version = must(store.stream_version(&stream).await);
            assert!(
                version == 0 || version == 2,
                "{stream} holds {version} events"
            );
            if i % 3 != 0 {
                assert_eq!(version, 2, "{stream} was not given up and must be stored");
            }
        }
    }
    let positions: Vec<u64> = must(
        store
            .read_all(ReadAll::from_position(1).limit(10_000))
            .await,
    )
    .iter()
    .map(|e| e.header.position)
    .collect();
    let mut stored = 0;
    for round in 0..ROUNDS {
        for i in 0..APPENDS {
            stored += must(store.stream_version(&format!("r{round}-{i}")).await);
        }
    }
    assert_log_in_order(&positions, stored);
}
