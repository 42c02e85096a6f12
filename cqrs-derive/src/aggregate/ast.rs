//! The aggregate's state type as the derive sees it.

use crate::attr::{self, Attr};
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;

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

/// What `#[aggregate(...)]` says, key by key.
struct Keys<'c> {
    name: Attr<'c, syn::LitStr>,
    event: Attr<'c, syn::Type>,
    error: Attr<'c, syn::Type>,
    services: Attr<'c, syn::Type>,
    state_version: Attr<'c, (syn::LitInt, u32)>,
}

/// Each key of `#[aggregate(...)]` and how its value is read.
type KeyTable = [(
    &'static str,
    for<'c> fn(&mut Keys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const KEYS: &KeyTable = &[
    // #[aggregate(name = "cart")]
    ("name", |k, meta| k.name.read(meta, attr::string_value)),
    // #[aggregate(event = CartEvent)]
    ("event", |k, meta| k.event.read(meta, attr::type_value)),
    // #[aggregate(error = CartError)]
    ("error", |k, meta| k.error.read(meta, attr::type_value)),
    // #[aggregate(services = PriceList)]
    ("services", |k, meta| {
        k.services.read(meta, attr::type_value)
    }),
    // #[aggregate(state_version = 2)]
    ("state_version", |k, meta| {
        k.state_version.read(meta, attr::u32_value)
    }),
];

impl<'a> AggregateType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = Keys {
            name: Attr::none(cx, "aggregate", "name"),
            event: Attr::none(cx, "aggregate", "event"),
            error: Attr::none(cx, "aggregate", "error"),
            services: Attr::none(cx, "aggregate", "services"),
            state_version: Attr::none(cx, "aggregate", "state_version"),
        };
        attr::each_attr(cx, &input.attrs, "aggregate", |meta| {
            if meta.path.is_ident("command") {
                let error = meta.error(
                    "`command` is not needed here: the command enum names its aggregate with `#[command(aggregate = ...)]`",
                );
                attr::skip_value(meta)?;
                return Err(error);
            }
            attr::dispatch(meta, "aggregate", KEYS, &mut keys)
        });
        let Keys {
            name,
            event,
            error,
            services,
            state_version,
        } = keys;
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
