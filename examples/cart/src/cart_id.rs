//! Which cart ids the application takes: what a customer could have meant, and what
//! every store can keep.

use crate::service::AppError;

/// The longest cart id, in bytes.
pub const MAX_CART_ID_BYTES: usize = 128;

/// Refuses a cart id no customer could have meant: empty or blank, longer than
/// [`MAX_CART_ID_BYTES`], or holding control or invisible (format) characters.
pub fn check_cart_id(cart_id: &str) -> Result<(), AppError> {
    let refuse = |why| Err(AppError::InvalidCartId(cart_id.to_owned(), why));
    if cart_id.trim().is_empty() {
        return refuse("it is empty or blank");
    }
    if cart_id.len() > MAX_CART_ID_BYTES {
        return refuse("it is longer than 128 bytes");
    }
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
    };
    if cart_id.chars().any(invisible) {
        return refuse("it holds a control or invisible character");
    }
    Ok(())
}
