//! How generated code calls an aggregate's apply methods: through a trait, so that a
//! method of the wrong shape is one error at the variant saying what to write.

/// An aggregate's apply method for one event variant: `fn on_<variant>(&mut self,
/// <each field of the variant, by value, in order>)`, or, written as a function of
/// the old state, `fn on_<variant>(self, <fields>) -> Self`. `M` tells the two shapes
/// apart ([`InPlace`], [`Replacing`]); the compiler infers it from the method.
#[diagnostic::on_unimplemented(
    message = "this method cannot apply the event: its fields are `{Args}`",
    label = "wrong apply method signature",
    note = "write `fn on_<variant>(&mut self, <each field of the variant, by value, in order>)`, or `fn on_<variant>(self, <fields>) -> Self`"
)]
pub trait ApplyHandler<A, Args, M> {
    /// Applies the event's fields to the aggregate.
    fn call(self, aggregate: &mut A, args: Args);
}

/// An apply method that changes the state in place: `&mut self`.
pub enum InPlace {}

/// An apply method that takes the state and returns the next one: `self -> Self`.
pub enum Replacing {}

macro_rules! impl_apply_handler {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<A, F, $($arg),*> ApplyHandler<A, ($($arg,)*), InPlace> for F
        where
            F: FnOnce(&mut A, $($arg),*),
        {
            #[inline]
            #[allow(non_snake_case)]
            fn call(self, aggregate: &mut A, args: ($($arg,)*)) {
                let ($($arg,)*) = args;
                self(aggregate, $($arg),*)
            }
        }

        #[diagnostic::do_not_recommend]
        impl<A: Default, F, $($arg),*> ApplyHandler<A, ($($arg,)*), Replacing> for F
        where
            F: FnOnce(A, $($arg),*) -> A,
        {
            #[inline]
            #[allow(non_snake_case)]
            fn call(self, aggregate: &mut A, args: ($($arg,)*)) {
                let ($($arg,)*) = args;
                *aggregate = self(core::mem::take(aggregate), $($arg),*);
            }
        }
    };
}

impl_apply_handler!();
impl_apply_handler!(A1);
impl_apply_handler!(A1, A2);
impl_apply_handler!(A1, A2, A3);
impl_apply_handler!(A1, A2, A3, A4);
impl_apply_handler!(A1, A2, A3, A4, A5);
impl_apply_handler!(A1, A2, A3, A4, A5, A6);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7, A8);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
impl_apply_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
