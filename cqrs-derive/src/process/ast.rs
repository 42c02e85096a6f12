//! The process manager's state type as the derive sees it.

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;

pub(crate) struct ProcessType<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) crate_path: syn::Path,
    /// `name = "..."`, with its tokens; default: the type name in snake case.
    pub(crate) name: (TokenStream, String),
    /// `command = ShopCommand`: what the handlers return.
    pub(crate) command: Option<syn::Type>,
    /// Every `start(...)` and `on(...)`, in the order written.
    pub(crate) entries: Vec<Entry>,
    /// `done = method`: `fn(&self) -> bool`.
    pub(crate) done: Option<syn::Ident>,
    /// `deadlines = method`: `fn(&self) -> Vec<(String, DateTime<Utc>)>`.
    pub(crate) deadlines: Option<syn::Ident>,
    /// `on_deadline = method`: `fn(&mut self, &str, DateTime<Utc>) -> Vec<Command>`.
    pub(crate) on_deadline: Option<syn::Ident>,
}

/// One `start(Enum::Variant, by = field)` or `on(Enum::Variant, by = field)`.
pub(crate) struct Entry {
    /// The `start` or `on` key, for errors about the entry as a whole.
    pub(crate) key: syn::Path,
    pub(crate) starts: bool,
    /// `Enum::Variant`; `None` when missing or malformed (already reported).
    pub(crate) variant: Option<syn::Path>,
    /// How the event finds its instance, with the tokens that said it.
    pub(crate) by: Vec<(TokenStream, By)>,
    /// `handler = method`; default `on_<variant in snake case>`.
    pub(crate) handler: Option<syn::Ident>,
    /// `async`: the handler is an `async fn`.
    pub(crate) is_async: bool,
    /// A mistake inside it was already reported: no further errors about it.
    pub(crate) reported: bool,
}

pub(crate) enum By {
    /// `by = field`: the variant's field, through `Display`.
    Field(syn::Ident),
    /// `by_stream`: the event's stream id.
    Stream,
    /// `by_event_id`: the event's own id (each such event starts its own instance).
    EventId,
}

const KEYS: &[&str] = &[
    "name",
    "command",
    "start",
    "on",
    "done",
    "deadlines",
    "on_deadline",
];
const ENTRY_KEYS: &[&str] = &["by", "by_stream", "by_event_id", "handler", "async"];

impl<'a> ProcessType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut name = Attr::none(cx, "process", "name");
        let mut command = Attr::none(cx, "process", "command");
        let mut done = Attr::none(cx, "process", "done");
        let mut deadlines = Attr::none(cx, "process", "deadlines");
        let mut on_deadline = Attr::none(cx, "process", "on_deadline");
        let mut entries = Vec::new();
        attr::each_attr(cx, &input.attrs, "process", |meta| {
            if meta.path.is_ident("name") {
                // #[process(name = "fulfilment")]
                name.set(&meta.path, attr::string_value(meta, "name")?);
            } else if meta.path.is_ident("command") {
                // #[process(command = ShopCommand)]
                command.set(&meta.path, attr::type_value(meta, "command")?);
            } else if meta.path.is_ident("start") || meta.path.is_ident("on") {
                // #[process(start(CartEvent::CheckedOut, by_event_id))]
                entries.push(parse_entry(cx, meta)?);
            } else if meta.path.is_ident("done") {
                // #[process(done = finished)]
                done.set(&meta.path, attr::ident_value(meta, "done")?);
            } else if meta.path.is_ident("deadlines") {
                // #[process(deadlines = pending)]
                deadlines.set(&meta.path, attr::ident_value(meta, "deadlines")?);
            } else if meta.path.is_ident("on_deadline") {
                // #[process(on_deadline = expired)]
                on_deadline.set(&meta.path, attr::ident_value(meta, "on_deadline")?);
            } else {
                return attr::unknown_key(meta, "process", KEYS);
            }
            Ok(())
        });
        let name = attr::name_or_snake_case(name.get(), &input.ident);
        ProcessType {
            original: input,
            crate_path,
            name,
            command: command.get(),
            entries,
            done: done.get(),
            deadlines: deadlines.get(),
            on_deadline: on_deadline.get(),
        }
    }

    /// The event enums read, each once, in the order first named.
    pub(crate) fn event_enums(&self) -> Vec<syn::Path> {
        let mut enums: Vec<syn::Path> = Vec::new();
        for variant in self.entries.iter().filter_map(|e| e.variant.as_ref()) {
            let Some(path) = enum_of(variant) else {
                continue;
            };
            let key = path.to_token_stream().to_string();
            if !enums.iter().any(|e| e.to_token_stream().to_string() == key) {
                enums.push(path);
            }
        }
        enums
    }
}

