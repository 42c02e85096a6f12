//! What `#[derive(TableProjection)]` generates code against. Not part of the public
//! API.

pub use core::future::Future;
pub use core::marker::Send;
pub use core::result::Result;

pub use cqrs_core::__private::{EventVariant, MissingEvent, variant_id};
pub use cqrs_core::{EventHeader, HandlerError, HandlerOutcome};
pub use sqlx::Database;

pub use crate::target::TableProjection;

/// The fn pointer type of a table handler of a variant whose fields are `Self`,
/// for the connection type `C`: generated code coerces the user's method to it, so a
/// method with other parameters is one error showing the signature to write.
#[diagnostic::on_unimplemented(
    message = "a table handler takes at most 12 fields; this variant's fields are `{Self}`",
    label = "too many fields to handle",
    note = "group some of the variant's fields into a struct of their own"
)]
pub trait TableShape<P, C> {
    /// `fn(&'a P, &'b mut C, &'c EventHeader, <each field>) -> R`.
    type Handler<'a, 'b, 'c, R>
    where
        P: 'a,
        C: 'b;

    /// Calls `handler` with the fields spread out.
    fn call<'a, 'b, 'c, R>(
        handler: Self::Handler<'a, 'b, 'c, R>,
        projection: &'a P,
        db: &'b mut C,
        header: &'c EventHeader,
        args: Self,
    ) -> R
    where
        P: 'a,
        C: 'b;
}

macro_rules! impl_table_shape {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<P, C, $($arg),*> TableShape<P, C> for ($($arg,)*) {
            type Handler<'a, 'b, 'c, R> = fn(&'a P, &'b mut C, &'c EventHeader, $($arg),*) -> R
            where
                P: 'a,
                C: 'b;

            #[allow(non_snake_case)]
            #[inline]
            fn call<'a, 'b, 'c, R>(
                handler: Self::Handler<'a, 'b, 'c, R>,
                projection: &'a P,
                db: &'b mut C,
                header: &'c EventHeader,
                args: Self,
            ) -> R
            where
                P: 'a,
                C: 'b,
            {
                let ($($arg,)*) = args;
                handler(projection, db, header, $($arg),*)
            }
        }
    };
}

impl_table_shape!();
impl_table_shape!(A1);
impl_table_shape!(A1, A2);
impl_table_shape!(A1, A2, A3);
impl_table_shape!(A1, A2, A3, A4);
impl_table_shape!(A1, A2, A3, A4, A5);
impl_table_shape!(A1, A2, A3, A4, A5, A6);
impl_table_shape!(A1, A2, A3, A4, A5, A6, A7);
impl_table_shape!(A1, A2, A3, A4, A5, A6, A7, A8);
