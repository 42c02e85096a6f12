//! Generates the `TableProjection` impl: try each handled variant in turn, calling
//! its `async` method with the connection, the header and the variant's fields.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::TableType;

pub(crate) fn expand(table: &TableType<'_>) -> TokenStream {
    let (Some(db), Some(event), Some(handles), Some(schema), Some(clear)) = (
        &table.db,
        &table.event,
        &table.handles,
        &table.schema,
        &table.clear,
    ) else {
        return TokenStream::new();
    };
    let krate = &table.crate_path;
    let private = quote!(#krate::__private);
    let ident = &table.original.ident;
    let (impl_generics, ty_generics, where_clause) = table.original.generics.split_for_impl();
    let name = &table.name.1;
    let attempts = handles.list.iter().map(|h| {
        let span = h.variant.span();
        let id = h.variant.unraw().to_string();
        let method = &h.method;
        let variant = quote_spanned! {span=>
            <#event as #private::EventVariant<{ #private::variant_id(#id) }>>
        };
        let fields = quote_spanned!(span=> #variant::Fields);
        // Coerced to the exact signature first: other parameters, or a plain `fn`,
        // is one error here, showing what to write.
        let call = quote_spanned! {method.span()=>
            {
                let __handler: <#fields as #private::TableShape<Self, <#db as #private::Database>::Connection>>::Handler<'__a, '__b, '__c, _> =
                    <Self>::#method;
                #private::HandlerOutcome::into_result(
                    <#fields as #private::TableShape<Self, <#db as #private::Database>::Connection>>::call(
                        __handler, self, __db, __header, __fields,
                    ).await,
                )
            }
        };
        quote_spanned! {span=>
            let __event = match #variant::into_fields(__event) {
                #private::Result::Ok(__fields) => return #call,
                #private::Result::Err(__event) => __event,
            };
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::TableProjection<#db> for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            type Event = #event;
            const SCHEMA: &'static [&'static str] = #schema;
            const CLEAR: &'static [&'static str] = #clear;

            fn apply<'__a, '__b, '__c>(
                &'__a self,
                __db: &'__b mut <#db as #private::Database>::Connection,
                __header: &'__c #private::EventHeader,
                __event: #event,
            ) -> impl #private::Future<Output = #private::Result<(), #private::HandlerError>> + #private::Send {
                async move {
                    #(#attempts)*
                    let _ = __event;
                    #private::Result::Ok(())
                }
            }
        }
    }
}

pub(crate) fn stub(table: &TableType<'_>) -> TokenStream {
    let Some(db) = &table.db else {
        return TokenStream::new();
    };
    let krate = &table.crate_path;
    let private = quote!(#krate::__private);
    // Without `event = ...`, a stand-in event type (see the projection's stub).
    let event = match &table.event {
        Some(event) => quote!(#event),
        None => quote!(#private::MissingEvent),
    };
    let ident = &table.original.ident;
    let (impl_generics, ty_generics, where_clause) = table.original.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::TableProjection<#db> for #ident #ty_generics #where_clause {
            const NAME: &'static str = "";
            type Event = #event;
            const SCHEMA: &'static [&'static str] = &[];
            const CLEAR: &'static [&'static str] = &[];
            async fn apply(
                &self,
                _: &mut <#db as #private::Database>::Connection,
                _: &#private::EventHeader,
                _: #event,
            ) -> #private::Result<(), #private::HandlerError> {
                ::core::unreachable!()
            }
        }
    }
}
