//! The query struct as the derive sees it.

use crate::attr::{self, Attr};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use crate::fields::{self, Field};

pub(crate) struct QueryType<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    pub(crate) output: Option<syn::Type>,
    /// `read_model = TopProducts`: the type whose method answers the query.
    pub(crate) read_model: Option<syn::Type>,
    /// `handler = top`, with its tokens; default: the query's name in snake case.
    pub(crate) handler: Option<(proc_macro2::TokenStream, syn::Ident)>,
    pub(crate) fields: Vec<Field<'a>>,
}

const KEYS: &[&str] = &["output", "read_model", "handler"];

impl<'a> QueryType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut output = Attr::none(cx, "query", "output");
        let mut read_model = Attr::none(cx, "query", "read_model");
        let mut handler = Attr::none(cx, "query", "handler");
        attr::each_attr(cx, &input.attrs, "query", |meta| {
            if meta.path.is_ident("output") {
                // #[query(output = Vec<ProductCount>)]
                let ty = attr::type_value(meta, "output")?;
                output.set(&meta.path, ty);
            } else if meta.path.is_ident("read_model") {
                // #[query(read_model = TopProducts)]
                let ty = attr::type_value(meta, "read_model")?;
                read_model.set(&meta.path, ty);
            } else if meta.path.is_ident("handler") {
                // #[query(handler = top)]
                let method = attr::ident_value(meta, "handler")?;
                handler.set(&meta.path, method);
            } else {
                return attr::unknown_key(meta, "query", KEYS);
            }
            Ok(())
        });
        let data = match &input.data {
            syn::Data::Struct(data) => data,
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "Query can only be derived for a struct: its fields are the query's parameters",
                );
                return None;
            }
        };
        Some(QueryType {
            original: input,
            crate_path,
            output: output.get(),
            read_model: read_model.get(),
            handler: handler.get_with_tokens(),
            fields: fields::fields(&data.fields),
        })
    }

    /// The read model's method that answers the query.
    pub(crate) fn handler_method(&self) -> syn::Ident {
        match &self.handler {
            Some((_, method)) => method.clone(),
            None => method_ident(&self.original.ident, ""),
        }
    }
}
