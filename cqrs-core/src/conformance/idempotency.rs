use super::append::must;
use super::{ConformingStore, numbered_events};
use crate::store::StoreError;
use crate::version::ExpectedVersion;

/// Each id is found where it was stored, in the order asked; unknown ids are `None`.
pub async fn events_are_located_by_id<S: ConformingStore>(store: &S) {
    let first = numbered_events("L", 1, 2);
    let second = numbered_events("L", 3, 1);
    must(
        store
            .append("located", ExpectedVersion::NoStream, first.clone())
            .await,
    );
    let other = must(
        store
            .append("other", ExpectedVersion::NoStream, second.clone())
            .await,
    );
    let unknown = uuid::Uuid::new_v4();
    let ids = [
        second[0].event_id,
        unknown,
        first[1].event_id,
        first[0].event_id,
    ];
    let found = must(store.locate_events(&ids).await);
    let places: Vec<Option<(String, u64)>> = found
        .iter()
        .map(|f| f.as_ref().map(|f| (f.stream_id.clone(), f.stream_version)))
        .collect();
    assert_eq!(
        places,
        [
            Some(("other".to_owned(), 1)),
            None,
            Some(("located".to_owned(), 2)),
            Some(("located".to_owned(), 1)),
        ]
    );
    assert_eq!(
        found[0].as_ref().map(|f| f.position),
        Some(other.positions[0])
    );
    assert!(must(store.locate_events(&[]).await).is_empty());
}

/// Appending the same events (same ids) again writes nothing and returns the
/// original result, whatever the expected version says.
pub async fn idempotent_append_by_event_id<S: ConformingStore>(store: &S) {
    let events = numbered_events("N", 1, 3);
    let first = must(
        store
            .append("s", ExpectedVersion::NoStream, events.clone())
            .await,
    );
    must(
        store
            .append("s", ExpectedVersion::Exact(3), numbered_events("N", 4, 1))
            .await,
    );
    let again = must(store.append("s", ExpectedVersion::NoStream, events).await);
    assert!(
        again.duplicate,
        "a repeated append must be reported as a duplicate"
    );
    assert_eq!(again.positions, first.positions);
    assert_eq!(again.stream_version, first.stream_version);
    assert_eq!(must(store.stream_version("s").await), 4);
    assert_eq!(must(store.read_stream("s", 1, 100).await).len(), 4);
}

/// An append mixing stored and new ids is neither new nor a retry: refused, nothing written.
pub async fn partially_repeated_event_ids_are_refused<S: ConformingStore>(store: &S) {
    let events = numbered_events("N", 1, 2);
    must(
        store
            .append("s", ExpectedVersion::NoStream, events.clone())
            .await,
    );
    let mut mixed = numbered_events("N", 3, 1);
    mixed.push(events[1].clone());
    let error = store.append("s", ExpectedVersion::Exact(2), mixed).await;
    match error {
        Err(StoreError::DuplicateEventId { event_id, .. }) => {
            assert_eq!(event_id, events[1].event_id)
        }
        other => panic!("expected a duplicate event id error, got {other:?}"),
    }
    assert_eq!(must(store.stream_version("s").await), 2);
}

/// An event id stored in one stream cannot be appended to another.
pub async fn event_id_reused_in_another_stream_is_refused<S: ConformingStore>(store: &S) {
    let events = numbered_events("N", 1, 1);
    must(
        store
            .append("first", ExpectedVersion::NoStream, events.clone())
            .await,
    );
    let error = store
        .append("second", ExpectedVersion::NoStream, events)
        .await;
    match error {
        Err(StoreError::DuplicateEventId {
            existing_stream, ..
        }) => assert_eq!(existing_stream, "first"),
        other => panic!("expected a duplicate event id error, got {other:?}"),
    }
    assert_eq!(must(store.stream_version("second").await), 0);
}
