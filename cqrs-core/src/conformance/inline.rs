use serde_json::json;

use super::append::{assert_conflict, must};
use super::{ConformingStore, new_event, payload_field};
use crate::envelope::RecordedEvent;
use crate::inline::{InlineView, rebuild_documents};
use crate::projection::HandlerError;
use crate::store::StoreError;
use crate::version::ExpectedVersion;

/// Counts a stream's `Counted` events; refuses an event whose payload says `"refuse": true`.
pub(super) struct Counter;

impl InlineView for Counter {
    fn name(&self) -> &str {
        "counter"
    }

    fn handles(&self, event_name: &str) -> bool {
        event_name == "Counted"
    }

    fn apply(
        &self,
        document: Option<serde_json::Value>,
        events: &[RecordedEvent],
    ) -> Result<serde_json::Value, HandlerError> {
        let mut count = document.and_then(|d| d["count"].as_u64()).unwrap_or(0);
        let mut last = 0;
        for event in events.iter().filter(|e| e.header.event_name == "Counted") {
            if payload_field(&event.payload, "refuse") == json!(true) {
                return Err(format!(
                    "refused the event at version {}",
                    event.header.stream_version
                )
                .into());
            }
            count += 1;
            last = event.header.stream_version;
        }
        Ok(json!({ "count": count, "last_version": last }))
    }
}

pub(super) fn counted() -> crate::envelope::NewEvent {
    new_event("Counted", json!({}))
}

/// The stream's document changes with each append that carries handled events, and
/// not with a refused one.
pub async fn inline_documents_change_with_the_append<S: ConformingStore>(store: &S) {
    store.register_inline(Counter);
    must(
        store
            .append(
                "a",
                ExpectedVersion::NoStream,
                vec![counted(), new_event("Other", json!({})), counted()],
            )
            .await,
    );
    let document = must(store.load_document("counter", "a").await)
        .unwrap_or_else(|| panic!("no document for `a`"));
    assert_eq!(document.version, 3);
    assert_eq!(document.state, json!({ "count": 2, "last_version": 3 }));

    let conflict = store
        .append("a", ExpectedVersion::Exact(1), vec![counted()])
        .await;
    assert_conflict(conflict, "a", ExpectedVersion::Exact(1), 3);
    must(
        store
            .append(
                "a",
                ExpectedVersion::Exact(3),
                vec![new_event("Other", json!({}))],
            )
            .await,
    );
    let unchanged =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(
        unchanged.version, 3,
        "an append without handled events leaves the document"
    );
    must(
        store
            .append("a", ExpectedVersion::Exact(4), vec![counted()])
            .await,
    );
    let document =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(
        (document.version, document.state["count"].clone()),
        (5, json!(3))
    );
    assert_eq!(must(store.load_document("counter", "b").await), None);
}

/// A view that refuses an event refuses the whole append: no event, no document.
pub async fn a_refusing_inline_view_refuses_the_append<S: ConformingStore>(store: &S) {
    store.register_inline(Counter);
    must(
        store
            .append("a", ExpectedVersion::NoStream, vec![counted()])
            .await,
    );
    let head = must(store.head_position().await);
    let refused = store
        .append(
            "a",
            ExpectedVersion::Exact(1),
            vec![counted(), new_event("Counted", json!({ "refuse": true }))],
        )
        .await;
    match refused {
        Err(StoreError::InlineView {
            view,
            stream_id,
            source,
        }) => {
            assert_eq!((view.as_str(), stream_id.as_str()), ("counter", "a"));
            assert!(source.to_string().contains("version 3"), "{source}");
        }
        other => panic!("expected the view to refuse the append, got {other:?}"),
    }
    assert_eq!(must(store.stream_version("a").await), 1);
    assert_eq!(must(store.head_position().await), head);
    let document =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(document.state["count"], 1);
}

/// Rebuilding a view from the log gives the documents the appends built.
pub async fn inline_documents_rebuild_from_the_log<S: ConformingStore>(store: &S) {
    for (stream, n) in [("a", 3), ("b", 1), ("c", 2)] {
        let events = (0..n).map(|_| counted()).collect();
        must(
            store
                .append(stream, ExpectedVersion::NoStream, events)
                .await,
        );
    }
    let written = must(rebuild_documents(store, &Counter, vec!["Counted".into()]).await);
    assert_eq!(written, 3);
    let a =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(
        (a.version, a.state.clone()),
        (3, json!({ "count": 3, "last_version": 3 }))
    );
    let c =
        must(store.load_document("counter", "c").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(c.state["count"], 2);
}

/// Registering a view a second time changes nothing: each event counts once.
pub async fn registering_an_inline_view_twice_counts_once<S: ConformingStore>(store: &S) {
    assert!(store.register_inline(Counter), "the first registration");
    assert!(!store.register_inline(Counter), "the second registration");
    must(
        store
            .append("a", ExpectedVersion::NoStream, vec![counted(), counted()])
            .await,
    );
    let document =
        must(store.load_document("counter", "a").await).unwrap_or_else(|| panic!("no document"));
    assert_eq!(
        (document.version, document.state["count"].clone()),
        (2, json!(2))
    );
}
