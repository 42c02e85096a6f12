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
