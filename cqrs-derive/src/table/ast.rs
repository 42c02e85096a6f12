//! The table projection's type as the derive sees it.

use crate::attr::{self, Attr};
use crate::ctxt::Ctxt;
use crate::projection::ast::{Handles, parse_handles};

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

const KEYS: &[&str] = &["db", "event", "handles", "schema", "clear", "name"];

impl<'a> TableType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = crate_path(cx, &input.attrs);
        let mut name = Attr::none(cx, "table", "name");
        let mut db = Attr::none(cx, "table", "db");
        let mut event = Attr::none(cx, "table", "event");
        let mut handles = Attr::none(cx, "table", "handles");
        let mut schema = Attr::none(cx, "table", "schema");
        let mut clear = Attr::none(cx, "table", "clear");
        attr::each_attr(cx, &input.attrs, "table", |meta| {
            if meta.path.is_ident("name") {
                // #[table(name = "top_products")]
                name.set(&meta.path, attr::string_value(meta, "name")?);
            } else if meta.path.is_ident("db") {
                // #[table(db = sqlx::Sqlite)]
                db.set(&meta.path, attr::type_value(meta, "db")?);
            } else if meta.path.is_ident("event") {
                // #[table(event = CartEvent)]
                event.set(&meta.path, attr::type_value(meta, "event")?);
            } else if meta.path.is_ident("handles") {
                // #[table(handles(ItemAdded, Cleared = cleared))]
                handles.set(&meta.path, parse_handles(cx, meta)?);
            } else if meta.path.is_ident("schema") {
                // #[table(schema = SCHEMA)]
                let path =
                    attr::path_value_as(meta, "schema", "a constant of statements", "SCHEMA")?;
                schema.set(&meta.path, path);
            } else if meta.path.is_ident("clear") {
                // #[table(clear = CLEAR)]
                let path = attr::path_value_as(meta, "clear", "a constant of statements", "CLEAR")?;
                clear.set(&meta.path, path);
            } else {
                return attr::unknown_key(meta, "table", KEYS);
            }
            Ok(())
        });
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
