//! A process manager over two event enums, with sync, async and renamed handlers
//! (with and without the event's header), deadlines and `done`, public, under
//! `#![deny(warnings)]`.
#![deny(warnings)]

use cqrs_core::process::ProcessManager;
use cqrs_core::testing::ProcessFixture;
use cqrs_core::{DomainEvent, EventHeader, HandlerError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Order events.
#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
pub enum OrderEvent {
    /// Placed.
    Placed { order: u64, sku: String },
    /// Returned: a keyword as a variant name.
    Return { order: u64 },
}

/// Stock events.
#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
pub enum StockEvent {
    /// Reserved.
    Reserved { order: u64 },
}

/// What the manager sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Send {
    /// Reserve a sku.
    Reserve(String),
    /// Ship.
    Ship,
}

/// One order's fulfilment.
#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(command = Send, done = finished, deadlines = pending, on_deadline = expired)]
#[process(start(OrderEvent::Placed, by = order, async))]
#[process(on(StockEvent::Reserved, by = order, handler = reserved))]
#[process(on(OrderEvent::Return, by_stream))]
pub struct Fulfilment {
    shipped: bool,
}

impl Fulfilment {
    async fn on_placed(&mut self, _: u64, sku: String) -> Vec<Send> {
        vec![Send::Reserve(sku)]
    }

    fn reserved(&mut self, _: &EventHeader, _: u64) -> Result<Vec<Send>, HandlerError> {
        self.shipped = true;
        Ok(vec![Send::Ship])
    }

    fn on_return(&mut self, _: u64) -> Vec<Send> {
        Vec::new()
    }

    fn finished(&self) -> bool {
        self.shipped
    }

    fn pending(&self) -> Vec<(String, DateTime<Utc>)> {
        Vec::new()
    }

    fn expired(&mut self, _: &str, _: DateTime<Utc>) -> Vec<Send> {
        Vec::new()
    }
}

fn main() {
    assert_eq!(Fulfilment::NAME, "fulfilment");
    let fixture = ProcessFixture::<Fulfilment>::new()
        .given_on("order-1", [OrderEvent::Placed { order: 1, sku: "apple".into() }])
        .when_on("stock-apple", StockEvent::Reserved { order: 1 })
        .then_expect_commands([Send::Ship]);
    assert!(fixture.is_done("1"));
    let _ = <<Fulfilment as ProcessManager>::Event as DomainEvent>::EVENT_TYPES;
}
