//! The cart's rules and read models, given/when/then.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use cart::domain::{Cart, CartCommand, CartError, CartEvent, Line};
use cart::views::{CartView, ProductCount, ProductPopularity, TopProducts};
use cqrs_core::QueryHandler;
use cqrs_core::testing::{AggregateFixture, ProjectionFixture};

fn added(sku: &str, quantity: u32, unit_price_cents: u64) -> CartEvent {
    CartEvent::ItemAdded {
        sku: sku.into(),
        quantity,
        unit_price_cents,
    }
}

fn add(sku: &str, quantity: u32, unit_price_cents: u64) -> CartCommand {
    CartCommand::AddItem {
        sku: sku.into(),
        quantity,
        unit_price_cents,
    }
}

#[test]
fn adding_creates_the_cart_and_adds_to_a_line() {
    AggregateFixture::<Cart>::given([])
        .when(add("apple", 2, 40))
        .then_expect_events([added("apple", 2, 40)]);
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(add("apple", 1, 40))
        .then_expect_events([added("apple", 1, 40)]);
}

#[test]
fn adding_refuses_zero_an_empty_sku_and_another_price() {
    AggregateFixture::<Cart>::given([])
        .when(add("apple", 0, 40))
        .then_expect_error(CartError::ZeroQuantity);
    AggregateFixture::<Cart>::given([])
        .when(add("  ", 1, 40))
        .then_expect_error(CartError::EmptySku);
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(add("apple", 1, 45))
        .then_expect_error(CartError::PriceMismatch {
            sku: "apple".into(),
            in_cart: 40,
            offered: 45,
        });
}

/// Quantities and totals never wrap: an add or a change that would not fit is
/// refused before anything is stored, so checkout always has an exact total.
#[test]
fn adds_and_changes_that_would_overflow_are_refused() {
    AggregateFixture::<Cart>::given([added("apple", u32::MAX, 1)])
        .when(add("apple", 1, 1))
        .then_expect_error(CartError::TooManyUnits {
            sku: "apple".into(),
        });
    let half = 1u64 << 63;
    AggregateFixture::<Cart>::given([added("apple", 1, half)])
        .when(add("pear", 1, half))
        .then_expect_error(CartError::TotalTooLarge);
    AggregateFixture::<Cart>::given([])
        .when(add("apple", u32::MAX, half))
        .then_expect_error(CartError::TotalTooLarge);
    AggregateFixture::<Cart>::given([added("apple", 1, half)])
        .when(CartCommand::ChangeQuantity {
            sku: "apple".into(),
            quantity: 2,
        })
        .then_expect_error(CartError::TotalTooLarge);
    // The largest total that fits is checked out exactly.
    AggregateFixture::<Cart>::given([added("apple", 1, half - 1), added("pear", 1, half)])
        .when(CartCommand::Checkout)
        .then_expect_events([CartEvent::CheckedOut {
            total_cents: u64::MAX,
            lines: lines(&[("apple", 1), ("pear", 1)]),
        }]);
}

#[test]
fn changing_a_quantity() {
    let given = || AggregateFixture::<Cart>::given([added("apple", 2, 40)]);
    given()
        .when(CartCommand::ChangeQuantity {
            sku: "apple".into(),
            quantity: 5,
        })
        .then_expect_events([CartEvent::QuantityChanged {
            sku: "apple".into(),
            quantity: 5,
        }]);
    given()
        .when(CartCommand::ChangeQuantity {
            sku: "apple".into(),
            quantity: 0,
        })
        .then_expect_events([CartEvent::ItemRemoved {
            sku: "apple".into(),
        }]);
    given()
        .when(CartCommand::ChangeQuantity {
            sku: "apple".into(),
            quantity: 2,
        })
        .then_expect_events([]);
    given()
        .when(CartCommand::ChangeQuantity {
            sku: "pear".into(),
            quantity: 1,
        })
        .then_expect_error(CartError::NotInCart("pear".into()));
}

#[test]
fn removing_and_clearing() {
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(CartCommand::RemoveItem {
            sku: "apple".into(),
        })
        .then_expect_events([CartEvent::ItemRemoved {
            sku: "apple".into(),
        }]);
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(CartCommand::RemoveItem { sku: "pear".into() })
        .then_expect_error(CartError::NotInCart("pear".into()));
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(CartCommand::ClearCart)
        .then_expect_events([CartEvent::Cleared]);
    AggregateFixture::<Cart>::given([added("apple", 2, 40), CartEvent::Cleared])
        .when(CartCommand::ClearCart)
        .then_expect_events([]);
}

