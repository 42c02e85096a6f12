//! Queries: typed questions answered by read models.

/// A question with a typed answer. Derive it with `#[derive(Query)]`.
pub trait Query {
    /// The answer.
    type Output;
}

/// A read model that answers `Q`. `#[query(read_model = ...)]` derives it.
///
/// ```
/// use cqrs_core::{Query, QueryHandler};
///
/// #[derive(Default)]
/// struct Counts { total: u64 }
/// impl Counts {
///     fn total(&self) -> u64 { self.total }
/// }
///
/// #[derive(Query)]
/// #[query(output = u64, read_model = Counts)]
/// struct Total;
///
/// assert_eq!(Counts { total: 3 }.query(Total), 3);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not answer the query `{Q}`",
    label = "no query handler",
    note = "name the read model on the query: `#[query(output = ..., read_model = {Self})]`"
)]
pub trait QueryHandler<Q: Query> {
    /// Answers the query from the read model's current state.
    fn query(&self, query: Q) -> Q::Output;
}
