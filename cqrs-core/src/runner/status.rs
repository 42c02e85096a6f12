//! What a projection is doing, for status pages and `cart projections`.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One projection's progress through the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionStatus {
    /// The projection's name.
    pub name: String,
    /// The last position it has handled.
    pub checkpoint: u64,
    /// The newest position in the log when it last looked.
    pub head: u64,
    /// How many positions it is behind.
    pub lag: u64,
    /// What it is doing.
    pub state: RunState,
    /// What waits besides the log: a process manager's parked events and deadlines.
    pub waiting: super::Waiting,
    /// When this status was last updated.
    pub updated_at: DateTime<Utc>,
}

impl ProjectionStatus {
    pub(crate) fn new(name: &str) -> Self {
        ProjectionStatus {
            name: name.to_owned(),
            checkpoint: 0,
            head: 0,
            lag: 0,
            state: RunState::Starting,
            waiting: super::Waiting::default(),
            updated_at: Utc::now(),
        }
    }

    /// Moves the status to `checkpoint` with the log at `head`, and sets the
    /// metrics `cqrs_projection_position` and `cqrs_projection_lag` (by projection).
    pub(crate) fn at(&mut self, checkpoint: u64, head: u64) {
        self.checkpoint = checkpoint;
        self.head = self.head.max(head);
        self.lag = self.head.saturating_sub(checkpoint);
        self.updated_at = Utc::now();
        let name = self.name.clone();
        metrics::gauge!("cqrs_projection_position", "projection" => name.clone())
            .set(checkpoint as f64);
        metrics::gauge!("cqrs_projection_lag", "projection" => name).set(self.lag as f64);
    }
}

/// What a projection runner is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    /// Not started yet.
    Starting,
    /// Reading the log towards its head.
    CatchingUp,
    /// At the head, waiting for new events.
    Live,
    /// Stopped at an event that failed; retrying after a pause. The event is never skipped.
    Retrying {
        /// How many times in a row it failed.
        attempt: u32,
        /// What failed, naming the position, stream and event.
        error: String,
        /// The pause before the next try.
        retry_in_ms: u64,
    },
    /// Waiting for another worker's lease (several workers, one active).
    Standby,
    /// Shut down.
    Stopped,
}
