//! Inline views: one document per stream, updated in the same transaction as each
//! append to that stream, so a query right after a command reads its own write.
//!
//! ```
//! # use cqrs_core::doc_example::*;
//! use cqrs_core::inline::StreamDocuments;
//! use cqrs_core::{DocumentStore, InMemoryEventStore, InlineViews, Repository};
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

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::envelope::RecordedEvent;
use crate::projection::{HandlerError, Projection};
use crate::store::{DocumentStore, EventStore, StoreError};

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
            if let Some(event) = P::decode_event(&recorded.header, &recorded.payload)? {
                state.project(&recorded.header, event)?;
            }
        }
        Ok(serde_json::to_value(&state)?)
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
    S: EventStore + DocumentStore,
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
            let stream = recorded.header.stream_id.to_string();
            let (version, position) = (recorded.header.stream_version, recorded.header.position);
            let current = documents.remove(&stream).map(|d| d.state);
            let state = view
                .apply(current, std::slice::from_ref(&recorded))
                .map_err(|source| StoreError::InlineView {
                    view: view.name().to_owned(),
                    stream_id: stream.clone(),
                    source,
                })?;
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
