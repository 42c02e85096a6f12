//! `#[derive(TableProjection)]` (re-exported by `cqrs-sql`).

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::driver::{self, Derive};

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    driver::run::<ast::TableType<'_>>(input)
}

impl<'a> Derive<'a> for ast::TableType<'a> {
    fn parse(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        Some(ast::TableType::from_ast(cx, input))
    }

    fn check(&self, cx: &Ctxt) {
        check::check(cx, self);
    }

    fn expand(&self) -> TokenStream {
        expand::expand(self)
    }

    fn stub(_: &'a syn::DeriveInput, parsed: Option<&Self>) -> TokenStream {
        parsed.map_or_else(TokenStream::new, expand::stub)
    }
}
