//! `#[derive(Query)]`.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::driver::{self, Derive};

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    driver::run::<ast::QueryType<'_>>(input)
}

impl<'a> Derive<'a> for ast::QueryType<'a> {
    fn parse(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        ast::QueryType::from_ast(cx, input)
    }

    fn check(&self, cx: &Ctxt) {
        check::check(cx, self);
    }

    fn expand(&self) -> TokenStream {
        expand::expand(self)
    }

    fn stub(_: &'a syn::DeriveInput, parsed: Option<&Self>) -> TokenStream {
        expand::stub(parsed)
    }
}
