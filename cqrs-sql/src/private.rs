//! What `#[derive(TableProjection)]` generates code against. Not part of the public
//! API.

pub use core::result::Result;

pub use cqrs_core::__private::{EventVariant, variant_id};
pub use cqrs_core::{EventHeader, HandlerError, HandlerOutcome};
pub use sqlx::Database;

pub use crate::target::TableProjection;

/// A table projection's `async` handler for one variant: `&self`, the connection,
/// the event's header, then each field of the variant by value, in order.
#[diagnostic::on_unimplemented(
    message = "this method cannot handle the event: its fields are `{Args}`",
    label = "wrong handler signature",
    note = "write `async fn handler(&self, db: &mut <the database's connection>, header: &EventHeader, <each field of the variant, by value, in order>)` returning `()` or `Result<(), E>`"
)]
pub trait TableHandler<P, DB: Database, Args> {
    /// Calls the handler.
    fn call(
        self,
        projection: &P,
        db: &mut DB::Connection,
        header: &EventHeader,
        args: Args,
    ) -> impl Future<Output = Result<(), HandlerError>>;
}

macro_rules! impl_table_handler {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<P, DB, F, R, $($arg),*> TableHandler<P, DB, ($($arg,)*)> for F
        where
            DB: Database,
            F: AsyncFnOnce(&P, &mut DB::Connection, &EventHeader, $($arg),*) -> R,
            R: HandlerOutcome,
        {
            #[allow(non_snake_case)]
            async fn call(
                self,
                projection: &P,
                db: &mut DB::Connection,
                header: &EventHeader,
                args: ($($arg,)*),
            ) -> Result<(), HandlerError> {
                let ($($arg,)*) = args;
                self(projection, db, header, $($arg),*).await.into_result()
            }
        }
    };
}

impl_table_handler!();
impl_table_handler!(A1);
impl_table_handler!(A1, A2);
impl_table_handler!(A1, A2, A3);
impl_table_handler!(A1, A2, A3, A4);
impl_table_handler!(A1, A2, A3, A4, A5);
impl_table_handler!(A1, A2, A3, A4, A5, A6);
impl_table_handler!(A1, A2, A3, A4, A5, A6, A7);
impl_table_handler!(A1, A2, A3, A4, A5, A6, A7, A8);
