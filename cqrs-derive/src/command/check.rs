//! Rules about the command enum as a whole.

use super::ast::CommandEnum;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, command: &CommandEnum<'_>) {
    if command.aggregate.is_none() {
        cx.error_spanned_by(
            &command.original.ident,
            "missing `#[command(aggregate = ...)]`: name the aggregate whose methods handle these commands",
        );
    }
    if command.variants.is_empty() {
        cx.error_spanned_by(
            &command.original.ident,
            "a command enum needs at least one variant: add one per command",
        );
    }
}
