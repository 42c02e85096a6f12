//! Inline views: one document per stream, updated in the same transaction as each
//! append to that stream, so a query right after a command reads its own write.
//!
//! ```
//! # use cqrs_core::doc_example::*;
//! use cqrs_core::inline::{DocumentStore, InlineViews, StreamDocuments};
//! use cqrs_core::{InMemoryEventStore, Repository};
//!
//! # pollster::block_on(async {
//! let store = InMemoryEventStore::new();
//! store.register_inline(StreamDocuments::<ItemCount>::new());
//! let carts = Repository::<Cart, _>::new(store.clone());
//! carts.execute("7", CartCommand::AddItem { sku: "apple".into(), quantity: 2 }).await?;
//!
//! let document = store.load_document("item_count", "cart-7").await?.unwrap();
//! assert_eq!(document.version, 1);
//! assert_eq!(StreamDocuments::<ItemCount>::decode(document)?.items, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::projection::{HandlerError, Projection};
use crate::store::StoreError;

/// A read model with one document per stream, kept by the store inside each append.
///
/// A failing `apply` fails the append: nothing is written. Keep inline views small
/// and certain; anything that may fail or is slow belongs in a catch-up projection.
pub trait InlineView: Send + Sync + 'static {
    /// The view's stable name.
    fn name(&self) -> &str;

    /// Whether an event with this persisted name changes the view.
    fn handles(&self, event_name: &str) -> bool;

    /// The stream's new document, from its current one (`None` for a new stream) and
    /// the events being appended.
    fn apply(
        &self,
        document: Option<serde_json::Value>,
        events: &[RecordedEvent],
    ) -> Result<serde_json::Value, HandlerError>;
}

/// A stored inline document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    /// The stream version the document reflects: its `ETag`.
    pub version: u64,
    /// The global position of the last event it reflects.
    pub position: u64,
    /// The document.
    pub state: serde_json::Value,
}

/// Stores that keep inline views.
pub trait InlineViews {
    /// Keeps `view` up to date inside every later append.
    fn register_inline(&self, view: impl InlineView);
}

/// Reads and writes inline documents.
pub trait DocumentStore: Send + Sync + 'static {
    /// The view's document for a stream.
    fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredDocument>, StoreError>> + Send;

    /// Replaces every document of a view (a rebuild).
    fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// An inline view from a derived [`Projection`]: one instance per stream, stored as
/// JSON.
pub struct StreamDocuments<P> {
    name: String,
    projection: PhantomData<fn() -> P>,
}

impl<P> StreamDocuments<P>
where
    P: Projection + Default + Serialize + DeserializeOwned,
{
    /// The view named after the projection.
    pub fn new() -> Self {
        StreamDocuments {
            name: P::NAME.to_owned(),
            projection: PhantomData,
        }
    }

    /// Reads a stored document back into the projection type.
    pub fn decode(document: StoredDocument) -> Result<P, StoreError> {
        serde_json::from_value(document.state).map_err(|e| StoreError::Corrupt {
            position: document.position,
            reason: format!("document of view `{}` does not decode: {e}", P::NAME),
        })
    }
}

impl<P> Default for StreamDocuments<P>
where
    P: Projection + Default + Serialize + DeserializeOwned,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<P> InlineView for StreamDocuments<P>
where
    P: Projection + Default + Serialize + DeserializeOwned,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn handles(&self, event_name: &str) -> bool {
        P::handles(event_name)
    }

    fn apply(
        &self,
        document: Option<serde_json::Value>,
        events: &[RecordedEvent],
    ) -> Result<serde_json::Value, HandlerError> {
        let mut state: P = match document {
            Some(document) => serde_json::from_value(document)?,
            None => P::default(),
        };
        for recorded in events.iter().filter(|e| P::handles(&e.header.event_name)) {
            if let Some(event) = P::decode_event(&recorded.header, recorded.payload.clone())? {
                state.project(&recorded.header, event)?;
            }
        }
        Ok(serde_json::to_value(&state)?)
    }
}

/// The registered inline views of a store.
#[derive(Default, Clone)]
pub struct InlineRegistry {
    views: Arc<std::sync::RwLock<Vec<Arc<dyn InlineView>>>>,
}

impl std::fmt::Debug for InlineRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.views().iter().map(|v| v.name().to_owned()).collect();
        f.debug_struct("InlineRegistry")
            .field("views", &names)
            .finish()
    }
}

impl InlineRegistry {
    /// Adds a view.
    pub fn register(&self, view: impl InlineView) {
        self.views
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Arc::new(view));
    }

    /// The views that handle at least one of these events.
    pub fn views_for(&self, events: &[NewEvent]) -> Vec<Arc<dyn InlineView>> {
        self.views()
            .into_iter()
            .filter(|v| events.iter().any(|e| v.handles(&e.event_name)))
            .collect()
    }

    fn views(&self) -> Vec<Arc<dyn InlineView>> {
        self.views
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The events of an append as they will be stored, for inline views.
pub fn recorded(
    stream_id: &str,
    first_version: u64,
    positions: &[u64],
    recorded_at: chrono::DateTime<chrono::Utc>,
    events: &[NewEvent],
) -> Vec<RecordedEvent> {
    events
        .iter()
        .zip(positions)
        .enumerate()
        .map(|(index, (event, &position))| RecordedEvent {
            header: EventHeader {
                stream_id: stream_id.to_owned(),
                stream_version: first_version + index as u64,
                position,
                event_id: event.event_id,
                event_name: event.event_name.clone(),
                event_version: event.event_version,
                recorded_at,
                metadata: event.metadata.clone(),
            },
            payload: event.payload.clone(),
        })
        .collect()
}

/// The error for a view that refused an append.
pub fn refused(view: &dyn InlineView, stream_id: &str, source: HandlerError) -> StoreError {
    StoreError::InlineView {
        view: view.name().to_owned(),
        stream_id: stream_id.to_owned(),
        source,
    }
}

/// Rebuilds an inline view from the whole log: for a view added after events were
/// stored, or whose handlers changed. Returns the number of documents written.
pub async fn rebuild_documents<S>(
    store: &S,
    view: &dyn InlineView,
    names: Vec<String>,
) -> Result<usize, StoreError>
where
    S: crate::store::EventStore + DocumentStore,
{
    let mut documents: std::collections::HashMap<String, StoredDocument> = Default::default();
    let mut from = 1;
    loop {
        let page = store
            .read_all(
                crate::ReadAll::from_position(from)
                    .limit(1_000)
                    .only(names.clone()),
            )
            .await?;
        let Some(last) = page.last().map(|e| e.header.position) else {
            break;
        };
        for recorded in page {
            let stream = recorded.header.stream_id.clone();
            let (version, position) = (recorded.header.stream_version, recorded.header.position);
            let current = documents.remove(&stream).map(|d| d.state);
            let state = view
                .apply(current, std::slice::from_ref(&recorded))
                .map_err(|source| refused(view, &stream, source))?;
            documents.insert(
                stream,
                StoredDocument {
                    version,
                    position,
                    state,
                },
            );
        }
        from = last + 1;
    }
    let count = documents.len();
    store
        .replace_documents(view.name(), documents.into_iter().collect())
        .await?;
    Ok(count)
}
