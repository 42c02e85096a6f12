//! Commands: requests to change an aggregate, dispatched to its handler methods.

use std::future::Future;

use crate::aggregate::Aggregate;

/// The result of deciding a command: the new events, or why the command was refused.
pub type Decision<A> = Result<Vec<<A as Aggregate>::Event>, <A as Aggregate>::Error>;

/// An enum of the commands one aggregate handles. Derive it with `#[derive(Command)]`.
///
/// The derive sends each variant to a method of the aggregate (by default the variant
/// name in snake case) with the variant's fields as arguments, so no `match` is written
/// by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a command enum",
    label = "not a command",
    note = "derive it on the command enum: `#[derive(Command)]` with `#[command(aggregate = ...)]`"
)]
pub trait Command: Send + Sized + 'static {
    /// The aggregate that handles the command.
    type Aggregate: Aggregate;

    /// The command's variant name, for logs and traces.
    fn command_name(&self) -> &'static str;

    /// Decides the command against the current state.
    fn handle<'a>(
        self,
        aggregate: &'a Self::Aggregate,
        services: &'a <Self::Aggregate as Aggregate>::Services,
    ) -> impl Future<Output = Decision<Self::Aggregate>> + Send + 'a;
}
