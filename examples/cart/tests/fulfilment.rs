//! Every transition of the order fulfilment, without a store: given the events an
//! order has seen, when one more comes (or the payment deadline), then the commands.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::BTreeMap;

use cart::domain::{CartCommand, CartEvent};
use cart::orders::fulfilment::{Fulfilment, PAYMENT_DEADLINE, Step};
use cart::orders::order::OrderCommand;
use cart::orders::payment::{PaymentCommand, PaymentEvent};
use cart::orders::stock::{StockCommand, StockEvent};
use chrono::{DateTime, Utc};
use cqrs_core::testing::ProcessFixture;

fn lines() -> BTreeMap<String, u32> {
    BTreeMap::from([("apple".to_owned(), 3), ("pear".to_owned(), 1)])
}

fn checked_out() -> CartEvent {
    CartEvent::CheckedOut {
        total_cents: 220,
        lines: lines(),
    }
}

fn due() -> DateTime<Utc> {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

/// The order id the fixture's checkout gets (the checkout event's id), found from
/// the instance the checkout started.
fn started() -> (ProcessFixture<Fulfilment>, String) {
    let fixture = ProcessFixture::<Fulfilment>::new().when_on("cart-alice", checked_out());
    let order = fixture_order(&fixture);
    assert_eq!(fixture.instance(&order).unwrap().order, order);
    (fixture, order)
}

fn fixture_order(fixture: &ProcessFixture<Fulfilment>) -> String {
    // The checkout is the fixture's first event; its instance is the only one.
    fixture.instances().next().unwrap().to_owned()
}

fn reserved(order: &str, quantity: u32) -> StockEvent {
    StockEvent::Reserved {
        order: order.into(),
        quantity,
    }
}

/// What ending an order that did not go through sends: the order's own command
/// (`Reject` or `Cancel` with `reason`), every product released, the cart reopened.
fn undo(order: &str, end: OrderCommand, reason: &str) -> Vec<Step> {
    let release = |sku: &str| {
        let order = order.to_owned();
        Step::Stock(sku.into(), StockCommand::Release { order })
    };
    let reopen = CartCommand::Reopen {
        order: order.into(),
        reason: reason.into(),
    };
    vec![
        Step::Order(order.into(), end),
        release("apple"),
        release("pear"),
        Step::Cart("alice".into(), reopen),
    ]
}

#[test]
fn a_checkout_places_the_order_and_reserves_each_product() {
    let (fixture, order) = started();
    let place = OrderCommand::Place {
        cart: "alice".into(),
        lines: lines(),
        total_cents: 220,
    };
    fixture.then_expect_commands([
        Step::Order(order.clone(), place),
        Step::Stock(
            "apple".into(),
            StockCommand::Reserve {
                order: order.clone(),
                quantity: 3,
            },
        ),
        Step::Stock(
            "pear".into(),
            StockCommand::Reserve {
                order: order.clone(),
                quantity: 1,
            },
        ),
    ]);
}

#[test]
fn a_checkout_from_before_orders_starts_no_order() {
    let fixture = ProcessFixture::<Fulfilment>::new()
        .when_on(
            "cart-old",
            CartEvent::CheckedOut {
                total_cents: 0,
                lines: BTreeMap::new(),
            },
        )
        .then_expect_commands([]);
    let instance = fixture_order(&fixture);
    assert!(fixture.is_done(&instance));
}

#[test]
fn the_payment_is_asked_for_once_every_product_is_reserved() {
    let (fixture, order) = started();
    let fixture = fixture
        .when_on("stock-apple", reserved(&order, 3))
        .then_expect_commands([]);
    fixture
        .when_on("stock-pear", reserved(&order, 1))
        .then_expect_commands([Step::RequestPayment {
            order: order.clone(),
            amount_cents: 220,
        }]);
}

#[test]
fn a_shortage_rejects_releases_and_reopens_then_the_order_ends() {
    let (fixture, order) = started();
    let short = StockEvent::Short {
        order: order.clone(),
        wanted: 1,
        free: 0,
    };
    let reason = "only 0 of the 1 `pear` wanted are in stock".to_owned();
    let fixture = fixture
        .given_on("stock-apple", [reserved(&order, 3)])
        .when_on("stock-pear", short)
        .then_expect_commands(undo(
            &order,
            OrderCommand::Reject {
                reason: reason.clone(),
            },
            &reason,
        ));
    assert!(fixture.is_done(&order));
    // A reservation arriving after the end changes nothing.
    fixture
        .when_on("stock-apple", reserved(&order, 3))
        .then_expect_commands([]);
}

/// An order whose products are reserved and whose payment is requested.
fn awaiting() -> (ProcessFixture<Fulfilment>, String) {
    let (fixture, order) = started();
    let requested = PaymentEvent::Requested {
        order: order.clone(),
        amount_cents: 220,
        due: due(),
    };
    let fixture = fixture
        .given_on("stock-apple", [reserved(&order, 3)])
        .given_on("stock-pear", [reserved(&order, 1)])
        .when_on(format!("payment-{order}").as_str(), requested)
        .then_expect_commands([Step::Order(
            order.clone(),
            OrderCommand::AwaitPayment { due: due() },
        )]);
    assert_eq!(fixture.deadlines(&order), [PAYMENT_DEADLINE]);
    (fixture, order)
}

#[test]
fn a_requested_payment_schedules_its_deadline() {
    awaiting();
}

#[test]
fn a_confirmed_payment_confirms_and_ships_then_the_order_ends() {
    let (fixture, order) = awaiting();
    let fixture = fixture
        .when_on(
            format!("payment-{order}").as_str(),
            PaymentEvent::Confirmed {
                order: order.clone(),
            },
        )
        .then_expect_commands([
            Step::Order(order.clone(), OrderCommand::Confirm),
            Step::Stock(
                "apple".into(),
                StockCommand::Ship {
                    order: order.clone(),
                },
            ),
            Step::Stock(
                "pear".into(),
                StockCommand::Ship {
                    order: order.clone(),
                },
            ),
        ]);
    assert!(fixture.is_done(&order));
    assert!(
        fixture.deadlines(&order).is_empty(),
        "the deadline is cancelled"
    );
}

#[test]
fn a_failed_payment_cancels_releases_and_reopens() {
    let (fixture, order) = awaiting();
    let reason = "the payment failed: card declined".to_owned();
    let fixture = fixture
        .when_on(
            format!("payment-{order}").as_str(),
            PaymentEvent::Failed {
                order: order.clone(),
                reason: "card declined".into(),
            },
        )
        .then_expect_commands(undo(
            &order,
            OrderCommand::Cancel {
                reason: reason.clone(),
            },
            &reason,
        ));
    assert!(fixture.is_done(&order));
    assert!(fixture.deadlines(&order).is_empty());
}

#[test]
fn the_payment_deadline_expires_the_payment_which_then_cancels_the_order() {
    let (fixture, order) = awaiting();
    let fixture = fixture
        .when_deadline(&order, PAYMENT_DEADLINE)
        .then_expect_commands([Step::Payment(order.clone(), PaymentCommand::Expire)]);
    let reason = "the payment was not received by 2030-01-01T00:00:00Z".to_owned();
    let fixture = fixture
        .when_on(
            format!("payment-{order}").as_str(),
            PaymentEvent::Expired {
                order: order.clone(),
            },
        )
        .then_expect_commands(undo(
            &order,
            OrderCommand::Cancel {
                reason: reason.clone(),
            },
            &reason,
        ));
    assert!(fixture.is_done(&order));
}

#[test]
fn events_of_other_orders_and_other_events_are_ignored() {
    let (fixture, _) = started();
    fixture
        .when_on("stock-apple", reserved("another-order", 3))
        .then_expect_commands([])
        .when_on("cart-alice", CartEvent::Cleared)
        .then_expect_commands([]);
}
