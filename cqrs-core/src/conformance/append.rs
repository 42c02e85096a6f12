use serde_json::json;

use super::{ConformingStore, new_event, numbered_events};
use crate::store::StoreError;
use crate::version::ExpectedVersion;

/// Appended events come back with their ids, names, payloads, versions and positions.
pub async fn append_and_read_back<S: ConformingStore>(store: &S) {
    let events = vec![
        new_event("Opened", json!({ "owner": "ada" })),
        new_event("Deposited", json!({ "cents": 125 })),
        new_event("Closed", serde_json::Value::Null),
    ];
    let result = must(
        store
            .append("account-1", ExpectedVersion::NoStream, events.clone())
            .await,
    );
    assert_eq!(result.stream_version, 3);
    assert_eq!(result.positions.len(), 3);
    assert!(!result.duplicate);
    assert!(
        result.positions.windows(2).all(|w| w[0] < w[1]),
        "positions must grow: {:?}",
        result.positions
    );

    let read = must(store.read_stream("account-1", 1, 100).await);
    assert_eq!(read.len(), 3);
    for (index, (stored, sent)) in read.iter().zip(&events).enumerate() {
        assert_eq!(stored.header.stream_id, "account-1");
        assert_eq!(stored.header.stream_version, index as u64 + 1);
        assert_eq!(stored.header.position, result.positions[index]);
        assert_eq!(stored.header.event_id, sent.event_id);
        assert_eq!(stored.header.event_name, sent.event_name);
        assert_eq!(stored.header.event_version, sent.event_version);
        assert_eq!(stored.payload, sent.payload);
    }
    assert_eq!(must(store.stream_version("account-1").await), 3);
    assert_eq!(must(store.stream_version("account-2").await), 0);
    assert!(must(store.read_stream("account-2", 1, 100).await).is_empty());
}

/// Reading a stream starts at the given version and returns at most the given count.
pub async fn read_stream_from_version_and_limit<S: ConformingStore>(store: &S) {
    must(
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 1, 10))
            .await,
    );
    let page = must(store.read_stream("s", 4, 3).await);
    let versions: Vec<u64> = page.iter().map(|e| e.header.stream_version).collect();
    assert_eq!(versions, [4, 5, 6]);
    assert_eq!(page[0].payload, json!({ "n": 4 }));
    assert!(must(store.read_stream("s", 11, 10).await).is_empty());
    assert_eq!(must(store.read_stream("s", 0, 100).await).len(), 10);
}

/// An append without events is an error, not a silent no-op.
pub async fn empty_append_is_refused<S: ConformingStore>(store: &S) {
    let error = store.append("s", ExpectedVersion::Any, Vec::new()).await;
    assert!(
        matches!(error, Err(StoreError::EmptyAppend { .. })),
        "got {error:?}"
    );
    assert_eq!(must(store.stream_version("s").await), 0);
}

/// `Any` appends whatever the version.
pub async fn expected_version_any<S: ConformingStore>(store: &S) {
    must(
        store
            .append("s", ExpectedVersion::Any, numbered_events("N", 1, 1))
            .await,
    );
    let result = must(
        store
            .append("s", ExpectedVersion::Any, numbered_events("N", 2, 2))
            .await,
    );
    assert_eq!(result.stream_version, 3);
}

/// `NoStream` succeeds once, then conflicts and reports the actual version.
pub async fn expected_version_no_stream<S: ConformingStore>(store: &S) {
    must(
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 1, 2))
            .await,
    );
    let error = store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 3, 1))
        .await;
    assert_conflict(error, "s", ExpectedVersion::NoStream, 2);
}

/// `StreamExists` conflicts on a missing stream and succeeds on an existing one.
pub async fn expected_version_stream_exists<S: ConformingStore>(store: &S) {
    let error = store
        .append(
            "s",
            ExpectedVersion::StreamExists,
            numbered_events("N", 1, 1),
        )
        .await;
    assert_conflict(error, "s", ExpectedVersion::StreamExists, 0);
    must(
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 1, 1))
            .await,
    );
    let result = must(
        store
            .append(
                "s",
                ExpectedVersion::StreamExists,
                numbered_events("N", 2, 1),
            )
            .await,
    );
    assert_eq!(result.stream_version, 2);
}

/// `Exact(n)` succeeds only at version `n`, including `Exact(0)` for a new stream.
pub async fn expected_version_exact<S: ConformingStore>(store: &S) {
    must(
        store
            .append("s", ExpectedVersion::Exact(0), numbered_events("N", 1, 2))
            .await,
    );
    let error = store
        .append("s", ExpectedVersion::Exact(1), numbered_events("N", 3, 1))
        .await;
    assert_conflict(error, "s", ExpectedVersion::Exact(1), 2);
    let error = store
        .append("s", ExpectedVersion::Exact(5), numbered_events("N", 3, 1))
        .await;
    assert_conflict(error, "s", ExpectedVersion::Exact(5), 2);
    let result = must(
        store
            .append("s", ExpectedVersion::Exact(2), numbered_events("N", 3, 1))
            .await,
    );
    assert_eq!(result.stream_version, 3);
}

