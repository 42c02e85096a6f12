//! Rules about the projection attribute as a whole.

use std::collections::HashSet;

use super::ast::ProjectionType;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, projection: &ProjectionType<'_>) {
    let ident = &projection.original.ident;
    if projection.event.is_none() {
        cx.error_spanned_by(
            ident,
            "missing `event = ...` in `#[projection(...)]`: name the event enum it reads, as in `#[projection(event = CartEvent, handles(ItemAdded))]`",
        );
    }
    match &projection.handles {
        None => cx.error_spanned_by(
            ident,
            "missing `handles(...)` in `#[projection(...)]`: list the event variants it handles, as in `handles(ItemAdded, ItemRemoved)`",
        ),
        Some(handles) if handles.list.is_empty() && !handles.had_errors => cx.error_spanned_by(
            &handles.tokens,
            "`handles()` is empty: list at least one event variant, as in `handles(ItemAdded)`",
        ),
        Some(handles) => {
            let mut seen = HashSet::new();
            for h in &handles.list {
                if !seen.insert(h.variant.to_string()) {
                    cx.error_spanned_by(
                        &h.variant,
                        format!("`{}` is listed twice in `handles(...)`: list each variant once", h.variant),
                    );
                }
            }
        }
    }
    let (tokens, name) = &projection.name;
    if name.trim().is_empty() {
        cx.error_spanned_by(
            tokens,
            "projection names must not be empty: `name = \"top_products\"`",
        );
    }
}
