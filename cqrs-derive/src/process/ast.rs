//! The process manager's state type as the derive sees it.

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::attr::{self, Attr, Flag};
use crate::case::method_ident;
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;

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

/// What `#[process(...)]` says, key by key.
struct Keys<'c> {
    cx: &'c Ctxt,
    name: Attr<'c, syn::LitStr>,
    command: Attr<'c, syn::Type>,
    entries: Vec<Entry>,
    done: Attr<'c, syn::Ident>,
    deadlines: Attr<'c, syn::Ident>,
    on_deadline: Attr<'c, syn::Ident>,
}

/// Each key of `#[process(...)]` and how its value is read.
type KeyTable = [(
    &'static str,
    for<'c> fn(&mut Keys<'c>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const KEYS: &KeyTable = &[
    // #[process(name = "fulfilment")]
    ("name", |k, meta| k.name.read(meta, attr::string_value)),
    // #[process(command = ShopCommand)]
    ("command", |k, meta| k.command.read(meta, attr::type_value)),
    // #[process(start(CartEvent::CheckedOut, by_event_id))]
    ("start", |k, meta| {
        let entry = parse_entry(k.cx, meta)?;
        k.entries.push(entry);
        Ok(())
    }),
    // #[process(on(StockEvent::Reserved, by = order))]
    ("on", |k, meta| {
        let entry = parse_entry(k.cx, meta)?;
        k.entries.push(entry);
        Ok(())
    }),
    // #[process(done = finished)]
    ("done", |k, meta| k.done.read(meta, attr::ident_value)),
    // #[process(deadlines = pending)]
    ("deadlines", |k, meta| {
        k.deadlines.read(meta, attr::ident_value)
    }),
    // #[process(on_deadline = expired)]
    ("on_deadline", |k, meta| {
        k.on_deadline.read(meta, attr::ident_value)
    }),
];
/// What one `start(...)` or `on(...)` says, key by key.
struct EntryKeys<'c, 'e> {
    cx: &'c Ctxt,
    entry: &'e mut Entry,
    handler: &'e mut Attr<'c, syn::Ident>,
    is_async: &'e mut Flag<'c>,
}

/// Each key of `start(...)` and `on(...)` and how its value is read.
type EntryTable = [(
    &'static str,
    for<'c, 'e> fn(&mut EntryKeys<'c, 'e>, &ParseNestedMeta<'_>) -> syn::Result<()>,
)];

const ENTRY_KEYS: &EntryTable = &[
    // by = order_id
    ("by", |k, inner| {
        let field = attr::path_value_as(inner, "by", "a field of the variant", "order_id")?;
        let Some(field) = field.get_ident().cloned() else {
            return Err(syn::Error::new_spanned(
                field,
                "expected `by` to be a field of the variant: `by = order_id`",
            ));
        };
        k.entry
            .by
            .push((inner.path.to_token_stream(), By::Field(field)));
        Ok(())
    }),
    // by_stream
    ("by_stream", |k, inner| {
        Flag::none(k.cx, "process", "by_stream").set(inner)?;
        k.entry.by.push((inner.path.to_token_stream(), By::Stream));
        Ok(())
    }),
    // by_event_id
    ("by_event_id", |k, inner| {
        Flag::none(k.cx, "process", "by_event_id").set(inner)?;
        k.entry.by.push((inner.path.to_token_stream(), By::EventId));
        Ok(())
    }),
    // handler = reserved
    ("handler", |k, inner| {
        k.handler
            .set(&inner.path, attr::ident_value(inner, "handler")?);
        Ok(())
    }),
    // async
    ("async", |k, inner| k.is_async.set(inner)),
];

impl<'a> ProcessType<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Self {
        let crate_path = attr::crate_path(cx, &input.attrs);
        let mut keys = Keys {
            cx,
            name: Attr::none(cx, "process", "name"),
            command: Attr::none(cx, "process", "command"),
            entries: Vec::new(),
            done: Attr::none(cx, "process", "done"),
            deadlines: Attr::none(cx, "process", "deadlines"),
            on_deadline: Attr::none(cx, "process", "on_deadline"),
        };
        attr::each_attr(cx, &input.attrs, "process", |meta| {
            attr::dispatch(meta, "process", KEYS, &mut keys)
        });
        let Keys {
            name,
            command,
            entries,
            done,
            deadlines,
            on_deadline,
            ..
        } = keys;
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
    inner: &ParseNestedMeta<'_>,
    entry: &mut Entry,
    handler: &mut Attr<'c, syn::Ident>,
    is_async: &mut Flag<'c>,
) -> syn::Result<()> {
    let path = &inner.path;
    if attr::is_one_of(inner, ENTRY_KEYS)
        || entry.variant.is_some()
        || inner.input.peek(syn::Token![=])
    {
        let mut keys = EntryKeys {
            cx,
            entry,
            handler,
            is_async,
        };
        return attr::dispatch(inner, "process entry", ENTRY_KEYS, &mut keys);
    }
    // The entry's first element: the variant, with its enum.
    if path.segments.len() < 2 {
        cx.error_spanned_by(
            path,
            format!(
                "name the variant with its enum, as in `OrderEvent::{}`; or, if this was meant as a key, expected one of: {}",
                path.to_token_stream(),
                attr::names(ENTRY_KEYS)
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    } else {
        entry.variant = Some(path.clone());
    }
    attr::skip_value(inner)
}
