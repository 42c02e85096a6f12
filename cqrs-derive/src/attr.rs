//! Shared pieces of attribute parsing: one value per key, typed values, clear errors.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::{Attribute, Token};

use crate::ctxt::Ctxt;

/// One attribute key that may be given at most once.
pub(crate) struct Attr<'c, T> {
    cx: &'c Ctxt,
    /// Where the key is written, for the duplicate error: `#[event(...)]`.
    place: String,
    key: &'static str,
    value: Option<(TokenStream, T)>,
}

impl<'c, T> Attr<'c, T> {
    pub(crate) fn none(cx: &'c Ctxt, attribute: &'static str, key: &'static str) -> Self {
        Attr {
            cx,
            place: format!("#[{attribute}(...)]"),
            key,
            value: None,
        }
    }

    /// A key inside a list, such as `from` in `#[event(upcast(from = 1))]`.
    pub(crate) fn nested(
        cx: &'c Ctxt,
        attribute: &'static str,
        list: &'static str,
        key: &'static str,
    ) -> Self {
        Attr {
            cx,
            place: format!("`{list}(...)` of #[{attribute}(...)]"),
            key,
            value: None,
        }
    }

    /// Sets the value, or reports a duplicate at `object`.
    pub(crate) fn set<O: ToTokens>(&mut self, object: O, value: T) {
        let tokens = object.into_token_stream();
        if self.value.is_some() {
            self.cx.error_spanned_by(
                tokens,
                format!("duplicate `{}` in {}: give it once", self.key, self.place),
            );
        } else {
            self.value = Some((tokens, value));
        }
    }

    /// Reads this key's value with `parse` (which names the key in its errors) and
    /// sets it: `("event", |k, meta| k.event.read(meta, attr::type_value))`.
    pub(crate) fn read(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        parse: fn(&ParseNestedMeta<'_>, &str) -> syn::Result<T>,
    ) -> syn::Result<()> {
        let value = parse(meta, self.key)?;
        self.set(&meta.path, value);
        Ok(())
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value.map(|(_, value)| value)
    }

    /// The value with the tokens that set it, for errors about the value.
    pub(crate) fn get_with_tokens(self) -> Option<(TokenStream, T)> {
        self.value
    }
}

/// A key without a value, such as `skip_apply`.
pub(crate) struct Flag<'c>(Attr<'c, ()>);

impl<'c> Flag<'c> {
    pub(crate) fn none(cx: &'c Ctxt, attribute: &'static str, key: &'static str) -> Self {
        Flag(Attr::none(cx, attribute, key))
    }

    /// Sets the flag; reports a duplicate, or a value given to it.
    pub(crate) fn set(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
            let key = self.0.key;
            let error = meta.error(format!("`{key}` takes no value: write `{key}` alone"));
            skip_value(meta)?;
            return Err(error);
        }
        self.0.set(&meta.path, ());
        Ok(())
    }

    pub(crate) fn get(&self) -> bool {
        self.0.value.is_some()
    }

    pub(crate) fn tokens(&self) -> Option<&TokenStream> {
        self.0.value.as_ref().map(|(tokens, _)| tokens)
    }
}

/// The key as written, for messages (`async` and `crate` are keywords).
pub(crate) fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

