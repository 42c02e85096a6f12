//! Rules about the process attribute as a whole.

use std::collections::HashMap;

use quote::ToTokens;

use super::ast::{ProcessType, enum_of};
use crate::ctxt::Ctxt;

/// Methods of `ProcessManager` itself: a user method of that name would make the
/// generated call resolve to the trait's own method when the user's is missing.
const TRAIT_METHODS: &[&str] = &["is_done", "deadlines", "on_deadline", "handle", "route"];

pub(crate) fn check(cx: &Ctxt, process: &ProcessType<'_>) {
    let ident = &process.original.ident;
    if !matches!(process.original.data, syn::Data::Struct(_)) {
        cx.error_spanned_by(
            ident,
            "`ProcessManager` is derived on a struct holding one instance's state",
        );
    }
    if process.command.is_none() {
        cx.error_spanned_by(
            ident,
            "missing `command = ...` in `#[process(...)]`: name the type its handlers return a `Vec` of, as in `#[process(command = ShopCommand)]`",
        );
    }
    if !process.entries.iter().any(|e| e.starts) {
        cx.error_spanned_by(
            ident,
            "missing `start(...)` in `#[process(...)]`: name the event that starts an instance, as in `#[process(start(OrderEvent::Placed, by = order_id))]`",
        );
    }
    let mut variants = HashMap::new();
    let mut handlers = HashMap::new();
    for entry in process.entries.iter().filter(|e| !e.reported) {
        let Some(variant) = &entry.variant else {
            if entry.by.is_empty() || entry.handler.is_some() {
                cx.error_spanned_by(
                    &entry.key,
                    "name the event variant first, as in `on(PaymentEvent::Confirmed, by = order_id)`",
                );
            }
            continue;
        };
        let k = entry.key.to_token_stream();
        match entry.by.as_slice() {
            [] => cx.error_spanned_by(
                variant,
                format!(
                    "say how `{}` finds its instance: `{k}({}, by = <a field of the variant>)`, `by_stream` (the event's stream id) or `by_event_id` (a new instance per event)",
                    variant.to_token_stream().to_string().replace(' ', ""),
                    variant.to_token_stream().to_string().replace(' ', ""),
                ),
            ),
            [_] => {}
            [_, (tokens, _), ..] => cx.error_spanned_by(
                tokens,
                "give one of `by = field`, `by_stream`, `by_event_id`",
            ),
        }
        let key = variant.to_token_stream().to_string();
        if variants.insert(key, ()).is_some() {
            cx.error_spanned_by(
                variant,
                "this variant is handled twice: give each variant one `start(...)` or `on(...)`",
            );
            continue;
        }
        if let Some(handler) = entry.handler() {
            let name = handler.to_string();
            if let Some(other) = handlers.insert(name.clone(), variant.clone()) {
                cx.error_spanned_by(
                    entry.handler.as_ref().map_or(variant.to_token_stream(), |h| h.to_token_stream()),
                    format!(
                        "`{name}` already handles `{}`: give this variant its own method with `handler = ...`",
                        other.to_token_stream().to_string().replace(' ', "")
                    ),
                );
            }
        }
        debug_assert!(enum_of(variant).is_some());
    }
    for method in [&process.done, &process.deadlines, &process.on_deadline]
        .into_iter()
        .flatten()
    {
        if TRAIT_METHODS.contains(&method.to_string().as_str()) {
            cx.error_spanned_by(
                method,
                format!(
                    "`{method}` is a method of `ProcessManager` itself: give yours another name, as in `finished` or `pending_deadlines`"
                ),
            );
        }
    }
    match (&process.deadlines, &process.on_deadline) {
        (Some(list), None) => cx.error_spanned_by(
            list,
            "`deadlines = ...` needs `on_deadline = ...`: the method called when one comes due",
        ),
        (None, Some(handler)) => cx.error_spanned_by(
            handler,
            "`on_deadline = ...` needs `deadlines = ...`: the method listing the pending deadlines",
        ),
        _ => {}
    }
    let (tokens, name) = &process.name;
    if name.trim().is_empty() {
        cx.error_spanned_by(
            tokens,
            "process manager names must not be empty: `name = \"fulfilment\"`",
        );
    }
}
