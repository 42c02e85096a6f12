//! The in-memory store's snapshots, views, inline documents and leases.

use std::sync::{Arc, PoisonError};

use super::InMemoryEventStore;
use crate::inline::{InlineView, StoredDocument};
use crate::store::{
    DocumentStore, InlineViews, Leases, Snapshot, SnapshotStore, StoreError, StoredView, ViewStore,
};

impl SnapshotStore for InMemoryEventStore {
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.write()
            .snapshots
            .insert(snapshot.stream_id.clone(), snapshot);
        Ok(())
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.read().snapshots.get(stream_id).cloned())
    }
}

impl ViewStore for InMemoryEventStore {
    async fn load_view(&self, name: &str) -> Result<Option<StoredView>, StoreError> {
        Ok(self.read().views.get(name).cloned())
    }

    async fn save_view(&self, name: &str, view: StoredView) -> Result<(), StoreError> {
        let mut state = self.write();
        let stored = state
            .views
            .entry(name.to_owned())
            .or_insert_with(|| view.clone());
        if view.position >= stored.position {
            *stored = view;
        }
        Ok(())
    }

    async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        self.write().views.remove(name);
        Ok(())
    }
}

impl InlineViews for InMemoryEventStore {
    fn register_inline(&self, view: impl InlineView) -> bool {
        self.inline.register(view)
    }
}

impl DocumentStore for InMemoryEventStore {
    async fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        Ok(self.read().document(view, key))
    }

    async fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> Result<(), StoreError> {
        self.write()
            .documents
            .insert(view.to_owned(), documents.into_iter().collect());
        Ok(())
    }
}

/// A lease on a projection within this process.
#[derive(Debug)]
pub struct MemoryLease {
    name: String,
    leases: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        self.leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.name);
    }
}

impl Leases for InMemoryEventStore {
    type Lease = MemoryLease;

    async fn try_lease(&self, name: &str) -> Result<Option<MemoryLease>, StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if !leases.insert(name.to_owned()) {
            return Ok(None);
        }
        Ok(Some(MemoryLease {
            name: name.to_owned(),
            leases: self.leases.clone(),
        }))
    }

    async fn lost(_: &mut MemoryLease) {
        std::future::pending::<()>().await
    }

    async fn release(lease: MemoryLease) {
        drop(lease);
    }
}