/// Reads one key's value into a derive's state `T`. Each attribute lists its keys
/// once, as `(key, parser)` pairs: the parser and its "expected one of" error both
/// use that list, so the two cannot drift apart.
pub(crate) type KeyParser<T> = fn(&mut T, &ParseNestedMeta<'_>) -> syn::Result<()>;

/// Reads `meta` with the parser its key has in `keys`; a key not there is reported
/// with the keys that are.
pub(crate) fn dispatch<T>(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    keys: &[(&'static str, KeyParser<T>)],
    state: &mut T,
) -> syn::Result<()> {
    match keys.iter().find(|(key, _)| meta.path.is_ident(key)) {
        Some((_, parse)) => parse(state, meta),
        None => unknown_key(meta, attribute, &names(keys)),
    }
}

/// The key names of `keys`, in order.
pub(crate) fn names<T>(keys: &[(&'static str, KeyParser<T>)]) -> Vec<&'static str> {
    keys.iter().map(|(key, _)| *key).collect()
}

/// Whether `meta`'s key is one of `keys` (for a key written in the wrong place).
pub(crate) fn is_one_of<T>(
    meta: &ParseNestedMeta<'_>,
    keys: &[(&'static str, KeyParser<T>)],
) -> bool {
    keys.iter().any(|(key, _)| meta.path.is_ident(key))
}

/// Reports an unknown key, listing the keys that exist, and skips its value.
pub(crate) fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    expected: &[&str],
) -> syn::Result<()> {
    let known = expected
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let error = meta.error(format!(
        "unknown {attribute} attribute `{}`; expected one of: {known}",
        key_name(meta)
    ));
    skip_value(meta)?;
    Err(error)
}

/// Consumes `= value` or `(...)` after a key, so parsing can go on after an error.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            meta.input.parse::<proc_macro2::TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// `key = "..."`.
pub(crate) fn string_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<syn::LitStr> {
    let value = expect_eq(meta, key, "\"...\"")?;
    match value.parse::<syn::Lit>() {
        Ok(syn::Lit::Str(lit)) => Ok(lit),
        Ok(other) => Err(syn::Error::new_spanned(
            other,
            format!("expected `{key}` to be a string: `{key} = \"...\"`"),
        )),
        Err(_) => {
            let error = value.error(format!(
                "expected `{key}` to be a string: `{key} = \"...\"`"
            ));
            skip_rest(value)?;
            Err(error)
        }
    }
}

/// `key = 3`.
pub(crate) fn u32_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<(syn::LitInt, u32)> {
    let value = expect_eq(meta, key, "1")?;
    let message = format!(
        "expected `{key}` to be a whole number from 1 to {}: `{key} = 2`",
        u32::MAX
    );
    match value.parse::<syn::Lit>() {
        Ok(syn::Lit::Int(lit)) => match lit.base10_parse::<u32>() {
            Ok(number) if lit.suffix().is_empty() => Ok((lit, number)),
            _ => Err(syn::Error::new_spanned(lit, message)),
        },
        Ok(other) => Err(syn::Error::new_spanned(other, message)),
        Err(_) => {
            let error = value.error(message);
            skip_rest(value)?;
            Err(error)
        }
    }
}

/// `key = Type` or `key = "Type"`.
pub(crate) fn type_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<syn::Type> {
    parse_value(meta, key, "a type", "MyType")
}

/// `key = method` or `key = "method"`.
pub(crate) fn ident_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<syn::Ident> {
    parse_value(meta, key, "a method name", "method_name")
}

/// `key = path` or `key = "path"`.
pub(crate) fn path_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<syn::Path> {
    parse_value(meta, key, "a path", "::my_crate::cqrs")
}

/// `key = path` naming `what`, with an example for the error.
pub(crate) fn path_value_as(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    what: &str,
    example: &str,
) -> syn::Result<syn::Path> {
    parse_value(meta, key, what, example)
}

fn parse_value<T: Parse>(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    what: &str,
    example: &str,
) -> syn::Result<T> {
    let value = expect_eq(meta, key, example)?;
    let message = format!("expected `{key}` to be {what}: `{key} = {example}`");
    if value.peek(syn::LitStr) {
        let lit: syn::LitStr = value.parse()?;
        return lit
            .parse::<T>()
            .map_err(|_| syn::Error::new_spanned(&lit, message));
    }
    let fork = value.fork();
    match fork.parse::<T>() {
        Ok(_) if fork.is_empty() || fork.peek(Token![,]) => value.parse(),
        _ => {
            let error = value.error(message);
            skip_rest(value)?;
            Err(error)
        }
    }
}

fn expect_eq<'a>(
    meta: &'a ParseNestedMeta<'_>,
    key: &str,
    example: &str,
) -> syn::Result<syn::parse::ParseStream<'a>> {
    if meta.input.peek(Token![=]) {
        meta.value()
    } else {
        let error = meta.error(format!("`{key}` needs a value: `{key} = {example}`"));
        skip_value(meta)?;
        Err(error)
    }
}

fn skip_rest(input: syn::parse::ParseStream<'_>) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// Runs `parse` on every `#[name(...)]` attribute, recording errors and going on.
pub(crate) fn each_attr(
    cx: &Ctxt,
    attrs: &[Attribute],
    name: &str,
    mut parse: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        if let syn::Meta::Path(path) = &attr.meta {
            cx.error_spanned_by(
                path,
                format!("expected arguments: `#[{name}(...)]`; see the README for the keys"),
            );
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            if let Err(error) = parse(&meta) {
                cx.syn_error(error);
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
}

/// The crate path for stubs of a derive that failed before it parsed its input:
/// `#[cqrs(crate = ...)]` if it can be read, else `::cqrs_core`. Its own mistakes
/// are reported by the failed parse, not again here.
pub(crate) fn crate_path_for_stub(attrs: &[Attribute]) -> syn::Path {
    let cx = Ctxt::new();
    let path = crate_path(&cx, attrs);
    match cx.check() {
        Ok(()) => path,
        Err(_) => syn::parse_quote!(::cqrs_core),
    }
}

/// `#[cqrs(crate = "path")]`: where generated code finds `cqrs_core`.
pub(crate) fn crate_path(cx: &Ctxt, attrs: &[Attribute]) -> syn::Path {
    let mut krate = Attr::none(cx, "cqrs", "crate");
    each_attr(cx, attrs, "cqrs", |meta| {
        // #[cqrs(crate = "::my::path")]
        if meta.path.is_ident("crate") {
            let path = path_value(meta, "crate")?;
            krate.set(&meta.path, path);
            Ok(())
        } else {
            unknown_key(meta, "cqrs", &["crate"])
        }
    });
    krate
        .get()
        .unwrap_or_else(|| syn::parse_quote!(::cqrs_core))
}

/// A stable name: `name = "..."` as given (with its tokens, for errors), else the
/// type's name in snake case.
pub(crate) fn name_or_snake_case(
    given: Option<syn::LitStr>,
    ident: &syn::Ident,
) -> (TokenStream, String) {
    match given {
        Some(lit) => (lit.to_token_stream(), lit.value()),
        None => (
            ident.to_token_stream(),
            crate::case::snake_case(&ident.to_string()),
        ),
    }
}
