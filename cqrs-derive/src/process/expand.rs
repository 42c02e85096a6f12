//! Generates the `ProcessManager` impl and, when the manager reads several event
//! enums, the enum that holds any of them.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;

use super::ast::{By, Entry, ProcessType, enum_of};
use crate::span::respan;

pub(crate) fn expand(process: &ProcessType<'_>) -> TokenStream {
    let Some(command) = &process.command else {
        return TokenStream::new();
    };
    let krate = &process.crate_path;
    let private = quote!(#krate::__private);
    let ident = &process.original.ident;
    let (impl_generics, ty_generics, where_clause) = process.original.generics.split_for_impl();
    let enums = process.event_enums();
    let (event, union) = event_type(process, &enums);
    let name = &process.name.1;
    let routes = process
        .entries
        .iter()
        .filter_map(|entry| route_arm(&private, entry, &enums, &event));
    let attempts = process
        .entries
        .iter()
        .filter_map(|entry| attempt(&private, command, entry, &enums, &event));
    let done = process.done.as_ref().map(|method| {
        quote_spanned! {method.span()=>
            fn is_done(&self) -> bool {
                <Self>::#method(self)
            }
        }
    });
    let deadlines = process.deadlines.as_ref().map(|method| {
        quote_spanned! {method.span()=>
            fn deadlines(&self) -> #private::Vec<(#private::String, #private::DateTime<#private::Utc>)> {
                <Self>::#method(self)
            }
        }
    });
    let on_deadline = process.on_deadline.as_ref().map(|method| {
        let call = quote_spanned! {method.span()=>
            #private::IntoCommands::<#command>::into_commands(<Self>::#method(self, __name, __due))
        };
        quote! {
            fn on_deadline(
                &mut self,
                __name: &str,
                __due: #private::DateTime<#private::Utc>,
            ) -> impl #private::Future<
                Output = #private::Result<#private::Vec<#command>, #private::HandlerError>,
            > + #private::Send {
                #private::ready(#call)
            }
        }
    });
    quote! {
        #union

        #[automatically_derived]
        impl #impl_generics #private::ProcessManager for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            type Event = #event;
            type Command = #command;

            #[allow(unreachable_patterns)]
            fn route(__header: &#private::EventHeader, __event: &#event) -> #private::Route {
                match __event {
                    #(#routes)*
                    _ => #private::Route::Ignore,
                }
            }

            async fn handle(
                &mut self,
                __header: &#private::EventHeader,
                __event: #event,
            ) -> #private::Result<#private::Vec<#command>, #private::HandlerError> {
                #(#attempts)*
                let _ = __event;
                #private::Result::Ok(#private::Vec::new())
            }

            #done
            #deadlines
            #on_deadline
        }
    }
}

/// The manager's event type: the one enum it reads, or an enum of all of them
/// (returned second, to be emitted).
fn event_type(process: &ProcessType<'_>, enums: &[syn::Path]) -> (TokenStream, TokenStream) {
    match enums {
        [] => (quote!(()), TokenStream::new()),
        [one] => (one.to_token_stream(), TokenStream::new()),
        several => {
            let union = format_ident!("__{}Events", process.original.ident.unraw());
            let item = union_enum(process, &union, several);
            (union.to_token_stream(), item)
        }
    }
}

/// `__FulfilmentEvents { E0(CartEvent), E1(StockEvent) }`: any event the manager
/// reads, decoded by whichever enum knows its name.
fn union_enum(process: &ProcessType<'_>, union: &syn::Ident, enums: &[syn::Path]) -> TokenStream {
    let krate = &process.crate_path;
    let private = quote!(#krate::__private);
    let vis = &process.original.vis;
    let members: Vec<syn::Ident> = (0..enums.len()).map(|i| format_ident!("E{i}")).collect();
    let doc = format!(
        "Any event `{}` reads: what its fixture's `given_on` and `when_on` take (each member converts into it).",
        process.original.ident.unraw()
    );
    let label = format!("the events of process manager `{}`", process.name.1);
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis enum #union {
            #(
                #[allow(missing_docs)]
                #members(#enums),
            )*
        }

        #(
            #[automatically_derived]
            impl ::core::convert::From<#enums> for #union {
                fn from(event: #enums) -> Self {
                    Self::#members(event)
                }
            }
        )*

        #[automatically_derived]
        impl #union {
            const __TYPES: [#private::EventType; 0 #(+ <#enums as #private::DomainEvent>::EVENT_TYPES.len())*] =
                #private::concat_event_types(&[#(<#enums as #private::DomainEvent>::EVENT_TYPES),*]);
        }

        #[automatically_derived]
        impl #private::DomainEvent for #union {
            const EVENT_TYPES: &'static [#private::EventType] = &Self::__TYPES;

            fn event_type(&self) -> &'static #private::EventType {
                match self {
                    #(Self::#members(event) => #private::DomainEvent::event_type(event),)*
                }
            }

            fn encode(&self) -> #private::Result<#private::Payload, #private::EncodeError> {
                match self {
                    #(Self::#members(event) => #private::DomainEvent::encode(event),)*
                }
            }

            fn decode(
                name: &str,
                version: u32,
                payload: &#private::Payload,
            ) -> #private::Result<Self, #private::DecodeError> {
                #(
                    if <#enums as #private::DomainEvent>::EVENT_TYPES.iter().any(|t| t.name == name) {
                        return <#enums as #private::DomainEvent>::decode(name, version, payload)
                            .map(Self::#members);
                    }
                )*
                #private::Result::Err(#private::unknown_event(name, #label))
            }
        }
    }
}

