//! Generates the `Aggregate` impl.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::AggregateType;

pub(crate) fn expand(aggregate: &AggregateType<'_>) -> TokenStream {
    let (Some(event), Some(error)) = (&aggregate.event, &aggregate.error) else {
        return TokenStream::new();
    };
    let krate = &aggregate.crate_path;
    let private = quote!(#krate::__private);
    let ident = &aggregate.original.ident;
    let (impl_generics, ty_generics, where_clause) = aggregate.original.generics.split_for_impl();
    let name = &aggregate.name.1;
    let services = &aggregate.services;
    let state_version = aggregate
        .state_version
        .as_ref()
        .map(|(_, version)| quote!(const STATE_VERSION: u32 = #version;));
    // Spanned at `event = ...`, where a missing `#[event(aggregate = ...)]` is reported.
    let apply = quote_spanned! {event.span()=>
        <#event as #private::ApplyTo<Self>>::apply_to(__event, self)
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Aggregate for #ident #ty_generics #where_clause {
            const TYPE_NAME: &'static str = #name;
            #state_version
            type Event = #event;
            type Error = #error;
            type Services = #services;

            #[inline]
            fn apply(&mut self, __event: #event) {
                #apply
            }
        }
    }
}

/// The stand-in after an error. Without `event = ...` its events are
/// `MissingEvent`, which the command handlers' events convert into, so the missing
/// key stays the one error; without `error = ...` there is no type to stand in for
/// the handlers' errors, so there is no stand-in (uses report `Cart` is not an
/// aggregate, with the same advice).
pub(crate) fn stub(aggregate: &AggregateType<'_>) -> TokenStream {
    let Some(error) = &aggregate.error else {
        return TokenStream::new();
    };
    let krate = &aggregate.crate_path;
    let private = quote!(#krate::__private);
    let event = match &aggregate.event {
        Some(event) => quote!(#event),
        None => quote!(#private::MissingEvent),
    };
    let ident = &aggregate.original.ident;
    let (impl_generics, ty_generics, where_clause) = aggregate.original.generics.split_for_impl();
    let services = &aggregate.services;
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Aggregate for #ident #ty_generics #where_clause {
            const TYPE_NAME: &'static str = "";
            type Event = #event;
            type Error = #error;
            type Services = #services;
            fn apply(&mut self, _: #event) {
                ::core::unreachable!()
            }
        }
    }
}
