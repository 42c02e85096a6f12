//! Generates the `Projection` impl: try each handled variant in turn.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::ProjectionType;
use crate::span::respan;

pub(crate) fn expand(projection: &ProjectionType<'_>) -> TokenStream {
    let (Some(event), Some(handles)) = (&projection.event, &projection.handles) else {
        return TokenStream::new();
    };
    let krate = &projection.crate_path;
    let private = quote!(#krate::__private);
    let ident = &projection.original.ident;
    let (impl_generics, ty_generics, where_clause) = projection.original.generics.split_for_impl();
    let name = &projection.name.1;
    let skip_unknown = projection.skip_unknown.then(|| {
        quote!(
            const SKIP_UNKNOWN: bool = true;
        )
    });
    // `<CartEvent as EventVariant<{ id("ItemAdded") }>>`, every token spanned at the
    // user's variant name, so a misspelled variant is reported there, once.
    let variant_traits: Vec<TokenStream> = handles
        .list
        .iter()
        .map(|h| {
            let span = h.variant.span();
            let id = h.variant.unraw().to_string();
            let event = respan(event.to_token_stream(), span);
            let private = respan(private.clone(), span);
            quote_spanned! {span=>
                <#event as #private::EventVariant<{ #private::variant_id(#id) }>>
            }
        })
        .collect();
    let event_names = handles
        .list
        .iter()
        .zip(&variant_traits)
        .map(|(h, variant)| quote_spanned!(h.variant.span()=> #variant::EVENT_NAME));
    let attempts = handles
        .list
        .iter()
        .zip(&variant_traits)
        .map(|(h, variant)| {
            let method = &h.method;
            let span = h.variant.span();
            let fields_type = quote_spanned!(span=> #variant::Fields);
            let into_fields = quote_spanned!(span=> #variant::into_fields);
            // Naming the argument types makes a handler with the wrong parameters fail
            // the `ProjectionHandler` bound, whose message lists the variant's fields;
            // the header parameter is optional (the bound's marker is inferred).
            let call = quote_spanned! {method.span()=>
                #private::ProjectionHandler::<Self, #fields_type, _>::call(
                    <Self>::#method,
                    self,
                    &__header,
                    __fields,
                )
            };
            quote_spanned! {span=>
                let __event = match #into_fields(__event) {
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
            const HANDLED_EVENTS: &'static [&'static str] = &[#(#event_names),*];
            #skip_unknown

            fn project(
                &mut self,
                __header: &#private::EventHeader,
                __event: #event,
            ) -> #private::Result<(), #private::HandlerError> {
                #(#attempts)*
                let _ = __event;
                #private::Result::Ok(())
            }
        }
    }
}

pub(crate) fn stub(projection: &ProjectionType<'_>) -> TokenStream {
    let krate = &projection.crate_path;
    let private = quote!(#krate::__private);
    // Without `event = ...`, a stand-in event type: the projection can still be
    // used where it is, and the missing key stays the one error.
    let event = match &projection.event {
        Some(event) => quote!(#event),
        None => quote!(#private::MissingEvent),
    };
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
                _: &#private::EventHeader,
                _: #event,
            ) -> #private::Result<(), #private::HandlerError> {
                ::core::unreachable!()
            }
        }
    }
}
