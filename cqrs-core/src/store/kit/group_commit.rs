//! Group commit, once for every store: the appends waiting at the same moment commit
//! together in one transaction (one disk flush), each in a savepoint of its own so a
//! failing one fails alone.
//!
//! The commit runs in a task of its own, never inside a caller's future: a caller
//! that gives up (its future is dropped) while its append waits in the queue is
//! skipped, and one that gives up while its group commits takes nobody else's append
//! down with it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, PoisonError};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::append::{AppendRequest, append_in, commit_time};
use super::checks::check_append;
use super::inline::InlineRegistry;
use super::tx::WriteTx;
use crate::envelope::NewEvent;
use crate::inline::InlineView;
use crate::store::{AppendResult, StoreError};
use crate::version::ExpectedVersion;

/// Appends in one group, at most.
const MAX_GROUP: usize = 128;

/// A store's transactions, as the group committer drives them.
pub trait Transactional: Clone + Send + Sync + 'static {
    /// One open write transaction.
    type Tx: WriteTx + 'static;

    /// A connection to read through, outside any write transaction.
    fn reader(
        &self,
    ) -> impl Future<Output = Result<<Self::Tx as WriteTx>::Reads, StoreError>> + Send;

    /// Opens a write transaction (for SQLite: takes the write lock).
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, StoreError>> + Send;

    /// Commits. On failure the store must leave no connection behind in a
    /// transaction: the next `begin` works as soon as the cause is gone.
    fn commit(&self, tx: Self::Tx) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes a whole group of appends without inline views in one statement, where
    /// the store has such a statement: `Some(answers)` with, for each request, the
    /// result or `None` when that request must go the ordinary way (a conflict to
    /// explain, an id to look up). `None` when the store has no such statement or it
    /// failed as a whole.
    fn write_group(
        &self,
        group: &[&AppendRequest],
    ) -> impl Future<Output = Option<Vec<Option<AppendResult>>>> + Send {
        let _ = group;
        async { None }
    }

    /// Called after each group with the last position it committed.
    fn committed(&self, last_position: u64) {
        let _ = last_position;
    }

    /// How many groups may commit at once (on different streams): 1 where the
    /// database writes one transaction at a time (SQLite), more where concurrent
    /// transactions share disk flushes (PostgreSQL).
    fn groups_in_flight(&self) -> usize {
        1
    }
}

/// An append waiting in the queue, with where its answer goes.
struct Queued {
    request: AppendRequest,
    views: Vec<Arc<dyn InlineView>>,
    reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

/// The group committer of one store handle: its queue and its inline views.
pub struct GroupCommit<B: Transactional> {
    backend: B,
    inline: InlineRegistry,
    queue: std::sync::Mutex<Option<mpsc::UnboundedSender<Queued>>>,
}

impl<B: Transactional> std::fmt::Debug for GroupCommit<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("inline", &self.inline)
            .finish_non_exhaustive()
    }
}

impl<B: Transactional> GroupCommit<B> {
    /// A committer over `backend`; its task starts with the first append.
    pub fn new(backend: B) -> Self {
        GroupCommit {
            backend,
            inline: InlineRegistry::default(),
            queue: std::sync::Mutex::new(None),
        }
    }

    /// The store's transactions.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The inline views appends through this committer keep up to date.
    pub fn inline(&self) -> &InlineRegistry {
        &self.inline
    }

    /// Appends with whatever else is waiting, and returns this append's own result:
    /// what a store's [`EventStore::append`](crate::EventStore::append) does.
    pub async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let request = AppendRequest::new(stream_id, expected, events);
        check_append(&request.stream_id, &request.events)?;
        let views = self.inline.views_for(&request.events);
        let stream_id = request.stream_id.clone();
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            request,
            views,
            reply,
        };
        if let Err(queued) = self.queue(queued) {
            // No runtime to run a committer on: commit this append alone, here.
            commit_group(&self.backend, vec![*queued]).await;
        }
        answer.await.unwrap_or_else(|_| Err(lost(&stream_id)))
    }

    /// Hands an append to the committer task, starting one when there is none or its
    /// runtime went away.
    fn queue(&self, queued: Queued) -> Result<(), Box<Queued>> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let queued = match queue.as_ref() {
            Some(running) => match running.send(queued) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(queued)) => queued,
            },
            None => queued,
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Box::new(queued));
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        runtime.spawn(run(self.backend.clone(), receiver));
        let sent = sender.send(queued).map_err(|e| Box::new(e.0));
        *queue = Some(sender);
        sent
    }
}

fn lost(stream_id: &str) -> StoreError {
    StoreError::backend(
        format!("append to stream `{stream_id}`"),
        std::io::Error::other("the committer stopped before it answered"),
    )
}

