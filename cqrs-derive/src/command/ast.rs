//! The command enum as the derive sees it.

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use crate::fields::{self, Field};
use syn::meta::ParseNestedMeta;

pub(crate) struct CommandEnum<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `#[command(aggregate = Cart)]`: required.
    pub(crate) aggregate: Option<syn::Type>,
    pub(crate) variants: Vec<CommandVariant<'a>>,
}

pub(crate) struct CommandVariant<'a> {
    pub(crate) ident: &'a syn::Ident,
    /// The aggregate's method that decides it: the variant in snake case, or `handler = ...`.
    pub(crate) handler: syn::Ident,
    /// `services`: the handler takes `&Services` after the fields.
    pub(crate) services: bool,
    /// `async`: the handler is an `async fn`.
    pub(crate) is_async: bool,
    pub(crate) fields: Vec<Field<'a>>,
}

/// What `#[command(...)]` on the enum says.
struct ContainerKeys<'c> {
    aggregate: Attr<'c, syn::Type>,
}

/// What `#[command(...)]` on a variant says.
struct VariantKeys<'c> {
    handler: Attr<'c, syn::Ident>,
    services: Flag<'c>,
    is_async: Flag<'c>,
}

/// Each key of `#[command(...)]` on the enum, and how its value is read.
type ContainerTable = [(
    &'static str,
    for<'c> fn(&mut ContainerKeys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

/// Each key of `#[command(...)]` on a variant, and how its value is read.
type VariantTable = [(
    &'static str,
    for<'c> fn(&mut VariantKeys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const CONTAINER_KEYS: &ContainerTable = &[
    // #[command(aggregate = Cart)]
    ("aggregate", |k, meta| {
        k.aggregate.read(meta, attr::type_value)
    }),
];

const VARIANT_KEYS: &VariantTable = &[
    // #[command(handler = remove)]
    ("handler", |k, meta| k.handler.read(meta, attr::ident_value)),
    // #[command(services)]
    ("services", |k, meta| k.services.set(meta)),
    // #[command(async)]
    ("async", |k, meta| k.is_async.set(meta)),
];

impl<'a> CommandEnum<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = ContainerKeys {
            aggregate: Attr::none(cx, "command", "aggregate"),
        };
        attr::each_attr(cx, &input.attrs, "command", |meta| {
            if attr::is_one_of(meta, VARIANT_KEYS) {
                let key = attr::key_name(meta);
                let error = meta.error(format!(
                    "`{key}` belongs on a variant, not on the enum: `#[command({key})]` above the variant"
                ));
                attr::skip_value(meta)?;
                return Err(error);
            }
            attr::dispatch(meta, "command", CONTAINER_KEYS, &mut keys)
        });
        let aggregate = keys.aggregate;
        let data = match &input.data {
            syn::Data::Enum(data) => data,
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "Command can only be derived for an enum: make each command a variant of one enum per aggregate",
                );
                return None;
            }
        };
        let variants = data
            .variants
            .iter()
            .map(|variant| CommandVariant::from_ast(cx, variant))
            .collect();
        Some(CommandEnum {
            original: input,
            crate_path,
            aggregate: aggregate.get(),
            variants,
        })
    }
}

impl<'a> CommandVariant<'a> {
    fn from_ast(cx: &Ctxt, variant: &'a syn::Variant) -> Self {
        let mut keys = VariantKeys {
            handler: Attr::none(cx, "command", "handler"),
            services: Flag::none(cx, "command", "services"),
            is_async: Flag::none(cx, "command", "async"),
        };
        attr::each_attr(cx, &variant.attrs, "command", |meta| {
            if attr::is_one_of(meta, CONTAINER_KEYS) {
                let error = meta.error(
                    "`aggregate` belongs on the enum, not on a variant: `#[command(aggregate = ...)]` above `enum`",
                );
                attr::skip_value(meta)?;
                return Err(error);
            }
            attr::dispatch(meta, "command", VARIANT_KEYS, &mut keys)
        });
        let VariantKeys {
            handler,
            services,
            is_async,
        } = keys;
        let handler = handler
            .get()
            .unwrap_or_else(|| method_ident(&variant.ident, ""));
        CommandVariant {
            ident: &variant.ident,
            handler,
            services: services.get(),
            is_async: is_async.get(),
            fields: fields::fields(&variant.fields),
        }
    }
}
