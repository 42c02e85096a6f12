//! Rules about the aggregate attribute as a whole.

use super::ast::AggregateType;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, aggregate: &AggregateType<'_>) {
    let ident = &aggregate.original.ident;
    if let syn::Data::Union(data) = &aggregate.original.data {
        cx.error_spanned_by(
            data.union_token,
            "Aggregate cannot be derived for a union: use a struct or an enum",
        );
    }
    if aggregate.event.is_none() {
        cx.error_spanned_by(
            ident,
            "missing `event = ...` in `#[aggregate(...)]`: name the event enum, as in `#[aggregate(event = CartEvent, error = CartError)]`",
        );
    }
    if aggregate.error.is_none() {
        cx.error_spanned_by(
            ident,
            "missing `error = ...` in `#[aggregate(...)]`: name the error type commands are refused with, as in `#[aggregate(event = CartEvent, error = CartError)]`",
        );
    }
    let (tokens, name) = &aggregate.name;
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        cx.error_spanned_by(
            tokens,
            "aggregate names must be non-empty and contain no whitespace: `name = \"cart\"`",
        );
    }
    if let Some((lit, 0)) = &aggregate.state_version {
        cx.error_spanned_by(
            lit,
            "state versions start at 1: `state_version = 1` (the default), raised each time the state's fields change",
        );
    }
}
