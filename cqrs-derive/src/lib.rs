//! Derive macros for `cqrs-core`. Use them through `cqrs-core`, whose default
//! `derive` feature re-exports them; the attribute keys are documented there and in
//! the README.
//!
//! Each derive is a pipeline: parse into an AST that keeps the user's tokens
//! (`*/ast.rs`), check rules across attributes (`*/check.rs`), then expand
//! (`*/expand.rs`). Every error found is reported at once, and a failed derive still
//! emits stub impls so one mistake gives one error.

mod aggregate;
mod attr;
mod case;
mod command;
mod ctxt;
mod driver;
mod event;
mod fallback;
mod fields;
mod process;
mod projection;
mod query;
mod span;
mod table;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `DomainEvent` for an enum of events; with `#[event(aggregate = A)]`, also
/// how each event is applied to `A`.
#[proc_macro_derive(DomainEvent, attributes(event, cqrs))]
pub fn derive_domain_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    event::derive(&input).into()
}

/// Derives `Command` for an enum of commands, dispatching each to a method of the aggregate.
#[proc_macro_derive(Command, attributes(command, cqrs))]
pub fn derive_command(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    command::derive(&input).into()
}

/// Derives `Aggregate` for the state of an aggregate.
#[proc_macro_derive(Aggregate, attributes(aggregate, cqrs))]
pub fn derive_aggregate(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    aggregate::derive(&input).into()
}

/// Derives `Projection` for a read model, calling one method per handled event.
#[proc_macro_derive(Projection, attributes(projection, cqrs))]
pub fn derive_projection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    projection::derive(&input).into()
}

/// Derives `Query` for a query struct; with `read_model`, also its `QueryHandler`.
#[proc_macro_derive(Query, attributes(query, cqrs))]
pub fn derive_query(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    query::derive(&input).into()
}

/// Derives `ProcessManager` for the state of one instance of a workflow: which
/// events start an instance, how later ones find it, and the method each calls.
#[proc_macro_derive(ProcessManager, attributes(process, cqrs))]
pub fn derive_process_manager(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    process::derive(&input).into()
}

/// Derives `cqrs_sql::TableProjection` for a read model kept as tables in a read
/// database: each handled variant calls an `async` method with the connection, the
/// header and the variant's fields. Use it through `cqrs-sql`.
#[proc_macro_derive(TableProjection, attributes(table, cqrs))]
pub fn derive_table_projection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    table::derive(&input).into()
}
