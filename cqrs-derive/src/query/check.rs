//! Rules about the query attribute as a whole.

use super::ast::QueryType;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, query: &QueryType<'_>) {
    if query.output.is_none() {
        cx.error_spanned_by(
            &query.original.ident,
            "missing `#[query(output = ...)]`: name the type the query returns, as in `#[query(output = Vec<ProductCount>)]`",
        );
    }
    if let (Some((tokens, _)), None) = (&query.handler, &query.read_model) {
        cx.error_spanned_by(
            tokens,
            "`handler` needs a read model to call it on: add `read_model = MyReadModel`",
        );
    }
}
