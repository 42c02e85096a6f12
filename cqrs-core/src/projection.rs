//! Projections: read models built from the event log.

use crate::envelope::EventHeader;
use crate::event::DomainEvent;

/// Why a projection handler failed; the runner stops at the event and retries.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A read model built by handling events. Derive it with `#[derive(Projection)]`.
///
/// Only the events named in [`HANDLED_EVENTS`](Projection::HANDLED_EVENTS) are read
/// from the store for it; others are never decoded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a projection",
    label = "not a projection",
    note = "derive it: `#[derive(Projection)]` with `#[projection(event = ..., handles(...))]`"
)]
pub trait Projection: Send + Sync + 'static {
    /// The event enum it reads.
    type Event: DomainEvent;
    /// A stable name, used for its checkpoint.
    const NAME: &'static str;
    /// The persisted names of the events it handles.
    const HANDLED_EVENTS: &'static [&'static str];
    /// Skip, with a warning, events this code does not know (a newer version of a
    /// handled event, written by a newer deployment) instead of stopping at them
    /// (`#[projection(skip_unknown)]`; default `false`). For blue/green deployments
    /// where the old version keeps serving reads while the new one writes.
    const SKIP_UNKNOWN: bool = false;

    /// Updates the read model with one event.
    fn project(&mut self, header: &EventHeader, event: Self::Event) -> Result<(), HandlerError>;

    /// Decodes a stored event's payload for this projection: `Ok(None)` when the
    /// event is unknown to this code and the projection skips unknown events (logged
    /// as a warning).
    fn decode_event(
        header: &EventHeader,
        payload: &crate::Payload,
    ) -> Result<Option<Self::Event>, Box<crate::envelope::EventDecodeError>> {
        match header.decode_payload::<Self::Event>(payload) {
            Ok(event) => Ok(Some(event)),
            Err(error) if Self::SKIP_UNKNOWN && error.source.is_unknown_event() => {
                tracing::warn!(
                    projection = Self::NAME,
                    position = error.position,
                    stream_id = %error.stream_id,
                    "skipping an event this code does not know: {}",
                    error.source
                );
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Whether the projection handles events with this persisted name.
    fn handles(event_name: &str) -> bool {
        Self::HANDLED_EVENTS.contains(&event_name)
    }
}

/// What a projection handler may return: nothing, or a `Result`.
pub trait HandlerOutcome {
    /// Converts into the projection's result.
    fn into_result(self) -> Result<(), HandlerError>;
}

impl HandlerOutcome for () {
    fn into_result(self) -> Result<(), HandlerError> {
        Ok(())
    }
}

impl<E> HandlerOutcome for Result<(), E>
where
    E: Into<HandlerError>,
{
    fn into_result(self) -> Result<(), HandlerError> {
        self.map_err(Into::into)
    }
}

/// A projection handler method for one event variant: it takes `&mut self`,
/// optionally the event's [`EventHeader`], then each field of the variant by value,
/// in order. `M` tells the two shapes apart ([`WithHeader`], [`WithoutHeader`]);
/// the compiler infers it from the method.
#[diagnostic::on_unimplemented(
    message = "this method cannot handle the event: its fields are `{Args}`",
    label = "wrong handler signature",
    note = "write `fn handler(&mut self, <each field of the variant, by value, in order>)`, or with the header first: `fn handler(&mut self, header: &EventHeader, <fields>)`, returning `()` or `Result<(), E>`; a variant of more than 12 fields cannot be taken field by field: group some of them into a struct of their own"
)]
pub trait ProjectionHandler<P, Args, M = WithHeader> {
    /// Calls the handler.
    fn call(self, projection: &mut P, header: &EventHeader, args: Args)
    -> Result<(), HandlerError>;
}

/// A handler that takes the event's header before the fields.
pub enum WithHeader {}

/// A handler that takes only the fields.
pub enum WithoutHeader {}

macro_rules! impl_projection_handler {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<P, F, R, $($arg),*> ProjectionHandler<P, ($($arg,)*), WithHeader> for F
        where
            F: FnOnce(&mut P, &EventHeader, $($arg),*) -> R,
            R: HandlerOutcome,
        {
            #[allow(non_snake_case)]
            fn call(self, projection: &mut P, header: &EventHeader, args: ($($arg,)*)) -> Result<(), HandlerError> {
                let ($($arg,)*) = args;
                self(projection, header, $($arg),*).into_result()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<P, F, R, $($arg),*> ProjectionHandler<P, ($($arg,)*), WithoutHeader> for F
        where
            F: FnOnce(&mut P, $($arg),*) -> R,
            R: HandlerOutcome,
        {
            #[allow(non_snake_case)]
            fn call(self, projection: &mut P, _: &EventHeader, args: ($($arg,)*)) -> Result<(), HandlerError> {
                let ($($arg,)*) = args;
                self(projection, $($arg),*).into_result()
            }
        }
    };
}

impl_projection_handler!();
impl_projection_handler!(A1);
impl_projection_handler!(A1, A2);
impl_projection_handler!(A1, A2, A3);
impl_projection_handler!(A1, A2, A3, A4);
impl_projection_handler!(A1, A2, A3, A4, A5);
impl_projection_handler!(A1, A2, A3, A4, A5, A6);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7, A8);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
impl_projection_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
