//! Generates the `Command` impl: one arm per variant, calling the aggregate's method.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::{CommandEnum, CommandVariant};
use crate::fields;

pub(crate) fn expand(command: &CommandEnum<'_>) -> TokenStream {
    let Some(aggregate) = &command.aggregate else {
        return TokenStream::new();
    };
    let krate = &command.crate_path;
    let private = quote!(#krate::__private);
    let ident = &command.original.ident;
    let (impl_generics, ty_generics, where_clause) = command.original.generics.split_for_impl();
    let name_arms = command.variants.iter().map(|v| {
        let variant = v.ident;
        let name = variant.unraw().to_string();
        quote!(Self::#variant { .. } => #name)
    });
    let handle_arms = command
        .variants
        .iter()
        .map(|v| handle_arm(&private, aggregate, v));
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Command for #ident #ty_generics #where_clause {
            type Aggregate = #aggregate;

            fn command_name(&self) -> &'static str {
                match self {
                    #(#name_arms,)*
                }
            }

            fn handle<'__a>(
                self,
                __aggregate: &'__a #aggregate,
                __services: &'__a <#aggregate as #private::Aggregate>::Services,
            ) -> impl #private::Future<Output = #private::Decision<#aggregate>> + #private::Send + '__a {
                async move {
                    #[allow(unused_variables)]
                    match self {
                        #(#handle_arms)*
                    }
                }
            }
        }
    }
}

fn handle_arm(
    private: &TokenStream,
    aggregate: &syn::Type,
    variant: &CommandVariant<'_>,
) -> TokenStream {
    let ident = variant.ident;
    let method = &variant.handler;
    let pattern = fields::pattern(&variant.fields);
    let mut arguments = fields::arguments(&variant.fields);
    if variant.services {
        if !variant.fields.is_empty() {
            arguments.extend(quote!(,));
        }
        arguments.extend(quote!(__services));
    }
    let span = method.span();
    // Going through a trait makes a wrong return type an error at this variant,
    // with a note about `async`.
    let decision = if variant.is_async {
        let call = quote_spanned!(span=> <#aggregate>::#method(__aggregate, #arguments));
        quote_spanned!(span=> #private::IntoDecision::<#aggregate>::into_decision(#call.await))
    } else {
        // Through a fn pointer of the exact parameters: a method with others (such as
        // an apply method's `&mut self`) is one error here, showing what to write.
        let mut types: Vec<TokenStream> = variant
            .fields
            .iter()
            .map(|f| quote::ToTokens::to_token_stream(f.ty))
            .collect();
        if variant.services {
            types.push(quote!(&'__a <#aggregate as #private::Aggregate>::Services));
        }
        quote_spanned! {span=>
            {
                let __handler: fn(&'__a #aggregate, #(#types),*) -> _ = <#aggregate>::#method;
                #private::IntoDecision::<#aggregate>::into_decision(__handler(__aggregate, #arguments))
            }
        }
    };
    quote!(Self::#ident #pattern => #decision,)
}

pub(crate) fn stub(input: &syn::DeriveInput, command: Option<&CommandEnum<'_>>) -> TokenStream {
    let Some(command) = command else {
        return TokenStream::new();
    };
    let Some(aggregate) = &command.aggregate else {
        return TokenStream::new();
    };
    let krate = &command.crate_path;
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Command for #ident #ty_generics #where_clause {
            type Aggregate = #aggregate;
            fn command_name(&self) -> &'static str {
                ::core::unreachable!()
            }
            fn handle<'__a>(
                self,
                _: &'__a #aggregate,
                _: &'__a <#aggregate as #private::Aggregate>::Services,
            ) -> impl #private::Future<Output = #private::Decision<#aggregate>> + #private::Send + '__a {
                async move { ::core::unreachable!() }
            }
        }
    }
}
