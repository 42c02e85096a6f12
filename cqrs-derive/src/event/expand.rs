//! Generates the `DomainEvent`, `EventVariant` and `ApplyTo` impls.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::{Apply, EventEnum, EventVariant};
use crate::fields;

pub(crate) fn expand(event: &EventEnum<'_>) -> TokenStream {
    let domain_event = domain_event(event);
    let variants = variant_impls(event);
    let apply = apply_to(event);
    quote! {
        #domain_event
        #variants
        #apply
    }
}

/// Stubs that keep one mistake from causing errors elsewhere.
pub(crate) fn stub(input: &syn::DeriveInput, event: Option<&EventEnum<'_>>) -> TokenStream {
    let krate = match event {
        Some(event) => event.crate_path.clone(),
        None => crate::attr::crate_path_for_stub(&input.attrs),
    };
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    // Events must be `'static`: a borrowing enum (already an error) is stubbed as
    // its `'static` form, the one uses can name without a second error.
    let mut generics = input.generics.clone();
    let lifetimes: Vec<syn::Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    generics.params = generics
        .params
        .into_iter()
        .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
        .collect();
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let ty_generics = input.generics.params.iter().map(|p| match p {
        syn::GenericParam::Lifetime(_) => quote!('static),
        syn::GenericParam::Type(t) => t.ident.to_token_stream(),
        syn::GenericParam::Const(c) => c.ident.to_token_stream(),
    });
    let ty_generics = match input.generics.params.is_empty() {
        true => TokenStream::new(),
        false => quote!(<#(#ty_generics),*>),
    };
    let (variants, apply) = match event {
        Some(_) if !lifetimes.is_empty() => (TokenStream::new(), TokenStream::new()),
        Some(event) => (variant_impls(event), apply_stub(event)),
        None => (TokenStream::new(), TokenStream::new()),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::DerivedEvent for #ident #ty_generics #where_clause {}
        #[automatically_derived]
        impl #impl_generics #private::DomainEvent for #ident #ty_generics #where_clause {
            const EVENT_TYPES: &'static [#private::EventType] = &[];
            fn event_type(&self) -> &'static #private::EventType {
                ::core::unreachable!()
            }
            fn encode(&self) -> #private::Result<#private::Payload, #private::EncodeError> {
                ::core::unreachable!()
            }
            fn decode(
                _: &str,
                _: u32,
                _: &#private::Payload,
            ) -> #private::Result<Self, #private::DecodeError> {
                ::core::unreachable!()
            }
        }
        #variants
        #apply
    }
}

