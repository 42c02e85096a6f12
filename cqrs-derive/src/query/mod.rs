//! `#[derive(Query)]`.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::fallback;

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = ast::QueryType::from_ast(&cx, input);
    if let Some(parsed) = &parsed {
        check::check(&cx, parsed);
    }
    match (cx.check(), parsed) {
        (Ok(()), Some(parsed)) => fallback::wrap(expand::expand(&parsed)),
        (Err(errors), parsed) => fallback::errors_with_stub(errors, expand::stub(parsed.as_ref())),
        (Ok(()), None) => TokenStream::new(),
    }
}
