//! What `#[derive(ProcessManager)]` generates code against.

use crate::envelope::EventHeader;
use crate::event::EventType;
use crate::projection::{HandlerError, WithHeader, WithoutHeader};

pub use crate::process::{ProcessManager, Route};

/// What a process-manager handler may return: the commands, or a `Result` of them.
#[diagnostic::on_unimplemented(
    message = "a process handler must return `Vec<Command>` or `Result<Vec<Command>, E>` with the manager's command type `{C}`, not `{Self}`",
    label = "this handler returns the wrong type",
    note = "an `async fn` handler needs `async` in its `start(...)` or `on(...)`, as in `on(PaymentEvent::Confirmed, by = order, async)`"
)]
pub trait IntoCommands<C> {
    /// The commands, or why there are none.
    fn into_commands(self) -> Result<Vec<C>, HandlerError>;
}

impl<C> IntoCommands<C> for Vec<C> {
    #[inline]
    fn into_commands(self) -> Result<Vec<C>, HandlerError> {
        Ok(self)
    }
}

impl<C, E: Into<HandlerError>> IntoCommands<C> for Result<Vec<C>, E> {
    #[inline]
    fn into_commands(self) -> Result<Vec<C>, HandlerError> {
        self.map_err(Into::into)
    }
}

/// A synchronous process handler for one event variant: `&mut self`, optionally the
/// event's header, then each field of the variant by value, in order (`M`, inferred,
/// tells the two shapes apart).
#[diagnostic::on_unimplemented(
    message = "this method cannot handle the event: its fields are `{Args}`",
    label = "wrong handler signature",
    note = "write `fn handler(&mut self, <each field of the variant, by value, in order>)`, or with the header first: `fn handler(&mut self, header: &EventHeader, <fields>)`, returning `Vec<Command>` or `Result<Vec<Command>, E>`; an `async fn` needs `async` in its `on(...)` or `start(...)`; a variant of more than 12 fields cannot be taken field by field: group some of them into a struct of their own"
)]
pub trait ProcessHandler<P, Args, C, M = WithHeader> {
    /// Calls the handler.
    fn call(self, state: &mut P, header: &EventHeader, args: Args) -> Result<Vec<C>, HandlerError>;
}

/// An `async` process handler for one event variant, with the same parameters
/// (the header optional too).
#[diagnostic::on_unimplemented(
    message = "this method cannot handle the event asynchronously: its fields are `{Args}`",
    label = "wrong async handler signature",
    note = "write `async fn handler(&mut self, <each field of the variant, by value, in order>)`, or with the header first: `async fn handler(&mut self, header: &EventHeader, <fields>)`, returning `Vec<Command>` or `Result<Vec<Command>, E>`; a plain `fn` must not be marked `async`; a variant of more than 12 fields cannot be taken field by field: group some of them into a struct of their own"
)]
pub trait AsyncProcessHandler<P, Args, C, M = WithHeader> {
    /// Calls the handler.
    fn call(
        self,
        state: &mut P,
        header: &EventHeader,
        args: Args,
    ) -> impl Future<Output = Result<Vec<C>, HandlerError>>;
}

macro_rules! impl_process_handlers {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<P, F, R, C, $($arg),*> ProcessHandler<P, ($($arg,)*), C, WithHeader> for F
        where
            F: FnOnce(&mut P, &EventHeader, $($arg),*) -> R,
            R: IntoCommands<C>,
        {
            #[allow(non_snake_case)]
            #[inline]
            fn call(self, state: &mut P, header: &EventHeader, args: ($($arg,)*)) -> Result<Vec<C>, HandlerError> {
                let ($($arg,)*) = args;
                self(state, header, $($arg),*).into_commands()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<P, F, R, C, $($arg),*> ProcessHandler<P, ($($arg,)*), C, WithoutHeader> for F
        where
            F: FnOnce(&mut P, $($arg),*) -> R,
            R: IntoCommands<C>,
        {
            #[allow(non_snake_case)]
            #[inline]
            fn call(self, state: &mut P, _: &EventHeader, args: ($($arg,)*)) -> Result<Vec<C>, HandlerError> {
                let ($($arg,)*) = args;
                self(state, $($arg),*).into_commands()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<P, F, R, C, $($arg),*> AsyncProcessHandler<P, ($($arg,)*), C, WithHeader> for F
        where
            F: AsyncFnOnce(&mut P, &EventHeader, $($arg),*) -> R,
            R: IntoCommands<C>,
        {
            #[allow(non_snake_case)]
            async fn call(self, state: &mut P, header: &EventHeader, args: ($($arg,)*)) -> Result<Vec<C>, HandlerError> {
                let ($($arg,)*) = args;
                self(state, header, $($arg),*).await.into_commands()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<P, F, R, C, $($arg),*> AsyncProcessHandler<P, ($($arg,)*), C, WithoutHeader> for F
        where
            F: AsyncFnOnce(&mut P, $($arg),*) -> R,
            R: IntoCommands<C>,
        {
            #[allow(non_snake_case)]
            async fn call(self, state: &mut P, _: &EventHeader, args: ($($arg,)*)) -> Result<Vec<C>, HandlerError> {
                let ($($arg,)*) = args;
                self(state, $($arg),*).await.into_commands()
            }
        }
    };
}

impl_process_handlers!();
impl_process_handlers!(A1);
impl_process_handlers!(A1, A2);
impl_process_handlers!(A1, A2, A3);
impl_process_handlers!(A1, A2, A3, A4);
impl_process_handlers!(A1, A2, A3, A4, A5);
impl_process_handlers!(A1, A2, A3, A4, A5, A6);
impl_process_handlers!(A1, A2, A3, A4, A5, A6, A7);
impl_process_handlers!(A1, A2, A3, A4, A5, A6, A7, A8);

/// A value that names a process instance: anything `Display` (an id, a string).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot name a process instance",
    label = "`by = ...` needs a field that prints as the instance id",
    note = "choose a field that implements `Display` (an order id, a string, a number), or `by_stream` / `by_event_id`"
)]
pub trait InstanceKey {
    /// The instance id.
    fn instance_id(&self) -> String;
}

impl<T: std::fmt::Display + ?Sized> InstanceKey for T {
    fn instance_id(&self) -> String {
        self.to_string()
    }
}

/// The instance id an association value gives.
pub fn instance_id(value: &(impl InstanceKey + ?Sized)) -> String {
    value.instance_id()
}

/// The event types of several event enums, in order, as one array (for a manager
/// that reads several enums).
pub const fn concat_event_types<const N: usize>(parts: &[&[EventType]]) -> [EventType; N] {
    let mut out = [EventType {
        name: "",
        version: 0,
        variant: "",
    }; N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}
