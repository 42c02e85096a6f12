//! When and how a repository keeps snapshots of its aggregates.

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::aggregate::Aggregate;
use crate::store::{Snapshot, SnapshotStore, StoreError};

type LoadSnapshot =
    Box<dyn Fn(String) -> BoxFuture<'static, Result<Option<Snapshot>, StoreError>> + Send + Sync>;
type SaveSnapshot =
    Box<dyn Fn(Snapshot) -> BoxFuture<'static, Result<(), StoreError>> + Send + Sync>;

/// The snapshot policy of a repository (see `Repository::with_snapshots`).
pub(super) struct SnapshotPolicy<A: Aggregate> {
    /// Save once this many events were applied past the last snapshot.
    pub(super) every: u64,
    load: LoadSnapshot,
    save: SaveSnapshot,
    encode: fn(&A) -> Result<serde_json::Value, serde_json::Error>,
    decode: fn(serde_json::Value) -> Result<A, serde_json::Error>,
}

impl<A: Aggregate> SnapshotPolicy<A> {
    pub(super) fn new<S>(store: S, every: u64) -> Self
    where
        S: SnapshotStore + Clone,
        A: Serialize + DeserializeOwned,
    {
        let (loading, saving) = (store.clone(), store);
        SnapshotPolicy {
            every: every.max(1),
            load: Box::new(move |stream_id| {
                let store = loading.clone();
                Box::pin(async move { store.load_snapshot(&stream_id).await })
            }),
            save: Box::new(move |snapshot| {
                let store = saving.clone();
                Box::pin(async move { store.save_snapshot(snapshot).await })
            }),
            encode: |state| serde_json::to_value(state),
            decode: serde_json::from_value,
        }
    }

    /// The stream's snapshot, when there is one this code can use: one of another
    /// state version, or one that does not decode, is logged and ignored.
    pub(super) async fn load(&self, stream_id: &str) -> Result<Option<(A, u64)>, StoreError> {
        let Some(snapshot) = (self.load)(stream_id.to_owned()).await? else {
            return Ok(None);
        };
        if snapshot.state_version != A::STATE_VERSION {
            tracing::info!(
                stream_id,
                version = snapshot.version,
                "ignoring a snapshot of state version {} (this code is at {}); replaying the stream",
                snapshot.state_version,
                A::STATE_VERSION
            );
            return Ok(None);
        }
        match (self.decode)(snapshot.state) {
            Ok(state) => Ok(Some((state, snapshot.version))),
            Err(error) => {
                tracing::warn!(
                    stream_id,
                    version = snapshot.version,
                    "ignoring a snapshot that does not decode, replaying the stream: {error}"
                );
                Ok(None)
            }
        }
    }

    /// Saves `state` at `version`; a failure is logged, never a failed command.
    pub(super) async fn save(&self, stream_id: &str, version: u64, state: &A) {
        let saved = match (self.encode)(state) {
            Ok(state) => {
                let snapshot = Snapshot {
                    stream_id: stream_id.to_owned(),
                    version,
                    state_version: A::STATE_VERSION,
                    state,
                };
                (self.save)(snapshot).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = saved {
            tracing::warn!(stream_id, version, "could not save a snapshot: {error}");
        }
    }
}
