//! The aggregate's state type as the derive sees it.

use crate::attr::{self, Attr};
use crate::ctxt::Ctxt;

pub(crate) struct AggregateType<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `name = "cart"`, with its tokens; default: the type name in snake case.
    pub(crate) name: (proc_macro2::TokenStream, String),
    pub(crate) event: Option<syn::Type>,
    pub(crate) error: Option<syn::Type>,
    /// `services = PriceList`; default `()`.
    pub(crate) services: syn::Type,
    /// `state_version = 2`: the schema version of the state, stored with snapshots.
    pub(crate) state_version: Option<(syn::LitInt, u32)>,
}

const KEYS: &[&str] = &["name", "event", "error", "services", "state_version"];

impl<'a> AggregateType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut name = Attr::none(cx, "aggregate", "name");
        let mut event = Attr::none(cx, "aggregate", "event");
        let mut error = Attr::none(cx, "aggregate", "error");
        let mut services = Attr::none(cx, "aggregate", "services");
        let mut state_version = Attr::none(cx, "aggregate", "state_version");
        attr::each_attr(cx, &input.attrs, "aggregate", |meta| {
            if meta.path.is_ident("name") {
                // #[aggregate(name = "cart")]
                let lit = attr::string_value(meta, "name")?;
                name.set(&meta.path, lit);
            } else if meta.path.is_ident("event") {
                // #[aggregate(event = CartEvent)]
                let ty = attr::type_value(meta, "event")?;
                event.set(&meta.path, ty);
            } else if meta.path.is_ident("error") {
                // #[aggregate(error = CartError)]
                let ty = attr::type_value(meta, "error")?;
                error.set(&meta.path, ty);
            } else if meta.path.is_ident("services") {
                // #[aggregate(services = PriceList)]
                let ty = attr::type_value(meta, "services")?;
                services.set(&meta.path, ty);
            } else if meta.path.is_ident("state_version") {
                // #[aggregate(state_version = 2)]
                let version = attr::u32_value(meta, "state_version")?;
                state_version.set(&meta.path, version);
            } else if meta.path.is_ident("command") {
                let error = meta.error(
                    "`command` is not needed here: the command enum names its aggregate with `#[command(aggregate = ...)]`",
                );
                attr::skip_value(meta)?;
                return Err(error);
            } else {
                return attr::unknown_key(meta, "aggregate", KEYS);
            }
            Ok(())
        });
        let name = attr::name_or_snake_case(name.get(), &input.ident);
        AggregateType {
            original: input,
            crate_path,
            name,
            event: event.get(),
            error: error.get(),
            services: services.get().unwrap_or_else(|| syn::parse_quote!(())),
            state_version: state_version.get(),
        }
    }
}
