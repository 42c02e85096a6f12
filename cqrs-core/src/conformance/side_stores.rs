use serde_json::json;

use super::ConformingStore;
use super::append::must;
use std::time::{Duration, Instant};

use crate::store::{Snapshot, StoredView};
use crate::version::ExpectedVersion;

/// The latest snapshot per stream is kept; a new one replaces it.
pub async fn snapshots_save_load_replace<S: ConformingStore>(store: &S) {
    assert_eq!(must(store.load_snapshot("cart-1").await), None);
    let first = Snapshot {
        stream_id: "cart-1".into(),
        version: 10,
        state_version: 1,
        state: json!({ "items": { "apple": 2 }, "note": "ünïcødé" }),
    };
    must(store.save_snapshot(first.clone()).await);
    assert_eq!(must(store.load_snapshot("cart-1").await), Some(first));
    let second = Snapshot {
        stream_id: "cart-1".into(),
        version: 20,
        state_version: 3,
        state: json!({ "items": {} }),
    };
    must(store.save_snapshot(second.clone()).await);
    assert_eq!(must(store.load_snapshot("cart-1").await), Some(second));
    assert_eq!(must(store.load_snapshot("cart-2").await), None);
}

/// A view and its position are saved and replaced together, and can be deleted.
pub async fn views_save_load_replace<S: ConformingStore>(store: &S) {
    assert_eq!(must(store.load_view("top").await), None);
    let first = StoredView {
        position: 10,
        state: json!({ "apple": 3, "note": "ünïcødé" }),
    };
    must(store.save_view("top", first.clone()).await);
    assert_eq!(must(store.load_view("top").await), Some(first));
    let second = StoredView {
        position: 25,
        state: json!({ "apple": 4 }),
    };
    must(store.save_view("top", second.clone()).await);
    must(
        store
            .save_view(
                "other",
                StoredView {
                    position: 1,
                    state: json!([]),
                },
            )
            .await,
    );
    assert_eq!(must(store.load_view("top").await), Some(second.clone()));
    let stale = StoredView {
        position: 20,
        state: json!({ "apple": 1 }),
    };
    must(store.save_view("top", stale).await);
    assert_eq!(
        must(store.load_view("top").await),
        Some(second),
        "a view never moves back"
    );
    must(store.delete_view("top").await);
    assert_eq!(must(store.load_view("top").await), None);
    assert!(must(store.load_view("other").await).is_some());
}

/// A follower waiting past the head wakes when an append commits, well before its
/// timeout; with nothing new it returns at the timeout.
pub async fn followers_wake_when_events_commit<S: ConformingStore>(store: &S) {
    let started = Instant::now();
    store.wait_past(0, Duration::from_millis(200)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "returned before its timeout with nothing new"
    );

    let waiter = tokio::spawn({
        let store = store.clone();
        async move {
            let started = Instant::now();
            store.wait_past(0, Duration::from_secs(20)).await;
            started.elapsed()
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    must(
        store
            .append(
                "s",
                ExpectedVersion::NoStream,
                super::numbered_events("N", 0, 1),
            )
            .await,
    );
    let waited = waiter
        .await
        .unwrap_or_else(|e| panic!("the follower task failed: {e}"));
    assert!(
        waited < Duration::from_secs(5),
        "the follower slept {waited:?} after an append"
    );
}
