//! Two handles on one storage, as two processes or nodes would have them.

use std::collections::BTreeSet;

use serde_json::json;

use super::append::{assert_log_in_order, must};
use super::inline::{Counter, counted};
use super::{ConformingStore, Harness, new_event, numbered_events};
use crate::store::{ReadAll, Snapshot, StoreError, StoredView};
use crate::version::ExpectedVersion;

/// A handle that does not keep a view appends without touching its documents; the
/// next append through a handle that keeps it brings the document up to date from
/// the log first, so it never reflects fewer events than its stamp says.
pub async fn inline_documents_catch_up_with_appends_of_other_handles<S: ConformingStore>(
    store: &S,
    harness: &Harness<S>,
) {
    let other = harness.another_handle(store).await;
    store.register_inline(Counter);
    must(
        store
            .append("a", ExpectedVersion::NoStream, vec![counted()])
            .await,
    );
    for version in 1..4 {
        must(
            other
                .append("a", ExpectedVersion::Exact(version), vec![counted()])
                .await,
        );
    }
    let behind =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(
        (behind.version, behind.state["count"].clone()),
        (1, json!(1)),
        "the document says which version it reflects"
    );
    must(
        store
            .append("a", ExpectedVersion::Exact(4), vec![counted()])
            .await,
    );
    let caught_up =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(caught_up.version, 5);
    assert_eq!(caught_up.state, json!({ "count": 5, "last_version": 5 }));

    // A stream the view never saw: built from its whole history.
    must(
        other
            .append("b", ExpectedVersion::NoStream, vec![counted(), counted()])
            .await,
    );
    must(
        store
            .append("b", ExpectedVersion::Exact(2), vec![counted()])
            .await,
    );
    let b =
        must(store.load_document("counter", "b").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!((b.version, b.state["count"].clone()), (3, json!(3)));

    // Both handles keeping the view agree.
    other.register_inline(Counter);
    must(
        other
            .append("a", ExpectedVersion::Exact(5), vec![counted()])
            .await,
    );
    let a =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!((a.version, a.state["count"].clone()), (6, json!(6)));
}

/// Writers on two handles racing on one stream, each retrying its conflicts: every
/// increment lands once, versions have no gaps, the log holds each event once.
pub async fn writers_on_two_handles_lose_no_update<S: ConformingStore>(
    store: &S,
    harness: &Harness<S>,
) {
    const WRITERS_PER_HANDLE: u64 = 4;
    const INCREMENTS: u64 = 10;
    let other = harness.another_handle(store).await;
    let mut tasks = Vec::new();
    for (handle, writer) in [store.clone(), other.clone()]
        .into_iter()
        .flat_map(|h| (0..WRITERS_PER_HANDLE).map(move |w| (h.clone(), w)))
    {
        tasks.push(tokio::spawn(async move {
            for n in 0..INCREMENTS {
                loop {
                    let version = must(handle.stream_version("counter").await);
                    let event = new_event("Incremented", json!({ "writer": writer, "n": n }));
                    match handle
                        .append("counter", ExpectedVersion::Exact(version), vec![event])
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::WrongExpectedVersion { .. }) => continue,
                        Err(error) => panic!("writer {writer}: {error}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await
            .unwrap_or_else(|e| panic!("a writer failed: {e}"));
    }
    let total = 2 * WRITERS_PER_HANDLE * INCREMENTS;
    assert_eq!(must(store.stream_version("counter").await), total);
    assert_eq!(must(other.stream_version("counter").await), total);
    let events = must(store.read_stream("counter", 1, 1_000).await);
    let versions: Vec<u64> = events.iter().map(|e| e.header.stream_version).collect();
    assert_eq!(versions, (1..=total).collect::<Vec<_>>());
    let positions: Vec<u64> = must(store.read_all(ReadAll::from_position(1)).await)
        .iter()
        .map(|e| e.header.position)
        .collect();
    assert_log_in_order(&positions, total);
}

/// A second handle opened on storage the first one created (and migrated) sees the
/// same events, ids, snapshots and views, and recognises a repeated append.
pub async fn a_second_handle_sees_the_same_store<S: ConformingStore>(
    store: &S,
    harness: &Harness<S>,
) {
    let events = numbered_events("N", 0, 3);
    let first = must(
        store
            .append("s", ExpectedVersion::NoStream, events.clone())
            .await,
    );
    let snapshot = Snapshot {
        stream_id: "s".into(),
        version: 3,
        state_version: 1,
        state: json!({ "n": 3 }),
    };
    must(store.save_snapshot(snapshot.clone()).await);
    let view = StoredView {
        position: 3,
        state: json!(["a"]),
    };
    must(store.save_view("v", view.clone()).await);

    let other = harness.another_handle(store).await;
    assert_eq!(must(other.stream_version("s").await), 3);
    assert_eq!(must(other.head_position().await), 3);
    assert_eq!(must(other.load_snapshot("s").await), Some(snapshot));
    assert_eq!(must(other.load_view("v").await), Some(view));
    let ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
    let located = must(other.locate_events(&ids).await);
    let positions: BTreeSet<u64> = located.iter().flatten().map(|s| s.position).collect();
    assert_eq!(positions, first.positions.iter().copied().collect());

    let again = must(other.append("s", ExpectedVersion::NoStream, events).await);
    assert!(again.duplicate);
    assert_eq!(again.positions, first.positions);
    let next = must(
        other
            .append("s", ExpectedVersion::Exact(3), numbered_events("N", 3, 1))
            .await,
    );
    assert_eq!(next.positions, [4]);
    assert_eq!(must(store.read_stream("s", 4, 10).await).len(), 1);
}
