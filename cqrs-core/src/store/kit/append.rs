//! The append, written once for every store: over a store's open write transaction,
//! check the stream's version, recognise a repeated append by its event ids, insert,
//! and bring the inline views along.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::checks::{check_append, version_after};
use super::idempotency::earlier_append;
use super::inline::{recorded, update_documents};
use super::tx::{Clash, ReadTx, Savepoint, WriteTx};
use crate::envelope::NewEvent;
use crate::inline::InlineView;
use crate::store::{AppendResult, StoreError};
use crate::version::ExpectedVersion;

/// How often an append whose stream another writer moved between reading its version
/// and inserting is tried again before it reports the conflict: a few times for an
/// exact expectation (the next try will most likely find it stale anyway), many for
/// one that any version satisfies, which must not fail because of a busy stream.
const MOVED_ATTEMPTS: usize = 3;
const MOVED_ATTEMPTS_ANY_VERSION: usize = 100;

/// One append as a caller asked for it.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// The stream to append to.
    pub stream_id: String,
    /// What the caller expects the stream's version to be.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

impl AppendRequest {
    /// The request for an [`EventStore::append`](crate::EventStore::append) call.
    pub fn new(stream_id: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> Self {
        AppendRequest {
            stream_id: stream_id.to_owned(),
            expected,
            events,
        }
    }
}

/// The time an append is recorded at, in microseconds: what every store can keep
/// exactly, so the result of an append equals what is read back.
pub fn commit_time() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// What one try of an append came to.
enum Step {
    Placed(AppendResult),
    /// The stream is at `actual`, which the expectation does not accept.
    Unplaced {
        actual: u64,
    },
    Clash(Clash),
}

/// Performs one append inside `tx`, in a savepoint of its own: when it fails, nothing
/// of it stays in the transaction and the transaction can go on with other appends.
///
/// An append whose event ids are all stored already, as one earlier append to the
/// same stream, returns that append's result (`duplicate: true`); any other reuse of
/// an id is [`StoreError::DuplicateEventId`].
pub async fn append_in<T: WriteTx>(
    tx: &mut T,
    views: &[Arc<dyn InlineView>],
    request: &AppendRequest,
    recorded_at: DateTime<Utc>,
) -> Result<AppendResult, StoreError> {
    check_append(&request.stream_id, &request.events)?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        tx.savepoint(Savepoint::Mark).await?;
        let step = attempt(tx, views, request, recorded_at).await;
        if let Ok(Step::Placed(appended)) = step {
            tx.savepoint(Savepoint::Release).await?;
            return Ok(appended);
        }
        tx.savepoint(Savepoint::RollBack).await?;
        tx.savepoint(Savepoint::Release).await?;
        match step? {
            Step::Placed(appended) => return Ok(appended),
            Step::Unplaced { actual } => return unplaced(tx, request, Some(actual)).await,
            Step::Clash(Clash::EventId) => return unplaced(tx, request, None).await,
            Step::Clash(Clash::StreamMoved) if attempts < moved_attempts(request.expected) => {
                continue;
            }
            Step::Clash(Clash::StreamMoved) => {
                let actual = tx.reads().stream_version(&request.stream_id).await?;
                return unplaced(tx, request, Some(actual)).await;
            }
        }
    }
}

fn moved_attempts(expected: ExpectedVersion) -> usize {
    match expected {
        ExpectedVersion::Any | ExpectedVersion::StreamExists => MOVED_ATTEMPTS_ANY_VERSION,
        ExpectedVersion::NoStream | ExpectedVersion::Exact(_) => MOVED_ATTEMPTS,
    }
}

async fn attempt<T: WriteTx>(
    tx: &mut T,
    views: &[Arc<dyn InlineView>],
    request: &AppendRequest,
    recorded_at: DateTime<Utc>,
) -> Result<Step, StoreError> {
    let stream_id = request.stream_id.as_str();
    let actual = tx.reads().stream_version(stream_id).await?;
    if !request.expected.is_satisfied_by(actual) {
        return Ok(Step::Unplaced { actual });
    }
    let stream_version = version_after(stream_id, actual, request.events.len())?;
    let positions = match tx
        .insert(stream_id, actual, &request.events, recorded_at)
        .await?
    {
        Ok(positions) => positions,
        Err(clash) => return Ok(Step::Clash(clash)),
    };
    if !views.is_empty() {
        let appended = recorded(stream_id, actual, &positions, recorded_at, &request.events);
        update_documents(tx, views, stream_id, actual, &appended).await?;
    }
    Ok(Step::Placed(AppendResult {
        stream_version,
        positions,
        recorded_at,
        duplicate: false,
    }))
}

/// An append that was not written: the original result when it repeats an earlier
/// append, otherwise the conflict (`actual`: the stream's version) or the id clash.
async fn unplaced<T: WriteTx>(
    tx: &mut T,
    request: &AppendRequest,
    actual: Option<u64>,
) -> Result<AppendResult, StoreError> {
    let ids: Vec<Uuid> = request.events.iter().map(|e| e.event_id).collect();
    let stored = tx.reads().locate(&ids).await?;
    if let Some(earlier) = earlier_append(&request.stream_id, &request.events, &stored)? {
        return Ok(earlier);
    }
    match actual {
        Some(actual) => Err(StoreError::WrongExpectedVersion {
            stream_id: request.stream_id.clone(),
            expected: request.expected,
            actual,
        }),
        // The clashing id is not visible: another writer's append holding it rolled
        // back after ours saw it. The caller may try again.
        None => Err(StoreError::backend(
            format!("append to stream `{}`", request.stream_id),
            std::io::Error::other("an event id clashed with an append that did not commit"),
        )),
    }
}
