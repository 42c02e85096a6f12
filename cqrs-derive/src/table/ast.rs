//! The table projection's type as the derive sees it.

use crate::attr::{self, Attr};
use crate::ctxt::Ctxt;
use crate::projection::ast::{Handles, parse_handles};
use syn::meta::ParseNestedMeta;

pub(crate) struct TableType<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `name = "..."`; default: the type name in snake case.
    pub(crate) name: (proc_macro2::TokenStream, String),
    /// `db = sqlx::Sqlite`.
    pub(crate) db: Option<syn::Type>,
    pub(crate) event: Option<syn::Type>,
    pub(crate) handles: Option<Handles>,
    /// `schema = PATH`: a `&[&str]` constant.
    pub(crate) schema: Option<syn::Path>,
    /// `clear = PATH`: a `&[&str]` constant.
    pub(crate) clear: Option<syn::Path>,
}

/// What `#[table(...)]` says, key by key.
struct Keys<'c> {
    cx: &'c Ctxt,
    db: Attr<'c, syn::Type>,
    event: Attr<'c, syn::Type>,
    handles: Attr<'c, (Vec<crate::projection::ast::Handled>, bool)>,
    schema: Attr<'c, syn::Path>,
    clear: Attr<'c, syn::Path>,
    name: Attr<'c, syn::LitStr>,
}

/// Each key of `#[table(...)]` and how its value is read.
type KeyTable = [(
    &'static str,
    for<'c> fn(&mut Keys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const KEYS: &KeyTable = &[
    // #[table(db = sqlx::Sqlite)]
    ("db", |k, meta| k.db.read(meta, attr::type_value)),
    // #[table(event = CartEvent)]
    ("event", |k, meta| k.event.read(meta, attr::type_value)),
    // #[table(handles(ItemAdded, Cleared = cleared))]
    ("handles", |k, meta| {
        let list = parse_handles(k.cx, meta)?;
        k.handles.set(&meta.path, list);
        Ok(())
    }),
    // #[table(schema = SCHEMA)]
    ("schema", |k, meta| {
        let path = attr::path_value_as(meta, "schema", "a constant of statements", "SCHEMA")?;
        k.schema.set(&meta.path, path);
        Ok(())
    }),
    // #[table(clear = CLEAR)]
    ("clear", |k, meta| {
        let path = attr::path_value_as(meta, "clear", "a constant of statements", "CLEAR")?;
        k.clear.set(&meta.path, path);
        Ok(())
    }),
    // #[table(name = "top_products")]
    ("name", |k, meta| k.name.read(meta, attr::string_value)),
];

impl<'a> TableType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = crate_path(cx, &input.attrs);
        let mut keys = Keys {
            cx,
            db: Attr::none(cx, "table", "db"),
            event: Attr::none(cx, "table", "event"),
            handles: Attr::none(cx, "table", "handles"),
            schema: Attr::none(cx, "table", "schema"),
            clear: Attr::none(cx, "table", "clear"),
            name: Attr::none(cx, "table", "name"),
        };
        attr::each_attr(cx, &input.attrs, "table", |meta| {
            attr::dispatch(meta, "table", KEYS, &mut keys)
        });
        let Keys {
            db,
            event,
            handles,
            schema,
            clear,
            name,
            ..
        } = keys;
        let name = attr::name_or_snake_case(name.get(), &input.ident);
        TableType {
            original: input,
            crate_path,
            name,
            db: db.get(),
            event: event.get(),
            handles: handles
                .get_with_tokens()
                .map(|(tokens, (list, had_errors))| Handles {
                    tokens,
                    list,
                    had_errors,
                }),
            schema: schema.get(),
            clear: clear.get(),
        }
    }
}

/// `#[cqrs(crate = ...)]`, defaulting to `::cqrs_sql` (where this derive lives).
fn crate_path(cx: &Ctxt, attrs: &[syn::Attribute]) -> syn::Path {
    let given = attrs.iter().any(|a| a.path().is_ident("cqrs"));
    let path = attr::crate_path(cx, attrs);
    if given {
        path
    } else {
        syn::parse_quote!(::cqrs_sql)
    }
}
