//! Generates the `Query` impl and, with `read_model`, its `QueryHandler`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::ast::QueryType;
use crate::fields;

pub(crate) fn expand(query: &QueryType<'_>) -> TokenStream {
    let Some(output) = &query.output else {
        return TokenStream::new();
    };
    let krate = &query.crate_path;
    let private = quote!(#krate::__private);
    let ident = &query.original.ident;
    let (impl_generics, ty_generics, where_clause) = query.original.generics.split_for_impl();
    let handler = query.read_model.as_ref().map(|read_model| {
        let method = query.handler_method();
        let pattern = fields::pattern(&query.fields);
        let arguments = fields::arguments(&query.fields);
        let call = quote_spanned!(method.span()=> <#read_model>::#method(self, #arguments));
        quote! {
            #[automatically_derived]
            impl #impl_generics #private::QueryHandler<#ident #ty_generics> for #read_model #where_clause {
                #[inline]
                fn query(&self, __query: #ident #ty_generics) -> #output {
                    let #ident #pattern = __query;
                    #call
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Query for #ident #ty_generics #where_clause {
            type Output = #output;
        }
        #handler
    }
}

pub(crate) fn stub(query: Option<&QueryType<'_>>) -> TokenStream {
    let Some(query) = query else {
        return TokenStream::new();
    };
    let Some(output) = &query.output else {
        return TokenStream::new();
    };
    let krate = &query.crate_path;
    let private = quote!(#krate::__private);
    let ident = &query.original.ident;
    let (impl_generics, ty_generics, where_clause) = query.original.generics.split_for_impl();
    // With its read model known, the handler too: code that asks the read model
    // this query then compiles, and the mistake is the only error.
    let handler = query.read_model.as_ref().map(|read_model| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #private::QueryHandler<#ident #ty_generics> for #read_model #where_clause {
                fn query(&self, _: #ident #ty_generics) -> #output {
                    ::core::unreachable!()
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Query for #ident #ty_generics #where_clause {
            type Output = #output;
        }
        #handler
    }
}
