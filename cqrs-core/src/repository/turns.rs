//! One command at a time per stream within a repository: commands of one process
//! never race each other on a stream's version; only other processes can.
//!
//! A stream nobody is working on costs one map insert and remove under a short lock
//! (no allocation: streams are keyed by a hash of their id; two ids with the same
//! hash merely take turns). Waiters queue in arrival order and the finishing
//! command hands the turn to the next one directly.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// The streams with a command running, each with the commands waiting for it.
#[derive(Default)]
pub(super) struct StreamTurns {
    busy: Mutex<HashMap<u64, VecDeque<oneshot::Sender<()>>>>,
    hasher: RandomState,
}

/// A command's turn on a stream; the next waiting command goes when it is dropped.
pub(super) struct Turn<'a> {
    turns: &'a StreamTurns,
    key: u64,
}

/// A command waiting for its turn. Dropped while waiting (its caller gave up), it
/// passes on a turn it was handed in the meantime.
struct Waiting<'a> {
    turns: &'a StreamTurns,
    key: u64,
    handed: Option<oneshot::Receiver<()>>,
}

impl StreamTurns {
    fn busy(&self) -> MutexGuard<'_, HashMap<u64, VecDeque<oneshot::Sender<()>>>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the commands before this one on the stream (first come, first
    /// served), then holds the stream until the returned turn is dropped.
    pub(super) async fn take(&self, stream_id: &str) -> Turn<'_> {
        let key = self.hasher.hash_one(stream_id);
        let handed = {
            let mut busy = self.busy();
            match busy.get_mut(&key) {
                None => {
                    busy.insert(key, VecDeque::new());
                    None
                }
                Some(waiting) => {
                    let (hand, handed) = oneshot::channel();
                    waiting.push_back(hand);
                    Some(handed)
                }
            }
        };
        if let Some(handed) = handed {
            let mut waiting = Waiting {
                turns: self,
                key,
                handed: Some(handed),
            };
            if let Some(handed) = waiting.handed.as_mut() {
                // The sender is only dropped after handing over or by a holder
                // that is itself handing over: either way the turn is ours.
                let _ = handed.await;
            }
            waiting.handed = None;
        }
        Turn { turns: self, key }
    }

    /// Hands the stream to the next waiter still waiting, or frees it.
    fn release(&self, key: u64) {
        let mut busy = self.busy();
        let Some(waiting) = busy.get_mut(&key) else {
            return;
        };
        while let Some(next) = waiting.pop_front() {
            if next.send(()).is_ok() {
                return;
            }
        }
        busy.remove(&key);
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.turns.release(self.key);
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let Some(mut handed) = self.handed.take() else {
            return;
        };
        // After `close`, a hand-over either already happened (and is received here)
        // or fails, and the holder moves on to the next waiter.
        handed.close();
        if handed.try_recv().is_ok() {
            self.turns.release(self.key);
        }
    }
}
