//! The projection's read-model type as the derive sees it.

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;

pub(crate) struct ProjectionType<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `name = "..."`, with its tokens; default: the type name in snake case.
    pub(crate) name: (proc_macro2::TokenStream, String),
    pub(crate) event: Option<syn::Type>,
    /// `handles(ItemAdded, ItemRemoved = removed)`; `None` when the key is missing.
    pub(crate) handles: Option<Handles>,
    /// `skip_unknown`: skip events newer than this code instead of stopping.
    pub(crate) skip_unknown: bool,
}

pub(crate) struct Handles {
    /// The `handles` key, for errors about the list.
    pub(crate) tokens: proc_macro2::TokenStream,
    pub(crate) list: Vec<Handled>,
    /// Some entry was malformed and already reported.
    pub(crate) had_errors: bool,
}

pub(crate) struct Handled {
    /// The event variant, as written.
    pub(crate) variant: syn::Ident,
    /// The projection's method: `on_<variant in snake case>`, or as given.
    pub(crate) method: syn::Ident,
}

/// What `#[projection(...)]` says, key by key.
struct Keys<'c> {
    cx: &'c Ctxt,
    name: Attr<'c, syn::LitStr>,
    event: Attr<'c, syn::Type>,
    handles: Attr<'c, (Vec<Handled>, bool)>,
    skip_unknown: Flag<'c>,
}

/// Each key of `#[projection(...)]` and how its value is read.
type KeyTable = [(
    &'static str,
    for<'c> fn(&mut Keys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const KEYS: &KeyTable = &[
    // #[projection(name = "top_products")]
    ("name", |k, meta| k.name.read(meta, attr::string_value)),
    // #[projection(event = CartEvent)]
    ("event", |k, meta| k.event.read(meta, attr::type_value)),
    // #[projection(handles(ItemAdded, ItemRemoved = removed))]
    ("handles", |k, meta| {
        let list = parse_handles(k.cx, meta)?;
        k.handles.set(&meta.path, list);
        Ok(())
    }),
    // #[projection(skip_unknown)]
    ("skip_unknown", |k, meta| k.skip_unknown.set(meta)),
];

impl<'a> ProjectionType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = Keys {
            cx,
            name: Attr::none(cx, "projection", "name"),
            event: Attr::none(cx, "projection", "event"),
            handles: Attr::none(cx, "projection", "handles"),
            skip_unknown: Flag::none(cx, "projection", "skip_unknown"),
        };
        attr::each_attr(cx, &input.attrs, "projection", |meta| {
            attr::dispatch(meta, "projection", KEYS, &mut keys)
        });
        let Keys {
            name,
            event,
            handles,
            skip_unknown,
            ..
        } = keys;
        let name = attr::name_or_snake_case(name.get(), &input.ident);
        ProjectionType {
            original: input,
            crate_path,
            name,
            event: event.get(),
            handles: handles
                .get_with_tokens()
                .map(|(tokens, (list, had_errors))| Handles {
                    tokens,
                    list,
                    had_errors,
                }),
            skip_unknown: skip_unknown.get(),
        }
    }
}

pub(crate) fn parse_handles(
    cx: &Ctxt,
    meta: &syn::meta::ParseNestedMeta<'_>,
) -> syn::Result<(Vec<Handled>, bool)> {
    if !meta.input.peek(syn::token::Paren) {
        // Reported here, and kept as a (broken) `handles` so it is not also "missing".
        cx.syn_error(
            meta.error("`handles` lists the event variants: `handles(ItemAdded, ItemRemoved)`"),
        );
        attr::skip_value(meta)?;
        return Ok((Vec::new(), true));
    }
    let mut handled = Vec::new();
    let mut had_errors = false;
    meta.parse_nested_meta(|inner| {
        let Some(variant) = inner.path.get_ident().cloned() else {
            had_errors = true;
            cx.error_spanned_by(
                &inner.path,
                "expected an event variant name, such as `ItemAdded`, without the enum's path",
            );
            return attr::skip_value(&inner);
        };
        let method = if inner.input.peek(syn::Token![=]) {
            // handles(ItemRemoved = removed)
            match attr::ident_value(&inner, &variant.to_string()) {
                Ok(method) => method,
                Err(error) => {
                    had_errors = true;
                    cx.syn_error(error);
                    return Ok(());
                }
            }
        } else {
            method_ident(&variant, "on_")
        };
        handled.push(Handled { variant, method });
        Ok(())
    })?;
    Ok((handled, had_errors))
}