/// The pattern of `entry`'s variant inside the manager's event type, binding `fields`.
fn pattern(
    entry: &Entry,
    enums: &[syn::Path],
    event: &TokenStream,
    fields: TokenStream,
) -> Option<TokenStream> {
    let variant = entry.variant.as_ref()?;
    let span = entry.variant_ident()?.span();
    let variant = respan(variant.to_token_stream(), span);
    let inner = quote!(#variant { #fields .. });
    Some(match member(entry, enums) {
        Some(member) => quote!(#event::#member(#inner)),
        None => inner,
    })
}

/// `E1` when the manager reads several enums and `entry`'s is the second.
fn member(entry: &Entry, enums: &[syn::Path]) -> Option<syn::Ident> {
    if enums.len() < 2 {
        return None;
    }
    let path = enum_of(entry.variant.as_ref()?)?
        .to_token_stream()
        .to_string();
    let index = enums
        .iter()
        .position(|e| e.to_token_stream().to_string() == path)?;
    Some(format_ident!("E{index}"))
}

fn route_arm(
    private: &TokenStream,
    entry: &Entry,
    enums: &[syn::Path],
    event: &TokenStream,
) -> Option<TokenStream> {
    let (_, by) = entry.by.first()?;
    let (fields, id) = match by {
        By::Field(field) => (
            quote!(#field,),
            quote_spanned!(field.span()=> #private::instance_id(#field)),
        ),
        By::Stream => (quote!(), quote!(__header.stream_id.to_string())),
        By::EventId => (quote!(), quote!(__header.event_id.to_string())),
    };
    let pattern = pattern(entry, enums, event, fields)?;
    let route = if entry.starts {
        quote!(Start)
    } else {
        quote!(Continue)
    };
    Some(quote!(#pattern => #private::Route::#route(#id),))
}

/// Tries `entry`'s variant: calls its handler with the fields when the event is
/// that variant, else goes on with the event.
fn attempt(
    private: &TokenStream,
    command: &syn::Type,
    entry: &Entry,
    enums: &[syn::Path],
    event: &TokenStream,
) -> Option<TokenStream> {
    let variant = entry.variant.as_ref()?;
    let ident = entry.variant_ident()?;
    let enum_path = enum_of(variant)?;
    let method = entry.handler()?;
    let span = ident.span();
    let id = ident.unraw().to_string();
    // Every token at the user's variant name, so that a misspelled variant is
    // reported there, once (with the route's pattern, which names it too).
    let enum_path = respan(enum_path.to_token_stream(), span);
    let variant_private = respan(private.clone(), span);
    let variant_trait = quote_spanned! {span=>
        <#enum_path as #variant_private::EventVariant<{ #variant_private::variant_id(#id) }>>
    };
    let fields_type = quote_spanned!(span=> #variant_trait::Fields);
    let call = if entry.is_async {
        quote_spanned! {method.span()=>
            #private::AsyncProcessHandler::<Self, #fields_type, #command, _>::call(
                <Self>::#method, self, __header, __fields,
            ).await
        }
    } else {
        // The header parameter is optional: the bound's marker is inferred.
        quote_spanned! {method.span()=>
            #private::ProcessHandler::<Self, #fields_type, #command, _>::call(
                <Self>::#method, self, __header, __fields,
            )
        }
    };
    let try_variant = quote_spanned! {span=>
        match #variant_trait::into_fields(__event) {
            #private::Result::Ok(__fields) => return #call,
            #private::Result::Err(__event) => __event,
        }
    };
    Some(match member(entry, enums) {
        Some(member) => quote! {
            let __event = match __event {
                #event::#member(__event) => #event::#member(#try_variant),
                __event => __event,
            };
        },
        None => quote! {
            let __event = #try_variant;
        },
    })
}

/// What a failed derive emits so that uses of the type add no errors of their own.
pub(crate) fn stub(process: &ProcessType<'_>) -> TokenStream {
    let Some(command) = &process.command else {
        return TokenStream::new();
    };
    let krate = &process.crate_path;
    let private = quote!(#krate::__private);
    let ident = &process.original.ident;
    let (impl_generics, ty_generics, where_clause) = process.original.generics.split_for_impl();
    let enums = process.event_enums();
    if enums.is_empty() {
        return TokenStream::new();
    }
    let (event, union) = event_type(process, &enums);
    quote! {
        #union

        #[automatically_derived]
        impl #impl_generics #private::ProcessManager for #ident #ty_generics #where_clause {
            const NAME: &'static str = "";
            type Event = #event;
            type Command = #command;
            fn route(_: &#private::EventHeader, _: &#event) -> #private::Route {
                ::core::unreachable!()
            }
            async fn handle(
                &mut self,
                _: &#private::EventHeader,
                _: #event,
            ) -> #private::Result<#private::Vec<#command>, #private::HandlerError> {
                ::core::unreachable!()
            }
        }
    }
}
