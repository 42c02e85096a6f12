//! One command at a time per stream within a repository: commands of one process
//! never race each other on a stream's version; only other processes can.
//!
//! A stream nobody is working on costs one map insert and remove under a short lock
//! (no allocation: streams are keyed by a hash of their id; two ids with the same
//! hash merely take turns). Waiters queue in arrival order. A waiter may leave a job
//! with its place: the command holding the stream can then take the jobs at the
//! front of the queue and answer them itself (deciding them together, in one
//! append); otherwise the finishing command hands the turn to the next waiter.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// What a waiter is handed: the stream, or its answer.
pub(super) enum Handoff<R> {
    /// The stream is the waiter's: it runs its command itself.
    Turn,
    /// The holder ran the waiter's job; here is its outcome.
    Done(R),
}

/// What taking a turn came to.
pub(super) enum Taken<'a, J, R> {
    /// The caller holds the stream.
    Turn(Turn<'a, J, R>),
    /// Another command ran the caller's job.
    Done(R),
    /// The command that took the caller's job went away before it answered (its
    /// caller gave up): the job may or may not have been written. The caller takes
    /// a turn again and finds out by the job's command id.
    Lost,
}

struct Waiter<J, R> {
    hand: oneshot::Sender<Handoff<R>>,
    job: Option<J>,
}

type Queues<J, R> = HashMap<u64, VecDeque<Waiter<J, R>>>;

/// The streams with a command running, each with the commands waiting for it.
pub(super) struct StreamTurns<J, R> {
    busy: Mutex<Queues<J, R>>,
    hasher: RandomState,
}

impl<J, R> Default for StreamTurns<J, R> {
    fn default() -> Self {
        StreamTurns {
            busy: Mutex::new(HashMap::new()),
            hasher: RandomState::new(),
        }
    }
}

/// A command's turn on a stream; the next waiting command goes when it is dropped.
pub(super) struct Turn<'a, J, R> {
    turns: &'a StreamTurns<J, R>,
    key: u64,
}

/// A job taken from the queue by the turn's holder, with where its answer goes.
pub(super) struct Batched<J, R> {
    pub(super) job: J,
    reply: oneshot::Sender<Handoff<R>>,
}

impl<J, R> Batched<J, R> {
    /// Gives the waiter its outcome.
    pub(super) fn answer(self, outcome: R) {
        let _ = self.reply.send(Handoff::Done(outcome));
    }
}

/// A command waiting for its turn. Dropped while waiting (its caller gave up), it
/// passes on a turn it was handed in the meantime.
struct Waiting<'a, J, R> {
    turns: &'a StreamTurns<J, R>,
    key: u64,
    handed: Option<oneshot::Receiver<Handoff<R>>>,
}

impl<J, R> StreamTurns<J, R> {
    fn busy(&self) -> MutexGuard<'_, Queues<J, R>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the commands before this one on the stream (first come, first
    /// served), then holds the stream until the returned turn is dropped; or, when
    /// the holder ran `job` meanwhile, returns its outcome.
    pub(super) async fn take(&self, stream_id: &str, job: Option<J>) -> Taken<'_, J, R> {
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
                    waiting.push_back(Waiter { hand, job });
                    Some(handed)
                }
            }
        };
        let Some(handed) = handed else {
            return Taken::Turn(Turn { turns: self, key });
        };
        let mut waiting = Waiting {
            turns: self,
            key,
            handed: Some(handed),
        };
        let handoff = match waiting.handed.as_mut() {
            Some(handed) => handed.await.ok(),
            None => None,
        };
        waiting.handed = None;
        match handoff {
            Some(Handoff::Turn) => Taken::Turn(Turn { turns: self, key }),
            Some(Handoff::Done(outcome)) => Taken::Done(outcome),
            None => Taken::Lost,
        }
    }

    /// Hands the stream to the next waiter still waiting, or frees it.
    fn release(&self, key: u64) {
        let mut busy = self.busy();
        let Some(waiting) = busy.get_mut(&key) else {
            return;
        };
        while let Some(next) = waiting.pop_front() {
            if next.hand.send(Handoff::Turn).is_ok() {
                return;
            }
        }
        busy.remove(&key);
    }
}

impl<J, R> Turn<'_, J, R> {
    /// Takes up to `max` jobs from the front of the queue, in order, stopping at a
    /// waiter without one; waiters whose callers gave up are dropped.
    pub(super) fn take_batch(&self, max: usize) -> Vec<Batched<J, R>> {
        let mut busy = self.turns.busy();
        let mut batch = Vec::new();
        let Some(waiting) = busy.get_mut(&self.key) else {
            return batch;
        };
        while batch.len() < max {
            let Some(front) = waiting.front() else {
                break;
            };
            if front.hand.is_closed() {
                waiting.pop_front();
                continue;
            }
            if front.job.is_none() {
                break;
            }
            let Some(Waiter {
                hand,
                job: Some(job),
            }) = waiting.pop_front()
            else {
                break;
            };
            batch.push(Batched { job, reply: hand });
        }
        batch
    }

    /// Puts jobs back at the front of the queue, in their order, unanswered.
    pub(super) fn give_back(&self, batch: Vec<Batched<J, R>>) {
        let mut busy = self.turns.busy();
        let waiting = busy.entry(self.key).or_default();
        for Batched { job, reply } in batch.into_iter().rev() {
            waiting.push_front(Waiter {
                hand: reply,
                job: Some(job),
            });
        }
    }
}

impl<J, R> Drop for Turn<'_, J, R> {
    fn drop(&mut self) {
        self.turns.release(self.key);
    }
}

impl<J, R> Drop for Waiting<'_, J, R> {
    fn drop(&mut self) {
        let Some(mut handed) = self.handed.take() else {
            return;
        };
        // After `close`, a hand-over either already happened (and is received here)
        // or fails, and the holder moves on to the next waiter.
        handed.close();
        if let Ok(Handoff::Turn) = handed.try_recv() {
            self.turns.release(self.key);
        }
    }
}