#[test]
fn checking_out() {
    AggregateFixture::<Cart>::given([added("apple", 2, 40), added("pear", 1, 65)])
        .when(CartCommand::Checkout)
        .then_expect_events([CartEvent::CheckedOut {
            total_cents: 145,
            lines: lines(&[("apple", 2), ("pear", 1)]),
        }]);
    AggregateFixture::<Cart>::given([added("apple", 2, 40), CartEvent::Cleared])
        .when(CartCommand::Checkout)
        .then_expect_error(CartError::EmptyCart);
    let checked_out = || {
        AggregateFixture::<Cart>::given([
            added("apple", 2, 40),
            CartEvent::CheckedOut {
                total_cents: 80,
                lines: lines(&[("apple", 2)]),
            },
        ])
    };
    checked_out()
        .when(CartCommand::Checkout)
        .then_expect_error(CartError::CheckedOut);
    checked_out()
        .when(add("pear", 1, 65))
        .then_expect_error(CartError::CheckedOut);
    checked_out()
        .when(CartCommand::ClearCart)
        .then_expect_error(CartError::CheckedOut);
    // Its order failed: the cart opens again, as it was, once.
    let reopen = || CartCommand::Reopen {
        order: "o-1".into(),
        reason: "the payment failed".into(),
    };
    checked_out()
        .when(reopen())
        .then_expect_events([CartEvent::Reopened {
            order: "o-1".into(),
            reason: "the payment failed".into(),
        }]);
    AggregateFixture::<Cart>::given([added("apple", 2, 40)])
        .when(reopen())
        .then_expect_events([]);
    AggregateFixture::<Cart>::given([])
        .when(reopen())
        .then_expect_error(CartError::NotFound);
    AggregateFixture::<Cart>::given([
        added("apple", 2, 40),
        CartEvent::CheckedOut {
            total_cents: 80,
            lines: lines(&[("apple", 2)]),
        },
        CartEvent::Reopened {
            order: "o-1".into(),
            reason: "short".into(),
        },
    ])
    .when(add("pear", 1, 65))
    .then_expect_events([added("pear", 1, 65)]);
}

/// Units per product, as a checkout records them.
fn lines(lines: &[(&str, u32)]) -> std::collections::BTreeMap<String, u32> {
    lines
        .iter()
        .map(|(sku, n)| ((*sku).to_owned(), *n))
        .collect()
}

#[test]
fn commands_other_than_adding_need_a_cart() {
    for command in [
        CartCommand::Checkout,
        CartCommand::ClearCart,
        CartCommand::RemoveItem {
            sku: "apple".into(),
        },
        CartCommand::ChangeQuantity {
            sku: "apple".into(),
            quantity: 1,
        },
    ] {
        AggregateFixture::<Cart>::given([])
            .when(command)
            .then_expect_error(CartError::NotFound);
    }
}

#[test]
fn a_cart_view_follows_every_event_of_its_cart() {
    let alice = ProjectionFixture::<CartView>::given([])
        .given_on(
            "cart-alice",
            [
                added("apple", 2, 40),
                added("pear", 1, 65),
                added("apple", 1, 40),
                CartEvent::QuantityChanged {
                    sku: "apple".into(),
                    quantity: 5,
                },
                CartEvent::ItemRemoved { sku: "pear".into() },
                CartEvent::CheckedOut {
                    total_cents: 200,
                    lines: lines(&[("apple", 5)]),
                },
            ],
        )
        .into_state();
    assert_eq!(alice.cart_id, "alice");
    assert_eq!(alice.version, 6);
    assert!(alice.checked_out);
    assert_eq!(alice.total_cents, 200);
    assert_eq!(
        alice.lines.into_iter().collect::<Vec<_>>(),
        [(
            "apple".to_owned(),
            Line {
                quantity: 5,
                unit_price_cents: 40
            }
        )]
    );
    ProjectionFixture::<CartView>::given([])
        .given_on(
            "cart-bob",
            [
                added("kiwi", 3, 20),
                CartEvent::Cleared,
                added("fig", 1, 90),
            ],
        )
        .then_expect_state(CartView {
            cart_id: "bob".into(),
            lines: [(
                "fig".to_owned(),
                Line {
                    quantity: 1,
                    unit_price_cents: 90,
                },
            )]
            .into(),
            total_cents: 90,
            checked_out: false,
            version: 3,
        });
}

#[test]
fn product_popularity_counts_units_added_across_carts() {
    let popularity = ProjectionFixture::<ProductPopularity>::given([])
        .given_on(
            "cart-a",
            [
                added("apple", 2, 40),
                added("pear", 1, 65),
                CartEvent::Cleared,
            ],
        )
        .given_on(
            "cart-b",
            [
                added("apple", 1, 40),
                CartEvent::ItemRemoved {
                    sku: "apple".into(),
                },
            ],
        )
        .given_on(
            "cart-c",
            [
                added("pear", 3, 65),
                CartEvent::CheckedOut {
                    total_cents: 195,
                    lines: lines(&[("pear", 3)]),
                },
            ],
        )
        .into_state();
    let top = popularity.query(TopProducts { limit: 10 });
    assert_eq!(
        top,
        [
            ProductCount {
                sku: "pear".into(),
                units: 4,
                times_added: 2
            },
            ProductCount {
                sku: "apple".into(),
                units: 3,
                times_added: 2
            },
        ]
    );
    assert_eq!(popularity.query(TopProducts { limit: 1 }).len(), 1);
}
