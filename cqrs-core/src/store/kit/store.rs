//! A store built from the kit gets the store traits written once: appends through
//! its group committer, reads through its reader, inline views and documents.

use super::group_commit::{GroupCommit, Transactional};
use super::tx::{ReadTx, WriteTx};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::inline::{InlineView, StoredDocument};
use crate::store::{
    AppendResult, DocumentStore, EventStore, InlineViews, ListStreams, ReadAll, StoreError,
    StoredId, StreamSummary,
};
use crate::version::ExpectedVersion;

/// A store whose appends go through a [`GroupCommit`]: implementing it is all a store
/// crate writes to have [`EventStore`], [`InlineViews`] and [`DocumentStore`].
pub trait KitStore: Clone + Send + Sync + 'static {
    /// The store's transactions and reads.
    type Backend: Transactional;

    /// The store's group committer.
    fn committer(&self) -> &GroupCommit<Self::Backend>;
}

impl<S: KitStore> EventStore for S {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        self.committer().append(stream_id, expected, events).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.read_stream(stream_id, from_version, max_count).await
    }

    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.read_all(&query).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.stream_version(stream_id).await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.head_position().await
    }

    async fn list_streams(&self, query: ListStreams) -> Result<Vec<StreamSummary>, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.list_streams(&query).await
    }

    async fn locate_events(
        &self,
        event_ids: &[uuid::Uuid],
    ) -> Result<Vec<Option<StoredId>>, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.locate(event_ids).await
    }
}

impl<S: KitStore> InlineViews for S {
    fn register_inline(&self, view: impl InlineView) -> bool {
        self.committer().inline().register(view)
    }
}

impl<S: KitStore> DocumentStore for S {
    async fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let mut reader = self.committer().backend().reader().await?;
        reader.load_document(view, key).await
    }

    /// In one write transaction: readers see the old documents or the new ones.
    async fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> Result<(), StoreError> {
        let backend = self.committer().backend();
        let mut tx = backend.begin().await?;
        tx.delete_documents(view).await?;
        for (key, document) in &documents {
            tx.save_document(view, key, document).await?;
        }
        backend.commit(tx).await
    }
}
