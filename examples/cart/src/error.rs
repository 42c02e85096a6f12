//! What the application answers when it cannot do what was asked.

use cqrs_core::StoreError;
use cqrs_core::runner::{ProjectionError, error_chain};

use crate::domain::CartError;
use crate::orders::payment::PaymentError;
use crate::orders::stock::StockError;

/// Why the application could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The cart refused the command.
    #[error(transparent)]
    Rejected(CartError),
    /// No events exist for this cart.
    #[error("cart `{0}` does not exist")]
    UnknownCart(String),
    /// Another writer changed the cart first, or the client's version is stale.
    #[error("cart `{cart_id}` is at version {actual}, not {expected}")]
    Conflict {
        cart_id: String,
        expected: u64,
        actual: u64,
    },
    /// Other processes kept changing the cart for as long as the command was retried
    /// (10 s); trying again later may succeed. Never for a command with an expected
    /// version: that is a [`Conflict`](AppError::Conflict).
    #[error("cart `{cart_id}` kept changing under this command; try again")]
    Busy { cart_id: String },
    /// A cart id that is empty, blank, too long or holds control or invisible
    /// characters.
    #[error("cart id {0:?} is not usable: {1}")]
    InvalidCartId(String, &'static str),
    /// The request holds text no store can keep (the character U+0000); nothing was
    /// stored, on any store.
    #[error("{0}")]
    Unstorable(String),
    /// The cart has fewer versions than asked for.
    #[error("cart `{cart_id}` has {latest} versions; version {asked} does not exist")]
    NoSuchVersion {
        cart_id: String,
        asked: u64,
        latest: u64,
    },
    /// No order has this id (or no payment was asked for it yet).
    #[error("order `{0}` does not exist")]
    UnknownOrder(String),
    /// A product's stock refused the change.
    #[error(transparent)]
    Stock(StockError),
    /// The payment refused the change (it is already settled).
    #[error(transparent)]
    Payment(PaymentError),
    /// No projection has this name.
    #[error("no projection is named `{0}`; `cart projections` lists them")]
    UnknownProjection(String),
    /// A read asked for a view at least at a position it has not reached in time.
    #[error("view `{view}` is at position {position}, not yet at {wanted}; try again")]
    Behind {
        view: &'static str,
        position: u64,
        wanted: u64,
    },
    /// The store could not do it now (a lost connection, a lock, a full disk); trying
    /// again later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// A setting that cannot be used; the message says what to give instead.
    #[error("{0}")]
    Invalid(String),
    /// The store, a stored event or a projection failed.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            AppError::Unavailable(error_chain(&error))
        } else {
            AppError::Internal(error_chain(&error))
        }
    }
}

impl From<ProjectionError> for AppError {
    fn from(error: ProjectionError) -> Self {
        AppError::Internal(error_chain(&error))
    }
}
