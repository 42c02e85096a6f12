//! The event enum as the derive sees it, keeping the user's tokens for errors.

use syn::meta::ParseNestedMeta;

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use crate::fields::{self, Field};

pub(crate) struct EventEnum<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `#[event(aggregate = Cart)]` or `#[event(aggregates(Cart, Wishlist))]`: whose
    /// `on_*` methods apply the events.
    pub(crate) aggregates: Vec<syn::Type>,
    pub(crate) variants: Vec<EventVariant<'a>>,
}

pub(crate) struct EventVariant<'a> {
    pub(crate) original: &'a syn::Variant,
    pub(crate) ident: &'a syn::Ident,
    /// The persisted name, and the tokens that set it (the variant name by default).
    pub(crate) name: (proc_macro2::TokenStream, String),
    pub(crate) version: (proc_macro2::TokenStream, u32),
    pub(crate) apply: Apply,
    /// `upcast(from = N, with = function)`, in the order written.
    pub(crate) upcasts: Vec<Upcast>,
    pub(crate) fields: Vec<Field<'a>>,
}

/// `upcast(from = 1, with = item_added_v1)`: turns a stored payload of version
/// `from` into one of version `from + 1`.
pub(crate) struct Upcast {
    /// The older version, with its literal.
    pub(crate) from: (syn::LitInt, u32),
    /// The function: `fn(Older) -> Newer`, both serde types (or `serde_json::Value`).
    pub(crate) with: syn::Path,
}

pub(crate) enum Apply {
    /// `on_<variant in snake case>`.
    Default(syn::Ident),
    /// `handler = method`, with the tokens that set it.
    Method(proc_macro2::TokenStream, syn::Ident),
    /// `skip_apply`: the aggregate ignores this event.
    Skip(proc_macro2::TokenStream),
}

/// What `#[event(...)]` on the enum says.
struct ContainerKeys<'c> {
    cx: &'c Ctxt,
    aggregate: Attr<'c, syn::Type>,
    aggregates: Attr<'c, Vec<syn::Type>>,
}

/// What `#[event(...)]` on a variant says.
struct VariantKeys<'c> {
    cx: &'c Ctxt,
    name: Attr<'c, syn::LitStr>,
    version: Attr<'c, (syn::LitInt, u32)>,
    apply: Attr<'c, syn::Ident>,
    skip_apply: Flag<'c>,
    upcasts: Vec<Upcast>,
}

/// What `upcast(...)` says.
struct UpcastKeys<'c> {
    from: Attr<'c, (syn::LitInt, u32)>,
    with: Attr<'c, syn::Path>,
}

