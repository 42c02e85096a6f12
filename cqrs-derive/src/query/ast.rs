//! The query struct as the derive sees it.

use crate::attr::{self, Attr};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use crate::fields::{self, Field};
use syn::meta::ParseNestedMeta;

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

/// What `#[query(...)]` says, key by key.
struct Keys<'c> {
    output: Attr<'c, syn::Type>,
    read_model: Attr<'c, syn::Type>,
    handler: Attr<'c, syn::Ident>,
}

/// Each key of `#[query(...)]` and how its value is read.
type KeyTable = [(
    &'static str,
    for<'c> fn(&mut Keys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const KEYS: &KeyTable = &[
    // #[query(output = Vec<ProductCount>)]
    ("output", |k, meta| k.output.read(meta, attr::type_value)),
    // #[query(read_model = TopProducts)]
    ("read_model", |k, meta| {
        k.read_model.read(meta, attr::type_value)
    }),
    // #[query(handler = top)]
    ("handler", |k, meta| k.handler.read(meta, attr::ident_value)),
];

impl<'a> QueryType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = Keys {
            output: Attr::none(cx, "query", "output"),
            read_model: Attr::none(cx, "query", "read_model"),
            handler: Attr::none(cx, "query", "handler"),
        };
        attr::each_attr(cx, &input.attrs, "query", |meta| {
            attr::dispatch(meta, "query", KEYS, &mut keys)
        });
        let Keys {
            output,
            read_model,
            handler,
        } = keys;
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