/// A refused append writes none of its events.
pub async fn conflict_leaves_no_partial_append<S: ConformingStore>(store: &S) {
    must(
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 1, 1))
            .await,
    );
    let head = must(store.head_position().await);
    let error = store
        .append("s", ExpectedVersion::Exact(0), numbered_events("N", 2, 5))
        .await;
    assert_conflict(error, "s", ExpectedVersion::Exact(0), 1);
    assert_eq!(must(store.stream_version("s").await), 1);
    assert_eq!(must(store.read_stream("s", 1, 100).await).len(), 1);
    let all = must(store.read_all(crate::ReadAll::from_position(0)).await);
    assert_eq!(all.len(), 1);
    assert_eq!(must(store.head_position().await), head);
}

#[track_caller]
pub(super) fn must<T>(result: Result<T, StoreError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("store operation failed: {error} ({error:?})"),
    }
}

/// The log as read holds every stored event once, in increasing positions. A store
/// may leave positions unused where an append failed or was abandoned (PostgreSQL
/// takes them from a sequence), so `stored` counts events, not positions.
#[track_caller]
pub(super) fn assert_log_in_order(positions: &[u64], stored: u64) {
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions out of order or repeated: {positions:?}"
    );
    assert_eq!(positions.len() as u64, stored, "events in the log");
}

#[track_caller]
pub(super) fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    stream: &str,
    expected_version: ExpectedVersion,
    actual_version: u64,
) {
    match result {
        Err(StoreError::WrongExpectedVersion {
            stream_id,
            expected,
            actual,
        }) => {
            assert_eq!(stream_id, stream);
            assert_eq!(expected, expected_version);
            assert_eq!(
                actual, actual_version,
                "the conflict must report the stream's actual version"
            );
        }
        other => panic!(
            "expected a conflict (expected {expected_version}, actual {actual_version}), got {other:?}"
        ),
    }
}

/// One event id twice in one append is refused before anything is written, with
/// the same error on every store.
pub async fn an_event_id_twice_in_one_append_is_refused<S: ConformingStore>(store: &S) {
    let event = new_event("Opened", json!({}));
    let refused = store
        .append(
            "s",
            ExpectedVersion::NoStream,
            vec![event.clone(), new_event("Other", json!({})), event.clone()],
        )
        .await;
    match refused {
        Err(StoreError::DuplicateEventId {
            event_id,
            stream_id,
            existing_stream,
        }) => {
            assert_eq!(event_id, event.event_id);
            assert_eq!((stream_id.as_str(), existing_stream.as_str()), ("s", "s"));
        }
        other => panic!("expected DuplicateEventId, got {other:?}"),
    }
    assert_eq!(must(store.stream_version("s").await), 0);
    assert_eq!(must(store.head_position().await), 0);
    must(
        store
            .append("s", ExpectedVersion::NoStream, vec![event])
            .await,
    );
}

/// Every `u32` event version is stored and read back as it was given.
pub async fn event_versions_up_to_u32_max_round_trip<S: ConformingStore>(store: &S) {
    let versions = [
        1,
        i32::MAX as u32,
        i32::MAX as u32 + 1,
        u32::MAX - 1,
        u32::MAX,
    ];
    let events: Vec<_> = versions
        .iter()
        .map(|&v| crate::envelope::NewEvent::new("Versioned", v, json!({ "v": v })))
        .collect();
    must(store.append("s", ExpectedVersion::NoStream, events).await);
    let read = must(store.read_stream("s", 1, 10).await);
    let stored: Vec<u32> = read.iter().map(|e| e.header.event_version).collect();
    assert_eq!(stored, versions);
    let all = must(
        store
            .read_all(crate::store::ReadAll::from_position(1).only(["Versioned"]))
            .await,
    );
    assert_eq!(all.last().map(|e| e.header.event_version), Some(u32::MAX));
}

/// Streams are listed by prefix, in id order, a page at a time, with their versions.
pub async fn streams_are_listed_by_prefix_in_id_order<S: ConformingStore>(store: &S) {
    for (stream, count) in [
        ("cart-b", 2),
        ("order-1", 1),
        ("cart-a", 3),
        ("cart-é", 1),
        ("carts", 1),
    ] {
        must(
            store
                .append(
                    stream,
                    ExpectedVersion::NoStream,
                    numbered_events("N", 1, count),
                )
                .await,
        );
    }
    let list = |query: crate::ListStreams| async move {
        must(store.list_streams(query).await)
            .into_iter()
            .map(|s| (s.stream_id, s.version))
            .collect::<Vec<_>>()
    };
    let carts = crate::ListStreams::with_prefix("cart-");
    assert_eq!(
        list(carts.clone()).await,
        [
            ("cart-a".into(), 3),
            ("cart-b".into(), 2),
            ("cart-é".into(), 1)
        ]
    );
    assert_eq!(list(carts.clone().limit(1)).await, [("cart-a".into(), 3)]);
    assert_eq!(
        list(carts.clone().after("cart-a").limit(1)).await,
        [("cart-b".into(), 2)]
    );
    assert!(list(carts.after("cart-é")).await.is_empty());
    assert_eq!(list(crate::ListStreams::with_prefix("")).await.len(), 5);
    assert!(
        list(crate::ListStreams::with_prefix("nothing-"))
            .await
            .is_empty()
    );
}
