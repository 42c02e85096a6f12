//! Commands waiting for a busy aggregate, decided together by the command holding
//! it and written in one append: a hot aggregate costs one commit per batch, not
//! one per command.

use std::future::Future;
use std::pin::Pin;

use uuid::Uuid;

use super::CommandError;
use crate::aggregate::Aggregate;
use crate::command::{Command, Decision};
use crate::envelope::EventEnvelope;
use crate::metadata::Metadata;

/// Commands decided with the holder's, at most, in one append.
pub(super) const MAX_BATCH: usize = 256;

/// What executing a command returns.
pub(super) type Outcome<A> =
    Result<Vec<EventEnvelope<<A as Aggregate>::Event>>, CommandError<<A as Aggregate>::Error>>;

type DecideFn<A> = Box<
    dyn for<'a> Fn(
            &'a A,
            &'a <A as Aggregate>::Services,
        ) -> Pin<Box<dyn Future<Output = Decision<A>> + Send + 'a>>
        + Send,
>;

/// A waiting command, as the holder of its aggregate runs it.
pub(super) struct Job<A: Aggregate> {
    decide: DecideFn<A>,
    pub(super) metadata: Metadata,
    pub(super) command_id: Uuid,
}

impl<A: Aggregate> Job<A> {
    /// The job of a command without an expected version or a caller's command id.
    pub(super) fn new<C>(command: &C, metadata: &Metadata, command_id: Uuid) -> Self
    where
        C: Command<Aggregate = A> + Clone,
    {
        let command = command.clone();
        Job {
            decide: Box::new(move |state, services| {
                Box::pin(command.clone().handle(state, services))
            }),
            metadata: metadata.clone(),
            command_id,
        }
    }

    /// Starts deciding the command on a state; the future does not borrow the job
    /// (a job need not be `Sync`).
    pub(super) fn decide<'a>(
        &self,
        state: &'a A,
        services: &'a A::Services,
    ) -> Pin<Box<dyn Future<Output = Decision<A>> + Send + 'a>> {
        (self.decide)(state, services)
    }
}