/// Each key of `#[event(...)]` on the enum, and how its value is read.
type ContainerTable = [(
    &'static str,
    for<'c> fn(&mut ContainerKeys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

/// Each key of `#[event(...)]` on a variant, and how its value is read.
type VariantTable = [(
    &'static str,
    for<'c> fn(&mut VariantKeys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

/// Each key of `upcast(...)`, and how its value is read.
type UpcastTable = [(
    &'static str,
    for<'c> fn(&mut UpcastKeys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const CONTAINER_KEYS: &ContainerTable = &[
    // #[event(aggregate = Cart)]
    ("aggregate", |k, meta| {
        k.aggregate.read(meta, attr::type_value)
    }),
    // #[event(aggregates(Cart, Wishlist))]
    ("aggregates", |k, meta| {
        let mut list = Vec::new();
        meta.parse_nested_meta(|inner| {
            if inner.input.peek(syn::Token![=]) || inner.input.peek(syn::token::Paren) {
                let error = inner.error(
                    "`aggregates(...)` lists aggregate types only, as in `aggregates(Cart, Wishlist)`; each names its apply methods `on_<variant>`",
                );
                attr::skip_value(&inner)?;
                k.cx.syn_error(error);
                return Ok(());
            }
            list.push(syn::Type::Path(syn::TypePath {
                qself: None,
                path: inner.path.clone(),
            }));
            Ok(())
        })?;
        k.aggregates.set(&meta.path, list);
        Ok(())
    }),
];

const VARIANT_KEYS: &VariantTable = &[
    // #[event(name = "cart.item_added")]
    ("name", |k, meta| k.name.read(meta, attr::string_value)),
    // #[event(version = 2)]
    ("version", |k, meta| k.version.read(meta, attr::u32_value)),
    // #[event(handler = on_added)]
    ("handler", |k, meta| k.apply.read(meta, attr::ident_value)),
    // #[event(skip_apply)]
    ("skip_apply", |k, meta| k.skip_apply.set(meta)),
    // #[event(upcast(from = 1, with = item_added_v1))]
    ("upcast", |k, meta| {
        if let Some(upcast) = parse_upcast(k.cx, meta)? {
            k.upcasts.push(upcast);
        }
        Ok(())
    }),
];

const UPCAST_KEYS: &UpcastTable = &[
    // from = 1
    ("from", |k, inner| k.from.read(inner, attr::u32_value)),
    // with = upgrade_v1
    ("with", |k, inner| {
        let with = attr::path_value_as(inner, "with", "a function", "upgrade_v1")?;
        k.with.set(&inner.path, with);
        Ok(())
    }),
];

impl<'a> EventEnum<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = ContainerKeys {
            cx,
            aggregate: Attr::none(cx, "event", "aggregate"),
            aggregates: Attr::none(cx, "event", "aggregates"),
        };
        attr::each_attr(cx, &input.attrs, "event", |meta| {
            attr::dispatch(meta, "event", CONTAINER_KEYS, &mut keys)
        });
        let ContainerKeys {
            aggregate,
            aggregates,
            ..
        } = keys;
        let data = match &input.data {
            syn::Data::Enum(data) => data,
            syn::Data::Struct(data) => {
                cx.error_spanned_by(
                    data.struct_token,
                    "DomainEvent can only be derived for an enum: make each event a variant of one enum per aggregate",
                );
                return None;
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "DomainEvent can only be derived for an enum: make each event a variant of one enum per aggregate",
                );
                return None;
            }
        };
        let variants = data
            .variants
            .iter()
            .map(|variant| EventVariant::from_ast(cx, variant))
            .collect();
        let aggregates = match (aggregate.get_with_tokens(), aggregates.get()) {
            (Some((tokens, _)), Some(_)) => {
                cx.error_spanned_by(
                    tokens,
                    "give either `aggregate = A` or `aggregates(A, B)`: list every aggregate in `aggregates(...)`",
                );
                Vec::new()
            }
            (Some((_, one)), None) => vec![one],
            (None, Some(list)) => list,
            (None, None) => Vec::new(),
        };
        Some(EventEnum {
            original: input,
            crate_path,
            aggregates,
            variants,
        })
    }
}

impl<'a> EventVariant<'a> {
    fn from_ast(cx: &Ctxt, variant: &'a syn::Variant) -> Self {
        let mut keys = VariantKeys {
            cx,
            name: Attr::none(cx, "event", "name"),
            version: Attr::none(cx, "event", "version"),
            apply: Attr::none(cx, "event", "handler"),
            skip_apply: Flag::none(cx, "event", "skip_apply"),
            upcasts: Vec::new(),
        };
        attr::each_attr(cx, &variant.attrs, "event", |meta| {
            if meta.path.is_ident("apply") {
                // The spelling before every derive said `handler = ...`.
                let error = meta.error(
                    "write `handler = ...`: every derive names the method it calls with `handler = method`",
                );
                attr::skip_value(meta)?;
                return Err(error);
            }
            if attr::is_one_of(meta, CONTAINER_KEYS) {
                let error = meta.error(format!(
                    "`{}` belongs on the enum, not on a variant: `#[event({} = ...)]` above `enum`",
                    attr::key_name(meta),
                    attr::key_name(meta)
                ));
                attr::skip_value(meta)?;
                return Err(error);
            }
            attr::dispatch(meta, "event", VARIANT_KEYS, &mut keys)
        });
        let VariantKeys {
            name,
            version,
            apply,
            skip_apply,
            upcasts,
            ..
        } = keys;
        let name = match name.get() {
            Some(lit) => (quote::ToTokens::to_token_stream(&lit), lit.value()),
            None => (
                quote::ToTokens::to_token_stream(&variant.ident),
                syn::ext::IdentExt::unraw(&variant.ident).to_string(),
            ),
        };
        let version = match version.get() {
            Some((lit, number)) => (quote::ToTokens::to_token_stream(&lit), number),
            None => (quote::ToTokens::to_token_stream(&variant.ident), 1),
        };
        let apply = match (apply.get_with_tokens(), skip_apply.tokens()) {
            (Some((tokens, _)), Some(_)) => {
                cx.error_spanned_by(
                    tokens,
                    "`handler` and `skip_apply` contradict each other: keep one",
                );
                Apply::Skip(proc_macro2::TokenStream::new())
            }
            (Some((tokens, method)), None) => Apply::Method(tokens, method),
            (None, Some(tokens)) => Apply::Skip(tokens.clone()),
            (None, None) => Apply::Default(method_ident(&variant.ident, "on_")),
        };
        EventVariant {
            original: variant,
            ident: &variant.ident,
            name,
            version,
            apply,
            upcasts,
            fields: fields::fields(&variant.fields),
        }
    }
}

/// `upcast(from = 1, with = function)`; `None` when it was malformed (already reported).
fn parse_upcast(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Upcast>> {
    const EXAMPLE: &str = "`upcast(from = 1, with = upgrade_v1)`";
    if !meta.input.peek(syn::token::Paren) {
        let error = meta.error(format!(
            "`upcast` takes the older version and a function: {EXAMPLE}"
        ));
        attr::skip_value(meta)?;
        return Err(error);
    }
    let mut keys = UpcastKeys {
        from: Attr::nested(cx, "event", "upcast", "from"),
        with: Attr::nested(cx, "event", "upcast", "with"),
    };
    let mut malformed = false;
    meta.parse_nested_meta(|inner| {
        if let Err(error) = attr::dispatch(&inner, "upcast", UPCAST_KEYS, &mut keys) {
            malformed = true;
            cx.syn_error(error);
        }
        Ok(())
    })?;
    let (from, with) = (keys.from.get(), keys.with.get());
    let missing = match (&from, &with) {
        (None, _) => Some("from"),
        (_, None) => Some("with"),
        _ => None,
    };
    if let Some(key) = missing.filter(|_| !malformed) {
        cx.error_spanned_by(&meta.path, format!("`upcast` needs `{key}`: {EXAMPLE}"));
    }
    Ok(from.zip(with).map(|(from, with)| Upcast { from, with }))
}
