//! `#[derive(Command)]`.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::driver::{self, Derive};

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    driver::run::<ast::CommandEnum<'_>>(input)
}

impl<'a> Derive<'a> for ast::CommandEnum<'a> {
    fn parse(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        ast::CommandEnum::from_ast(cx, input)
    }

    fn check(&self, cx: &Ctxt) {
        check::check(cx, self);
    }

    fn expand(&self) -> TokenStream {
        expand::expand(self)
    }

    fn stub(input: &'a syn::DeriveInput, parsed: Option<&Self>) -> TokenStream {
        expand::stub(input, parsed)
    }
}