/// `CartEvent` of `CartEvent::CheckedOut` (`None` for a bare variant name).
pub(crate) fn enum_of(variant: &syn::Path) -> Option<syn::Path> {
    if variant.segments.len() < 2 {
        return None;
    }
    let mut path = variant.clone();
    path.segments.pop();
    path.segments.pop_punct();
    Some(path)
}

impl Entry {
    /// The variant's name: the path's last segment.
    pub(crate) fn variant_ident(&self) -> Option<&syn::Ident> {
        self.variant
            .as_ref()
            .and_then(|p| p.segments.last())
            .map(|s| &s.ident)
    }

    /// The handler method: as given, or `on_<variant in snake case>`.
    pub(crate) fn handler(&self) -> Option<syn::Ident> {
        self.handler
            .clone()
            .or_else(|| self.variant_ident().map(|v| method_ident(v, "on_")))
    }
}

fn parse_entry(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Entry> {
    let key = meta.path.clone();
    let starts = key.is_ident("start");
    let mut entry = Entry {
        key: key.clone(),
        starts,
        variant: None,
        by: Vec::new(),
        handler: None,
        is_async: false,
        reported: false,
    };
    if !meta.input.peek(syn::token::Paren) {
        let k = attr::key_name(meta);
        cx.syn_error(meta.error(format!(
            "`{k}` names an event variant and how it finds its instance: `{k}(OrderEvent::Placed, by = order_id)`"
        )));
        attr::skip_value(meta)?;
        entry.reported = true;
        return Ok(entry);
    }
    let mut handler = Attr::nested(
        cx,
        "process",
        if starts { "start" } else { "on" },
        "handler",
    );
    let mut is_async = Flag::none(cx, "process", "async");
    let mut reported = false;
    meta.parse_nested_meta(|inner| {
        // A mistake in one key is reported, and the rest of the entry still read.
        let result = parse_entry_key(cx, &inner, &mut entry, &mut handler, &mut is_async);
        if let Err(error) = result {
            cx.syn_error(error);
            reported = true;
        }
        Ok(())
    })?;
    entry.handler = handler.get();
    entry.is_async = is_async.get();
    entry.reported |= reported;
    Ok(entry)
}

fn parse_entry_key<'c>(
    cx: &'c Ctxt,
    inner: &syn::meta::ParseNestedMeta<'_>,
    entry: &mut Entry,
    handler: &mut Attr<'c, syn::Ident>,
    is_async: &mut Flag<'c>,
) -> syn::Result<()> {
    {
        let path = &inner.path;
        if path.is_ident("by") {
            let field = attr::path_value_as(inner, "by", "a field of the variant", "order_id")?;
            let Some(field) = field.get_ident().cloned() else {
                return Err(syn::Error::new_spanned(
                    field,
                    "expected `by` to be a field of the variant: `by = order_id`",
                ));
            };
            entry.by.push((path.to_token_stream(), By::Field(field)));
        } else if path.is_ident("by_stream") || path.is_ident("by_event_id") {
            let key = if path.is_ident("by_stream") {
                "by_stream"
            } else {
                "by_event_id"
            };
            let mut flag = Flag::none(cx, "process", key);
            flag.set(inner)?;
            let by = if path.is_ident("by_stream") {
                By::Stream
            } else {
                By::EventId
            };
            entry.by.push((path.to_token_stream(), by));
        } else if path.is_ident("handler") {
            handler.set(path, attr::ident_value(inner, "handler")?);
        } else if path.is_ident("async") {
            is_async.set(inner)?;
        } else if entry.variant.is_none() && !inner.input.peek(syn::Token![=]) {
            if path.segments.len() < 2 {
                cx.error_spanned_by(
                    path,
                    format!(
                        "name the variant with its enum, as in `OrderEvent::{}`; or, if this was meant as a key, expected one of: {}",
                        path.to_token_stream(),
                        ENTRY_KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
            } else {
                entry.variant = Some(path.clone());
            }
            attr::skip_value(inner)?;
        } else {
            return attr::unknown_key(inner, "process entry", ENTRY_KEYS);
        }
        Ok(())
    }
}
