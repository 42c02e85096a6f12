//! Aggregates: the consistency boundary that decides which events happen.

use crate::event::DomainEvent;

/// The write-side state of one entity, rebuilt by applying its events in order.
///
/// Derive it with `#[derive(Aggregate)]` and `#[aggregate(event = ..., error = ...)]`;
/// the event enum's `#[event(aggregate = ...)]` generates [`apply`](Aggregate::apply),
/// and a command enum's `#[derive(Command)]` generates the dispatch to its handlers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate",
    label = "not an aggregate",
    note = "derive it on the state struct: `#[derive(Default, Aggregate)]` with `#[aggregate(event = ..., error = ...)]`"
)]
pub trait Aggregate: Default + Send + Sync + 'static {
    /// Names the aggregate's streams: an aggregate with id `42` lives in stream `"{TYPE_NAME}-42"`.
    const TYPE_NAME: &'static str;
    /// The schema version of the state type, stored with its snapshots
    /// (`#[aggregate(state_version = 2)]`; default `1`). Raise it whenever the state's
    /// fields change: older snapshots are then ignored and the stream replayed.
    const STATE_VERSION: u32 = 1;
    /// The events this aggregate records.
    type Event: DomainEvent;
    /// Why a command was refused.
    type Error: std::error::Error + Send + Sync + 'static;
    /// What command handlers may use besides the state (a price list, a clock): `()` by default.
    type Services: Send + Sync + 'static;

    /// Applies one event to the state. Must not fail: the event already happened.
    fn apply(&mut self, event: Self::Event);

    /// The stream that holds the aggregate with this id.
    ///
    /// ```
    /// # use cqrs_core::doc_example::Cart;
    /// use cqrs_core::Aggregate;
    ///
    /// assert_eq!(Cart::stream_id("42"), "cart-42");
    /// ```
    fn stream_id(id: &str) -> String {
        let mut stream = String::with_capacity(Self::TYPE_NAME.len() + 1 + id.len());
        stream.push_str(Self::TYPE_NAME);
        stream.push('-');
        stream.push_str(id);
        stream
    }
}
