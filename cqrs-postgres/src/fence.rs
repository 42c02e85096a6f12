//! The readers' fence: the highest position below which no event can still appear.
//!
//! Appends take positions from a sequence and commit in parallel, so an append that
//! took position 10 may commit after one that took 11. A reader that read 11 and
//! moved on would never see 10. Readers of the log therefore stop at the fence.
//!
//! How the fence is found (each probe is one statement):
//! 1. The first probe reads, in its snapshot, the highest visible position `L`, and
//!    then takes a transaction id `X` of its own. An append that holds a position
//!    below `L` and has not committed got its transaction id before it took that
//!    position (the append writes its stream's row first), so before `L` was taken,
//!    committed and seen: its id is below `X`.
//! 2. A later probe whose snapshot shows no transaction below `X` still running
//!    (`xmin >= X`) proves every such append has finished: committed (and visible to
//!    every later statement) or rolled back. Then `L` is the fence.
//!
//! With no append in flight the second probe follows the first at once; under load
//! the fence trails the newest commit by one probe. A long transaction anywhere on
//! the server that has written something holds the fence (and so followers, not
//! writers) back until it ends. Each first probe uses up one transaction id.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cqrs_core::StoreError;
use cqrs_core::store::kit::stored_number;
use sqlx::PgConnection;

use crate::error::backend;

/// One probe: the highest visible position and the oldest transaction still
/// running in the same snapshot; with `$1`, also a transaction id taken after that
/// snapshot (for a new candidate), else 0, so that an idle log costs no id and a
/// long transaction elsewhere one, not one per probe.
const PROBE: &str = "
SELECT coalesce((SELECT max(position) FROM cqrs_events), 0),
       pg_snapshot_xmin(pg_current_snapshot())::text::int8,
       CASE WHEN $1 THEN pg_current_xact_id()::text::int8 ELSE 0 END";

/// How long a reader waits for appends in flight to finish before it returns what
/// is safe so far.
const PATIENCE: Duration = Duration::from_millis(200);

/// The fence of one store handle, shared by its readers.
#[derive(Debug, Default)]
pub(crate) struct Fence {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Every event at or below this position is visible, or never will be.
    safe: u64,
    /// A candidate: position `L`, safe once no transaction below `X` runs.
    pending: Option<(u64, i64)>,
    /// The highest position any probe saw.
    seen: u64,
}

impl Fence {
    /// The fence as last found, without asking the database.
    pub(crate) fn known(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .safe
    }

    /// Moves the fence as far as the database allows now: probes until it reaches
    /// the highest position visible to the first probe (so it covers every append
    /// that committed before the call), or [`PATIENCE`] runs out (a long
    /// transaction elsewhere), and returns it.
    pub(crate) async fn advance(&self, conn: &mut PgConnection) -> Result<u64, StoreError> {
        let started = Instant::now();
        let mut target = None;
        let mut pause = Duration::from_millis(1);
        loop {
            let candidate = self.needs_candidate();
            let (visible, running_from, own): (i64, i64, i64) = sqlx::query_as(PROBE)
                .bind(candidate)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| backend("find the readers' fence of the log", e))?;
            let visible = stored_number(visible, "position")?;
            let safe = self.settle(visible, running_from, own);
            // Not "moved at all": a fence that moved, but not past what had
            // committed before the call, would hide those commits from the caller.
            let target = *target.get_or_insert(visible);
            if safe >= target || started.elapsed() >= PATIENCE {
                return Ok(safe);
            }
            if !candidate && self.waiting() {
                // Appends older than the candidate are still running.
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(16));
            }
        }
    }

    /// Whether the next probe should make a candidate: something newer than the
    /// fence was seen and no candidate waits.
    fn needs_candidate(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.pending.is_none() && state.seen > state.safe
    }

    /// Whether a candidate waits for older transactions to end.
    fn waiting(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .is_some()
    }

    /// Takes one probe's answer into the state and returns the fence. `own` is the
    /// probe's transaction id, or 0 when it took none (then it only settles).
    fn settle(&self, visible: u64, running_from: i64, own: i64) -> u64 {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.seen = state.seen.max(visible);
        if let Some((candidate, after)) = state.pending
            && after <= running_from
        {
            state.safe = state.safe.max(candidate);
            state.pending = None;
        }
        if visible > state.safe && state.pending.is_none() && own > 0 {
            state.pending = Some((visible, own));
        }
        state.safe
    }
}

#[cfg(test)]
mod tests {
    use super::Fence;

    #[test]
    fn a_candidate_becomes_the_fence_only_once_older_transactions_ended() {
        let fence = Fence::default();
        // Position 7 seen; this probe's own transaction is 100.
        assert_eq!(fence.settle(7, 90, 100), 0);
        // Transaction 95 still runs: 7 is not safe yet; 9 is seen meanwhile.
        assert_eq!(fence.settle(9, 95, 101), 0);
        // Nothing below 100 runs any more: 7 is safe, 9 the next candidate.
        assert_eq!(fence.settle(9, 100, 102), 7);
        assert_eq!(fence.settle(9, 103, 104), 9);
        assert_eq!(fence.known(), 9);
    }

    #[test]
    fn a_probe_without_a_transaction_id_never_makes_a_candidate() {
        let fence = Fence::default();
        assert_eq!(fence.settle(5, 90, 0), 0);
        assert!(!fence.waiting());
        assert_eq!(fence.settle(5, 90, 91), 0);
        assert!(fence.waiting());
        assert_eq!(fence.settle(6, 92, 0), 5);
        assert!(!fence.waiting());
    }
}
