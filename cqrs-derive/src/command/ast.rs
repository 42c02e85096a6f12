//! The command enum as the derive sees it.

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use crate::fields::{self, Field};

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

const CONTAINER_KEYS: &[&str] = &["aggregate"];
const VARIANT_KEYS: &[&str] = &["handler", "services", "async"];

impl<'a> CommandEnum<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut aggregate = Attr::none(cx, "command", "aggregate");
        attr::each_attr(cx, &input.attrs, "command", |meta| {
            // #[command(aggregate = Cart)]
            if meta.path.is_ident("aggregate") {
                let ty = attr::type_value(meta, "aggregate")?;
                aggregate.set(&meta.path, ty);
                Ok(())
            } else if VARIANT_KEYS.iter().any(|k| meta.path.is_ident(k)) {
                let key = attr::key_name(meta);
                let error = meta.error(format!(
                    "`{key}` belongs on a variant, not on the enum: `#[command({key})]` above the variant"
                ));
                attr::skip_value(meta)?;
                Err(error)
            } else {
                attr::unknown_key(meta, "command", CONTAINER_KEYS)
            }
        });
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
        let mut handler = Attr::none(cx, "command", "handler");
        let mut services = Flag::none(cx, "command", "services");
        let mut is_async = Flag::none(cx, "command", "async");
        attr::each_attr(cx, &variant.attrs, "command", |meta| {
            if meta.path.is_ident("handler") {
                // #[command(handler = remove)]
                let method = attr::ident_value(meta, "handler")?;
                handler.set(&meta.path, method);
            } else if meta.path.is_ident("services") {
                // #[command(services)]
                services.set(meta)?;
            } else if meta.path.is_ident("async") {
                // #[command(async)]
                is_async.set(meta)?;
            } else if meta.path.is_ident("aggregate") {
                let error = meta.error(
                    "`aggregate` belongs on the enum, not on a variant: `#[command(aggregate = ...)]` above `enum`",
                );
                attr::skip_value(meta)?;
                return Err(error);
            } else {
                return attr::unknown_key(meta, "command", VARIANT_KEYS);
            }
            Ok(())
        });
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
