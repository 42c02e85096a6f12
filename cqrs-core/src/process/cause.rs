//! What moves an instance on (an event, a deadline) and what its handler gets.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ProcessManager;
use crate::envelope::EventHeader;
use crate::projection::HandlerError;
use crate::runner::ProjectionError;

/// What an instance's handler is called with.
pub(super) enum Work<'a, E> {
    /// An event of the instance.
    Event(&'a EventHeader, E),
    /// A deadline that came due: its name and time.
    Deadline(&'a str, DateTime<Utc>),
}

/// What moves an instance on: an event, or a deadline that came due.
pub(super) struct Cause<'a> {
    /// The id records and commands derive theirs from.
    pub(super) trigger: Uuid,
    /// The event's position (0 for a deadline).
    pub(super) position: u64,
    /// The event's name, or the deadline.
    pub(super) what: String,
    /// The event, for correlation and causation.
    pub(super) header: Option<&'a EventHeader>,
}

impl<'a> Cause<'a> {
    /// An event as the cause of a step.
    pub(super) fn event(header: &'a EventHeader) -> Self {
        Cause {
            trigger: header.event_id,
            position: header.position,
            what: header.event_name.to_string(),
            header: Some(header),
        }
    }

    /// The error for a failure of this step, naming the event or deadline.
    pub(super) fn failed<P: ProcessManager>(
        &self,
        stream: &str,
        source: HandlerError,
    ) -> ProjectionError {
        ProjectionError::Handler {
            projection: P::NAME.to_owned(),
            position: self.position,
            stream_id: match self.header {
                Some(header) => header.stream_id.to_string(),
                None => stream.to_owned(),
            },
            event_name: self.what.clone(),
            source,
        }
    }
}
