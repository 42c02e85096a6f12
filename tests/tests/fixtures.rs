//! The given/when/then fixtures, sync and async, and the mistakes they catch.
#![deny(warnings)]

mod common;

use std::collections::HashMap;

use common::{AddedProducts, Cart, CartCommand, CartError, CartEvent, MostAdded, Shop};
use cqrs_core::testing::{AggregateFixture, ProjectionFixture};
use cqrs_core::{Aggregate, Command, DomainEvent, EventHeader, Projection, QueryHandler};
use serde::{Deserialize, Serialize};

fn added(sku: &str, quantity: u32, unit_price_cents: u64) -> CartEvent {
    CartEvent::ItemAdded {
        sku: sku.into(),
        quantity,
        unit_price_cents,
    }
}

fn shop() -> Shop {
    Shop::with_prices(&[("apple", 30)])
}

#[test]
fn given_when_then_events() {
    let state = AggregateFixture::<Cart>::given([added("apple", 1, 30)])
        .with_services(shop())
        .when(CartCommand::AddItem {
            sku: "apple".into(),
            quantity: 2,
        })
        .then_expect_events([added("apple", 2, 30)]);
    assert_eq!(
        state.lines["apple"], 3,
        "the returned state has the new events applied"
    );
}

#[test]
fn given_when_then_error() {
    AggregateFixture::<Cart>::given([added("apple", 1, 30), CartEvent::CheckedOut])
        .when(CartCommand::Checkout)
        .then_expect_error(CartError::CheckedOut);
    AggregateFixture::<Cart>::given([])
        .when(CartCommand::Checkout)
        .then_expect_error_matches(|e| matches!(e, CartError::Empty));
}

#[tokio::test]
async fn async_handlers_in_an_async_test() {
    AggregateFixture::<Cart>::given([])
        .when_async(CartCommand::AddAfterBarrier { sku: "pear".into() })
        .await
        .then_expect_events([added("pear", 1, 1)]);
}

#[test]
#[should_panic(expected = "the command produced other events than expected")]
fn unexpected_events_fail_the_test() {
    AggregateFixture::<Cart>::given([])
        .with_services(shop())
        .when(CartCommand::AddItem {
            sku: "apple".into(),
            quantity: 2,
        })
        .then_expect_events([added("apple", 3, 30)]);
}

#[test]
#[should_panic(expected = "but the command was rejected")]
fn a_rejection_fails_a_test_that_expects_events() {
    AggregateFixture::<Cart>::given([])
        .when(CartCommand::Checkout)
        .then_expect_events([CartEvent::CheckedOut]);
}

#[test]
#[should_panic(expected = "expected the error")]
fn events_fail_a_test_that_expects_an_error() {
    AggregateFixture::<Cart>::given([])
        .with_services(shop())
        .when(CartCommand::AddItem {
            sku: "apple".into(),
            quantity: 1,
        })
        .then_expect_error(CartError::ZeroQuantity);
}

/// An event the store could not hold back fails the test that produces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Tally)]
enum TallyEvent {
    Counted { by_pair: HashMap<(u8, u8), u32> },
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Tally)]
enum TallyCommand {
    Count,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("never")]
struct Never;

#[derive(Debug, Default, Aggregate)]
#[aggregate(event = TallyEvent, error = Never)]
struct Tally;

impl Tally {
    fn count(&self) -> Result<Vec<TallyEvent>, Never> {
        Ok(vec![TallyEvent::Counted {
            by_pair: [((1, 2), 3)].into(),
        }])
    }

    fn on_counted(&mut self, _: HashMap<(u8, u8), u32>) {}
}

#[test]
#[should_panic(expected = "event `Counted` does not survive storage")]
fn an_event_that_cannot_be_stored_fails_the_test() {
    AggregateFixture::<Tally>::given([])
        .when(TallyCommand::Count)
        .then_expect_events([TallyEvent::Counted {
            by_pair: [((1, 2), 3)].into(),
        }]);
}

#[test]
fn projection_given_then_state_and_query() {
    let view =
        ProjectionFixture::<AddedProducts>::given([added("apple", 2, 30), CartEvent::CheckedOut])
            .given_on("cart-2", [added("pear", 5, 10), added("apple", 1, 30)])
            .into_state();
    assert_eq!(view.query(MostAdded { limit: 1 }), [("pear".to_owned(), 5)]);
    assert_eq!(view.query(MostAdded { limit: 5 }).len(), 2);
    ProjectionFixture::<AddedProducts>::given([added("apple", 2, 30)]).then_expect_state(
        AddedProducts {
            units: [("apple".to_owned(), 2)].into(),
        },
    );
}

#[test]
fn projections_declare_the_event_names_they_read() {
    assert_eq!(AddedProducts::HANDLED_EVENTS, ["cart.item_added"]);
    assert!(AddedProducts::handles("cart.item_added"));
    assert!(!AddedProducts::handles("cart.checked_out"));
}

/// A projection handler that fails stops the fixture with the event named.
#[derive(Debug, Default, PartialEq, Projection)]
#[projection(event = CartEvent, handles(ItemAdded))]
struct Picky;

impl Picky {
    fn on_item_added(
        &mut self,
        header: &EventHeader,
        sku: String,
        _: u32,
        _: u64,
    ) -> Result<(), String> {
        if sku == "durian" {
            return Err(format!("no durians in stream {}", header.stream_id));
        }
        Ok(())
    }
}

#[test]
#[should_panic(
    expected = "projection `picky` failed on event `cart.item_added` at position 2: no durians in stream stream-1"
)]
fn a_failing_projection_handler_names_the_event() {
    ProjectionFixture::<Picky>::given([added("apple", 1, 1), added("durian", 1, 1)]);
}

#[test]
fn event_types_are_listed_in_declaration_order() {
    let names: Vec<&str> = CartEvent::event_names().collect();
    assert_eq!(
        names,
        ["cart.item_added", "cart.item_removed", "cart.checked_out"]
    );
    assert_eq!(CartEvent::CheckedOut.event_type().variant, "CheckedOut");
}
