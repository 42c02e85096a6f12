//! Generates the `Projection` impl: try each handled variant in turn.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::ProjectionType;

pub(crate) fn expand(projection: &ProjectionType<'_>) -> TokenStream {
    let (Some(event), Some((_, handled))) = (&projection.event, &projection.handles) else {
        return TokenStream::new();
    };
    let krate = &projection.crate_path;
    let private = quote!(#krate::__private);
    let ident = &projection.original.ident;
    let (impl_generics, ty_generics, where_clause) = projection.original.generics.split_for_impl();
    let name = &projection.name.1;
    // `<CartEvent as EventVariant<{ id("ItemAdded") }>>`, spanned at the user's variant name
    // so that a misspelled variant is reported there.
    let variant_traits: Vec<TokenStream> = handled
        .iter()
        .map(|h| {
            let id = h.variant.unraw().to_string();
            quote_spanned! {h.variant.span()=>
                <#event as #private::EventVariant<{ #private::variant_id(#id) }>>
            }
        })
        .collect();
    let attempts = handled.iter().zip(&variant_traits).map(|(h, variant)| {
        let method = &h.method;
        let call = quote_spanned! {method.span()=>
            #private::call_projection_handler(<Self>::#method, self, &__header, __fields)
        };
        quote! {
            let __event = match #variant::into_fields(__event) {
                #private::Result::Ok(__fields) => return #call,
                #private::Result::Err(__event) => __event,
            };
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Projection for #ident #ty_generics #where_clause {
            type Event = #event;
            const NAME: &'static str = #name;
            const HANDLED_EVENTS: &'static [&'static str] = &[#(#variant_traits::EVENT_NAME),*];

            fn project(
                &mut self,
                __envelope: #private::EventEnvelope<#event>,
            ) -> #private::Result<(), #private::HandlerError> {
                let #private::EventEnvelope { header: __header, event: __event } = __envelope;
                #(#attempts)*
                let _ = __event;
                #private::Result::Ok(())
            }
        }
    }
}

pub(crate) fn stub(projection: &ProjectionType<'_>) -> TokenStream {
    let Some(event) = &projection.event else {
        return TokenStream::new();
    };
    let krate = &projection.crate_path;
    let private = quote!(#krate::__private);
    let ident = &projection.original.ident;
    let (impl_generics, ty_generics, where_clause) = projection.original.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Projection for #ident #ty_generics #where_clause {
            type Event = #event;
            const NAME: &'static str = "";
            const HANDLED_EVENTS: &'static [&'static str] = &[];
            fn project(
                &mut self,
                _: #private::EventEnvelope<#event>,
            ) -> #private::Result<(), #private::HandlerError> {
                ::core::unreachable!()
            }
        }
    }
}