fn domain_event(event: &EventEnum<'_>) -> TokenStream {
    let krate = &event.crate_path;
    let private = quote!(#krate::__private);
    let ident = &event.original.ident;
    let enum_name = ident.unraw().to_string();
    let (impl_generics, ty_generics, where_clause) = event.original.generics.split_for_impl();

    let event_types = event.variants.iter().map(|v| {
        let name = &v.name.1;
        let version = v.version.1;
        let variant = v.ident.unraw().to_string();
        quote!(#private::EventType { name: #name, version: #version, variant: #variant })
    });
    let type_arms = event.variants.iter().enumerate().map(|(index, v)| {
        let variant = v.ident;
        quote!(Self::#variant { .. } => &<Self as #private::DomainEvent>::EVENT_TYPES[#index])
    });
    // Spanned at the enum's name, where a missing `Serialize` or `Deserialize` is reported.
    let encode = quote_spanned!(ident.span()=> #private::encode_variant(self, __name));
    let decode = quote_spanned!(ident.span()=> #private::decode_variant::<Self>);
    let decode_upcasted = quote_spanned!(ident.span()=> #private::decode_upcasted::<Self>);
    let decode_arms = event.variants.iter().map(|v| {
        let name = &v.name.1;
        let version = v.version.1;
        let variant = v.ident.unraw().to_string();
        let decode = quote!(#decode(#variant, __name, __version, __payload));
        let body = match upcast_chain(&private, v) {
            None => decode,
            Some(upcasts) => quote! {
                if __version < #version {
                    let mut __value = #private::payload_value(__payload, __name, __version)?;
                    #upcasts
                    #decode_upcasted(#variant, __name, __version, __value)
                } else {
                    #decode
                }
            },
        };
        quote! {
            #name => {
                if __version > #version {
                    #private::Result::Err(#private::newer_version(__name, __version, #version))
                } else {
                    #body
                }
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics #private::DerivedEvent for #ident #ty_generics #where_clause {}
        #[automatically_derived]
        impl #impl_generics #private::DomainEvent for #ident #ty_generics #where_clause {
            const EVENT_TYPES: &'static [#private::EventType] = &[#(#event_types),*];

            #[inline]
            fn event_type(&self) -> &'static #private::EventType {
                match self {
                    #(#type_arms,)*
                }
            }

            fn encode(&self) -> #private::Result<#private::Payload, #private::EncodeError> {
                let __name = <Self as #private::DomainEvent>::event_type(self).name;
                #encode
            }

            fn decode(
                __name: &str,
                __version: u32,
                __payload: &#private::Payload,
            ) -> #private::Result<Self, #private::DecodeError> {
                match __name {
                    #(#decode_arms)*
                    _ => #private::Result::Err(#private::unknown_event(__name, #enum_name)),
                }
            }
        }
    }
}

/// Runs a stored payload (as `__value`) through every upcaster from its version on,
/// oldest first; `None` without upcasters. A version older than the first upcaster is
/// read as that upcaster's input.
fn upcast_chain(private: &TokenStream, variant: &EventVariant<'_>) -> Option<TokenStream> {
    let mut upcasts: Vec<_> = variant.upcasts.iter().collect();
    upcasts.sort_by_key(|u| u.from.1);
    let steps = upcasts.iter().map(|upcast| {
        let from = upcast.from.1;
        let with = &upcast.with;
        let span = syn::spanned::Spanned::span(with);
        let call = quote_spanned!(span=> #private::upcast(__value, #with, __name, #from));
        let check = quote_spanned!(span=> #private::upcaster_returns_fields_not::<Self, _, _, _, _>(&#with));
        quote! {
            #check;
            if __version <= #from {
                __value = #call?;
            }
        }
    });
    if upcasts.is_empty() {
        return None;
    }
    Some(quote!(#(#steps)*))
}

/// One `EventVariant<id>` impl per variant: how projections find a variant's fields.
fn variant_impls(event: &EventEnum<'_>) -> TokenStream {
    let krate = &event.crate_path;
    let private = quote!(#krate::__private);
    let ident = &event.original.ident;
    let (impl_generics, ty_generics, where_clause) = event.original.generics.split_for_impl();
    let impls = event.variants.iter().map(|v| {
        let body = variant_impl(&private, v);
        let id = v.ident.unraw().to_string();
        quote! {
            #[automatically_derived]
            #[diagnostic::do_not_recommend]
            impl #impl_generics #private::EventVariant<{ #private::variant_id(#id) }>
                for #ident #ty_generics #where_clause
            {
                #body
            }
        }
    });
    quote!(#(#impls)*)
}

fn variant_impl(private: &TokenStream, variant: &EventVariant<'_>) -> TokenStream {
    let name = &variant.name.1;
    let ident = variant.ident;
    let fields_type = fields::tuple_type(&variant.fields);
    let pattern = fields::pattern(&variant.fields);
    let tuple = fields::tuple(&variant.fields);
    quote! {
        const EVENT_NAME: &'static str = #name;
        type Fields = #fields_type;

        #[inline]
        fn into_fields(self) -> #private::Result<Self::Fields, Self> {
            #[allow(unreachable_patterns)]
            match self {
                Self::#ident #pattern => #private::Result::Ok(#tuple),
                __other => #private::Result::Err(__other),
            }
        }
    }
}

/// With `#[event(aggregate = A)]`: each variant calls `A::on_<variant>(state, fields...)`;
/// one impl per aggregate listed.
fn apply_to(event: &EventEnum<'_>) -> TokenStream {
    let impls = event
        .aggregates
        .iter()
        .map(|aggregate| apply_to_one(event, aggregate));
    quote!(#(#impls)*)
}

fn apply_to_one(event: &EventEnum<'_>, aggregate: &syn::Type) -> TokenStream {
    let krate = &event.crate_path;
    let private = quote!(#krate::__private);
    let ident = &event.original.ident;
    let (impl_generics, ty_generics, where_clause) = event.original.generics.split_for_impl();
    let arms = event.variants.iter().map(|v| {
        let variant = v.ident;
        let pattern = fields::pattern(&v.fields);
        let tuple = fields::tuple(&v.fields);
        let types = fields::tuple_type(&v.fields);
        let call = match &v.apply {
            // Through a trait of the fields' types: a method with other parameters is
            // one error here, saying what to write.
            Apply::Default(method) | Apply::Method(_, method) => quote_spanned! {method.span()=>
                #private::ApplyHandler::<#aggregate, #types, _>::call(
                    <#aggregate>::#method,
                    __aggregate,
                    #tuple,
                )
            },
            Apply::Skip(_) => quote!({}),
        };
        quote!(Self::#variant #pattern => #call)
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::ApplyTo<#aggregate> for #ident #ty_generics #where_clause {
            #[inline]
            fn apply_to(self, __aggregate: &mut #aggregate) {
                #[allow(unused_variables)]
                match self {
                    #(#arms,)*
                }
            }
        }
    }
}

fn apply_stub(event: &EventEnum<'_>) -> TokenStream {
    let krate = &event.crate_path;
    let private = quote!(#krate::__private);
    let ident = &event.original.ident;
    let (impl_generics, ty_generics, where_clause) = event.original.generics.split_for_impl();
    let impls = event.aggregates.iter().map(|aggregate| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #private::ApplyTo<#aggregate> for #ident #ty_generics #where_clause {
                fn apply_to(self, _: &mut #aggregate) {
                    ::core::unreachable!()
                }
            }
        }
    });
    quote!(#(#impls)*)
}
