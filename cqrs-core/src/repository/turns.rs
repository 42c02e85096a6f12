//! One command at a time per stream within a repository: commands of one process
//! never race each other on a stream's version; only other processes can.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// The streams with a command running or waiting, each with its queue.
#[derive(Default)]
pub(super) struct StreamTurns {
    queues: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A command's turn on a stream; the next waiting command goes when it is dropped.
pub(super) struct Turn<'a> {
    turns: &'a StreamTurns,
    stream_id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl StreamTurns {
    /// Waits for the commands before this one on the stream (first come, first
    /// served), then holds the stream until the returned turn is dropped.
    pub(super) async fn take(&self, stream_id: &str) -> Turn<'_> {
        let queue = self
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(stream_id.to_owned())
            .or_default()
            .clone();
        let guard = queue.lock_owned().await;
        Turn {
            turns: self,
            stream_id: stream_id.to_owned(),
            guard: Some(guard),
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut queues = self
            .turns
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        drop(self.guard.take());
        // Nobody else holds or waits for the queue: forget it, so the map holds
        // only busy streams.
        if queues
            .get(&self.stream_id)
            .is_some_and(|queue| Arc::strong_count(queue) == 1)
        {
            queues.remove(&self.stream_id);
        }
    }
}
