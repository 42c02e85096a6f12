//! The pipeline every derive runs: parse into its AST (collecting errors), check the
//! rules across attributes, then expand, or, when anything was wrong, emit every
//! error beside stub impls so that one mistake gives one error.

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::fallback;

/// One derive's steps.
pub(crate) trait Derive<'a>: Sized {
    /// Reads the input; `None` when it cannot be read at all (already reported).
    fn parse(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self>;

    /// Rules across attributes; errors go to `cx`.
    fn check(&self, cx: &Ctxt);

    /// The impls, for an input without errors.
    fn expand(&self) -> TokenStream;

    /// Stand-in impls after an error, from what could be read.
    fn stub(input: &'a syn::DeriveInput, parsed: Option<&Self>) -> TokenStream;
}

/// Runs derive `D` on `input`.
pub(crate) fn run<'a, D: Derive<'a>>(input: &'a syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = D::parse(&cx, input);
    if let Some(parsed) = &parsed {
        parsed.check(&cx);
    }
    match (cx.check(), parsed) {
        (Ok(()), Some(parsed)) => fallback::wrap(parsed.expand()),
        (Err(errors), parsed) => {
            fallback::errors_with_stub(errors, D::stub(input, parsed.as_ref()))
        }
        (Ok(()), None) => TokenStream::new(),
    }
}
