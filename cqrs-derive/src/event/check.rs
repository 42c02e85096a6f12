//! Rules that look at more than one attribute, or at the enum as a whole.

use std::collections::HashMap;

use super::ast::{Apply, EventEnum};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, event: &EventEnum<'_>) {
    check_owned(cx, event);
    check_not_empty(cx, event);
    check_names(cx, event);
    check_versions(cx, event);
    check_upcasts(cx, event);
    check_apply_needs_aggregate(cx, event);
    check_apply_arity(cx, event);
    check_serde_container(cx, event);
    check_serde_variants(cx, event);
}

/// Events are stored and read back long after they were made: they own their data.
fn check_owned(cx: &Ctxt, event: &EventEnum<'_>) {
    for lifetime in event.original.generics.lifetimes() {
        cx.error_spanned_by(
            lifetime,
            format!(
                "events are stored and read back later, so they own their data: remove `{}` and use owned types (`String` for `&str`, `Vec<T>` for `&[T]`)",
                lifetime.lifetime
            ),
        );
    }
}

fn check_not_empty(cx: &Ctxt, event: &EventEnum<'_>) {
    if event.variants.is_empty() {
        cx.error_spanned_by(
            &event.original.ident,
            "an event enum needs at least one variant: add one per kind of event",
        );
    }
}

/// Persisted names identify events forever: they must be unique and non-blank.
fn check_names(cx: &Ctxt, event: &EventEnum<'_>) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for variant in &event.variants {
        let (tokens, name) = &variant.name;
        if name.trim().is_empty() || name.trim() != name {
            cx.error_spanned_by(
                tokens,
                "event names must not be empty or start or end with whitespace: `name = \"cart.item_added\"`",
            );
            continue;
        }
        if let Some(first) = seen.insert(name, variant.ident) {
            cx.error_spanned_by(
                tokens,
                format!(
                    "duplicate event name `{name}`: variant `{first}` already uses it; give this variant its own `#[event(name = \"...\")]`"
                ),
            );
        }
    }
}

fn check_versions(cx: &Ctxt, event: &EventEnum<'_>) {
    for variant in &event.variants {
        if variant.version.1 == 0 {
            cx.error_spanned_by(
                &variant.version.0,
                "event versions start at 1: `version = 1`",
            );
        }
    }
}

/// Upcasters form one chain, `from`, `from + 1`, ..., `version - 1`, so every stored
/// version from the first upcaster's on reaches the variant's version.
fn check_upcasts(cx: &Ctxt, event: &EventEnum<'_>) {
    for variant in &event.variants {
        let version = variant.version.1;
        let mut froms: Vec<u32> = Vec::new();
        for upcast in &variant.upcasts {
            let (lit, from) = &upcast.from;
            if *from == 0 {
                cx.error_spanned_by(
                    lit,
                    "event versions start at 1, so the oldest upcaster is `upcast(from = 1, ...)`",
                );
            } else if *from >= version {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "an upcaster must start from an older version: this variant is version {version}, so `from` must be below {version}; to read version {from}, set `version = {}` on the variant",
                        from.saturating_add(1)
                    ),
                );
            } else if froms.contains(from) {
                cx.error_spanned_by(
                    lit,
                    format!("duplicate upcaster from version {from}: give each older version one `upcast`"),
                );
            } else {
                froms.push(*from);
            }
        }
        let Some(first) = froms.iter().min().copied() else {
            continue;
        };
        for missing in (first..version).filter(|v| !froms.contains(v)) {
            cx.error_spanned_by(
                &variant.version.0,
                format!(
                    "version gap: upcasters lead from version {first} to {version}, but none starts at version {missing}; add `upcast(from = {missing}, with = ...)` turning a version {missing} payload into version {}",
                    missing + 1
                ),
            );
        }
    }
}

fn check_apply_needs_aggregate(cx: &Ctxt, event: &EventEnum<'_>) {
    if !event.aggregates.is_empty() {
        return;
    }
    for variant in &event.variants {
        let (tokens, key) = match &variant.apply {
            Apply::Method(tokens, _) => (tokens, "handler"),
            Apply::Skip(tokens) => (tokens, "skip_apply"),
            Apply::Default(_) => continue,
        };
        cx.error_spanned_by(
            tokens,
            format!(
                "`{key}` has no aggregate to apply to: add `#[event(aggregate = MyAggregate)]` to the enum"
            ),
        );
    }
}

/// Apply methods are called through `ApplyHandler`, implemented for up to
/// [`MAX_HANDLER_FIELDS`](crate::fields::MAX_HANDLER_FIELDS) fields.
fn check_apply_arity(cx: &Ctxt, event: &EventEnum<'_>) {
    if event.aggregates.is_empty() {
        return;
    }
    for variant in &event.variants {
        let applied = matches!(variant.apply, Apply::Default(_) | Apply::Method(..));
        if applied && variant.fields.len() > crate::fields::MAX_HANDLER_FIELDS {
            cx.error_spanned_by(
                variant.ident,
                format!(
                    "an event applied to an aggregate has at most {} fields, this one has {}: group some into a struct of their own",
                    crate::fields::MAX_HANDLER_FIELDS,
                    variant.fields.len()
                ),
            );
        }
    }
}

/// The payload is the variant's data, found by the variant name serde uses; these
/// serde attributes would change how variants are named or tagged.
fn check_serde_container(cx: &Ctxt, event: &EventEnum<'_>) {
    for (path, key) in serde_keys(&event.original.attrs) {
        let advice = match key.as_str() {
            "tag" | "content" | "untagged" => {
                "the store keeps the event name beside the payload, so the enum must keep serde's default tagging"
            }
            "rename_all" => {
                "persisted names come from `#[event(name = \"...\")]`; to rename fields, use `#[serde(rename_all_fields = \"...\")]`"
            }
            "from" | "try_from" | "into" | "remote" => {
                "the derive serializes the enum's own variants; convert inside the handlers instead"
            }
            _ => continue,
        };
        cx.error_spanned_by(
            path,
            format!("`#[serde({key})]` is not supported on an event enum: {advice}"),
        );
    }
}

fn check_serde_variants(cx: &Ctxt, event: &EventEnum<'_>) {
    for variant in &event.variants {
        for (path, key) in serde_keys(&variant.original.attrs) {
            let advice = match key.as_str() {
                "rename" | "alias" => "the persisted name is set with `#[event(name = \"...\")]`",
                "skip" | "skip_serializing" | "skip_deserializing" | "other" | "untagged" => {
                    "every event variant must be stored and read back"
                }
                _ => continue,
            };
            cx.error_spanned_by(
                path,
                format!("`#[serde({key})]` is not supported on an event variant: {advice}"),
            );
        }
    }
}

/// The keys of every `#[serde(...)]` attribute, skipping their values.
fn serde_keys(attrs: &[syn::Attribute]) -> Vec<(syn::Path, String)> {
    let mut keys = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Malformed serde attributes are serde's to report.
        let _ = attr.parse_nested_meta(|meta| {
            keys.push((meta.path.clone(), crate::attr::key_name(&meta)));
            crate::attr::skip_value(&meta)
        });
    }
    keys
}