/// The committer task: takes everything queued, one append per stream in flight
/// (the rest of a stream's appends wait, in order, until its group committed), and
/// commits up to [`Transactional::groups_in_flight`] groups at once.
async fn run<B: Transactional>(backend: B, mut queue: mpsc::UnboundedReceiver<Queued>) {
    let room = backend.groups_in_flight().max(1);
    let mut waiting: VecDeque<Queued> = VecDeque::new();
    let mut flying: JoinSet<()> = JoinSet::new();
    let mut busy: HashMap<tokio::task::Id, Vec<String>> = HashMap::new();
    let mut open = true;
    loop {
        while let Ok(queued) = queue.try_recv() {
            waiting.push_back(queued);
        }
        while flying.len() < room {
            let in_flight: HashSet<&str> = busy.values().flatten().map(String::as_str).collect();
            let group = take_group(&mut waiting, &in_flight);
            if group.is_empty() {
                break;
            }
            let streams = group.iter().map(|q| q.request.stream_id.clone()).collect();
            let backend = backend.clone();
            let task = flying.spawn(async move { commit_group(&backend, group).await });
            busy.insert(task.id(), streams);
        }
        if !open && flying.is_empty() && waiting.is_empty() {
            return;
        }
        tokio::select! {
            received = queue.recv(), if open => match received {
                Some(queued) => waiting.push_back(queued),
                None => open = false,
            },
            Some(done) = flying.join_next_with_id(), if !flying.is_empty() => {
                // A group that panicked answered nobody; its callers see the
                // committer's "stopped" error, and its streams are free again.
                let id = match done {
                    Ok((id, ())) => id,
                    Err(error) => error.id(),
                };
                busy.remove(&id);
            }
        }
    }
}

/// The next group from the queue: appends whose caller still waits, at most one per
/// stream and none for a stream whose group is in flight; the rest stay queued, in
/// order.
fn take_group(waiting: &mut VecDeque<Queued>, in_flight: &HashSet<&str>) -> Vec<Queued> {
    let mut group = Vec::new();
    let mut streams = HashSet::new();
    let mut later = VecDeque::new();
    while let Some(queued) = waiting.pop_front() {
        if queued.reply.is_closed() {
            // Its caller gave up before it was written: it is not written.
            continue;
        }
        let stream = queued.request.stream_id.as_str();
        if group.len() < MAX_GROUP
            && !in_flight.contains(stream)
            && streams.insert(stream.to_owned())
        {
            group.push(queued);
        } else {
            later.push_back(queued);
        }
    }
    *waiting = later;
    group
}

/// Commits one group and answers each member. The group's size goes to the
/// `cqrs_append_group_size` histogram (`metrics` crate).
async fn commit_group<B: Transactional>(backend: &B, group: Vec<Queued>) {
    metrics::histogram!("cqrs_append_group_size").record(group.len() as f64);
    let mut answers: Vec<Option<Result<AppendResult, StoreError>>> =
        group.iter().map(|_| None).collect();
    if group.iter().all(|q| q.views.is_empty()) {
        let requests: Vec<&AppendRequest> = group.iter().map(|q| &q.request).collect();
        if let Some(written) = backend.write_group(&requests).await {
            for (answer, result) in answers.iter_mut().zip(written) {
                *answer = result.map(Ok);
            }
        }
    }
    let rest: Vec<usize> = (0..group.len()).filter(|&i| answers[i].is_none()).collect();
    if !rest.is_empty() {
        for (index, result) in rest
            .iter()
            .zip(commit_one_by_one(backend, &group, &rest).await)
        {
            answers[*index] = Some(result);
        }
    }
    let last = answers
        .iter()
        .flatten()
        .filter_map(|answer| answer.as_ref().ok())
        .filter_map(|appended| appended.positions.last().copied())
        .max();
    if let Some(last) = last {
        backend.committed(last);
    }
    for (queued, answer) in group.into_iter().zip(answers) {
        let answer = answer.unwrap_or_else(|| Err(lost(&queued.request.stream_id)));
        let _ = queued.reply.send(answer);
    }
}

/// An error and every cause under it, on one line: one failure is reported to each
/// member of a group, and each keeps the whole reason.
fn with_causes(error: &StoreError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The members at `indices`, each through [`append_in`] in one transaction.
async fn commit_one_by_one<B: Transactional>(
    backend: &B,
    group: &[Queued],
    indices: &[usize],
) -> Vec<Result<AppendResult, StoreError>> {
    let failed_all = |what: &str, error: &StoreError| -> Vec<Result<AppendResult, StoreError>> {
        indices
            .iter()
            .map(|&i| {
                let operation = format!(
                    "{what} the append to stream `{}`",
                    group[i].request.stream_id
                );
                Err(if error.is_transient() {
                    StoreError::unavailable(operation, with_causes(error))
                } else {
                    StoreError::backend(operation, with_causes(error))
                })
            })
            .collect()
    };
    let mut tx = match backend.begin().await {
        Ok(tx) => tx,
        Err(error) => return failed_all("begin", &error),
    };
    let recorded_at = commit_time();
    let mut results = Vec::with_capacity(indices.len());
    for &index in indices {
        let queued = &group[index];
        results.push(append_in(&mut tx, &queued.views, &queued.request, recorded_at).await);
    }
    if let Err(error) = backend.commit(tx).await {
        return results
            .into_iter()
            .zip(failed_all("commit", &error))
            .map(|(result, failed)| match result {
                // Found, not written: still true after the failed commit.
                Ok(appended) if appended.duplicate => Ok(appended),
                Ok(_) => failed,
                Err(refused) => Err(refused),
            })
            .collect();
    }
    results
}
