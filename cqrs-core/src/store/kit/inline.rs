//! Inline views inside an append: which views an append touches, and bringing each
//! stream's document to the new stream version, from the log when it fell behind.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};

use super::tx::{ReadTx, WriteTx};
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::inline::{InlineView, StoredDocument};
use crate::projection::HandlerError;
use crate::store::StoreError;

/// Events read at a time when a document catches up with its stream.
const CATCH_UP_PAGE: usize = 1_000;

/// The inline views registered on one store handle, at most one per name.
#[derive(Default, Clone)]
pub struct InlineRegistry {
    views: Arc<RwLock<Vec<Arc<dyn InlineView>>>>,
}

impl std::fmt::Debug for InlineRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let views = self.views.read().unwrap_or_else(PoisonError::into_inner);
        let names: Vec<&str> = views.iter().map(|v| v.name()).collect();
        f.debug_struct("InlineRegistry")
            .field("views", &names)
            .finish()
    }
}

impl InlineRegistry {
    /// Adds a view; `false`, and nothing changes, when one of that name is registered.
    pub fn register(&self, view: impl InlineView) -> bool {
        let mut views = self.views.write().unwrap_or_else(PoisonError::into_inner);
        if views.iter().any(|v| v.name() == view.name()) {
            tracing::warn!(
                view = view.name(),
                "inline view registered twice; kept the first"
            );
            return false;
        }
        views.push(Arc::new(view));
        true
    }

    /// The views that handle at least one of these events.
    pub fn views_for(&self, events: &[NewEvent]) -> Vec<Arc<dyn InlineView>> {
        let views = self.views.read().unwrap_or_else(PoisonError::into_inner);
        views
            .iter()
            .filter(|v| events.iter().any(|e| v.handles(&e.event_name)))
            .cloned()
            .collect()
    }
}

/// The events of an append as they will be stored, for inline views.
pub(crate) fn recorded(
    stream_id: &str,
    previous_version: u64,
    positions: &[u64],
    recorded_at: DateTime<Utc>,
    events: &[NewEvent],
) -> Vec<RecordedEvent> {
    events
        .iter()
        .zip(positions)
        .zip(previous_version + 1..)
        .map(|((event, &position), stream_version)| RecordedEvent {
            header: EventHeader {
                stream_id: stream_id.into(),
                stream_version,
                position,
                event_id: event.event_id,
                event_name: event.event_name.as_str().into(),
                event_version: event.event_version,
                recorded_at,
                metadata: event.metadata.clone(),
            },
            payload: event.payload.clone(),
        })
        .collect()
}

/// The error for a view that refused an append.
pub(crate) fn refused(view: &dyn InlineView, stream_id: &str, source: HandlerError) -> StoreError {
    StoreError::InlineView {
        view: view.name().to_owned(),
        stream_id: stream_id.to_owned(),
        source,
    }
}

/// Brings each view's document of the stream from `previous_version` to the end of
/// `appended`, inside the append's transaction.
///
/// A document is stamped with the stream version it reflects. One that is behind
/// `previous_version` (another handle appended without this view, or the view is
/// new) first applies the events it missed, read from the log in the same
/// transaction; one that is ahead of its stream is refused, never overwritten.
pub(crate) async fn update_documents<T: WriteTx>(
    tx: &mut T,
    views: &[Arc<dyn InlineView>],
    stream_id: &str,
    previous_version: u64,
    appended: &[RecordedEvent],
) -> Result<(), StoreError> {
    let (Some(last), Some(new_version)) = (
        appended.last().map(|e| e.header.position),
        appended.last().map(|e| e.header.stream_version),
    ) else {
        return Ok(());
    };
    for view in views {
        let stored = tx.reads().load_document(view.name(), stream_id).await?;
        let (mut state, mut version) = match stored {
            Some(document) => (Some(document.state), document.version),
            None => (None, 0),
        };
        if version > previous_version {
            let reason = format!(
                "its document of stream `{stream_id}` is at version {version}, ahead of the stream at version {previous_version}"
            );
            return Err(refused(&**view, stream_id, reason.into()));
        }
        while version < previous_version {
            let missed = tx
                .reads()
                .read_stream(stream_id, version + 1, CATCH_UP_PAGE)
                .await?;
            let missed: Vec<RecordedEvent> = missed
                .into_iter()
                .take_while(|e| e.header.stream_version <= previous_version)
                .collect();
            let Some(reached) = missed.last().map(|e| e.header.stream_version) else {
                break;
            };
            state = apply(&**view, stream_id, state, &missed)?;
            version = reached;
        }
        let state = apply(&**view, stream_id, state, appended)?.unwrap_or(serde_json::Value::Null);
        let document = StoredDocument {
            version: new_version,
            position: last,
            state,
        };
        tx.save_document(view.name(), stream_id, &document).await?;
    }
    Ok(())
}

/// Applies the events the view handles; a slice with none leaves the state as it is.
fn apply(
    view: &dyn InlineView,
    stream_id: &str,
    state: Option<serde_json::Value>,
    events: &[RecordedEvent],
) -> Result<Option<serde_json::Value>, StoreError> {
    if !events.iter().any(|e| view.handles(&e.header.event_name)) {
        return Ok(state);
    }
    view.apply(state, events)
        .map(Some)
        .map_err(|source| refused(view, stream_id, source))
}
