//! The fields of a struct or variant, with the local names generated code binds them to.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

pub(crate) struct Field<'a> {
    /// `sku` or `0`.
    pub(crate) member: syn::Member,
    pub(crate) ty: &'a syn::Type,
    /// `__f0`, `__f1`, ...: cannot clash with the user's names.
    pub(crate) binding: syn::Ident,
}

pub(crate) fn fields(fields: &syn::Fields) -> Vec<Field<'_>> {
    fields
        .iter()
        .enumerate()
        .map(|(index, field)| Field {
            member: match &field.ident {
                Some(ident) => syn::Member::Named(ident.clone()),
                None => syn::Member::Unnamed(syn::Index {
                    index: index as u32,
                    span: Span::call_site(),
                }),
            },
            ty: &field.ty,
            binding: format_ident!("__f{}", index, span = field_span(field)),
        })
        .collect()
}

/// Where an error about this field's value should point: its name, or its type.
fn field_span(field: &syn::Field) -> Span {
    match &field.ident {
        Some(ident) => ident.span(),
        None => syn::spanned::Spanned::span(&field.ty),
    }
}

/// `{ sku: __f0, 0: __f1 }`: binds every field; valid after any struct or variant path.
pub(crate) fn pattern(fields: &[Field<'_>]) -> TokenStream {
    let members = fields.iter().map(|f| &f.member);
    let bindings = fields.iter().map(|f| &f.binding);
    quote!({ #(#members: #bindings),* })
}

/// The most fields a handler called through a trait can take (`cqrs_core`'s
/// `ApplyHandler` and `ProjectionHandler` are implemented up to this many).
pub(crate) const MAX_HANDLER_FIELDS: usize = 12;

/// `__f0, __f1`.
pub(crate) fn arguments(fields: &[Field<'_>]) -> TokenStream {
    let bindings = fields.iter().map(|f| &f.binding);
    quote!(#(#bindings),*)
}

/// `(__f0, __f1,)`.
pub(crate) fn tuple(fields: &[Field<'_>]) -> TokenStream {
    let bindings = fields.iter().map(|f| &f.binding);
    quote!((#(#bindings,)*))
}

/// `(String, u32,)`.
pub(crate) fn tuple_type(fields: &[Field<'_>]) -> TokenStream {
    let types = fields.iter().map(|f| f.ty);
    quote!((#(#types,)*))
}
