//! `#[derive(ProcessManager)]`.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::fallback;

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = ast::ProcessType::from_ast(&cx, input);
    check::check(&cx, &parsed);
    match cx.check() {
        Ok(()) => fallback::wrap(expand::expand(&parsed)),
        Err(errors) => fallback::errors_with_stub(errors, expand::stub(&parsed)),
    }
}
