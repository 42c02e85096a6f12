//! Rules about the table attribute as a whole.

use super::ast::TableType;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, table: &TableType<'_>) {
    let ident = &table.original.ident;
    let required = [
        (
            table.db.is_none(),
            "missing `db = ...` in `#[table(...)]`: name the read database's sqlx type, as in `#[table(db = sqlx::Sqlite)]` or `sqlx::Postgres` or `sqlx::Any`",
        ),
        (
            table.event.is_none(),
            "missing `event = ...` in `#[table(...)]`: name the event enum it reads, as in `#[table(event = CartEvent, handles(ItemAdded))]`",
        ),
        (
            table.handles.is_none(),
            "missing `handles(...)` in `#[table(...)]`: list the event variants it handles, as in `handles(ItemAdded)`",
        ),
        (
            table.schema.is_none(),
            "missing `schema = ...` in `#[table(...)]`: name a constant `&[&str]` of the statements that create its tables, as in `schema = SCHEMA`",
        ),
        (
            table.clear.is_none(),
            "missing `clear = ...` in `#[table(...)]`: name a constant `&[&str]` of the statements that empty its tables, as in `clear = CLEAR`",
        ),
    ];
    for (missing, message) in required {
        if missing {
            cx.error_spanned_by(ident, message);
        }
    }
    if let Some(handles) = &table.handles
        && handles.list.is_empty()
        && !handles.had_errors
    {
        cx.error_spanned_by(
            &handles.tokens,
            "`handles()` is empty: list at least one event variant, as in `handles(ItemAdded)`",
        );
    }
    let (tokens, name) = &table.name;
    if name.trim().is_empty() {
        cx.error_spanned_by(
            tokens,
            "table projection names must not be empty: `name = \"top_products\"`",
        );
    }
}
