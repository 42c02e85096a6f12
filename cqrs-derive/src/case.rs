//! Names derived from Rust identifiers.

/// `ItemAdded` -> `item_added`, `HTTPRequest` -> `http_request`, `Add2Items` -> `add2_items`.
pub(crate) fn snake_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let chars: Vec<char> = ident.chars().collect();
    let mut snake = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let starts_word = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                Some(_) => false,
            };
            if starts_word {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// Words Rust reserves (2024 edition), which a derived method name must write raw.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be written raw either.
const NOT_RAW: &[&str] = &["crate", "self", "super", "_"];

/// The method a derive calls for a name: the snake-case name, written raw when it is
/// a keyword (`Move` -> `r#move`), or with a trailing underscore for the few keywords
/// that cannot be raw (`Super` -> `super_`).
pub(crate) fn method_ident(type_or_variant: &syn::Ident, prefix: &str) -> syn::Ident {
    let name = format!("{prefix}{}", snake_case(&type_or_variant.to_string()));
    let span = type_or_variant.span();
    if KEYWORDS.contains(&name.as_str()) {
        syn::Ident::new_raw(&name, span)
    } else if NOT_RAW.contains(&name.as_str()) {
        syn::Ident::new(&format!("{name}_"), span)
    } else {
        syn::Ident::new(&name, span)
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn converts_upper_camel_case() {
        assert_eq!(snake_case("ItemAdded"), "item_added");
        assert_eq!(snake_case("Checkout"), "checkout");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("AddHTTP"), "add_http");
        assert_eq!(snake_case("Add2Items"), "add2_items");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(snake_case("r#Type"), "type");
    }
}
