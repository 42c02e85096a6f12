//! The cost of the generated code: derived command dispatch and event apply beside
//! the `match` a person would write, and event (de)serialisation beside plain serde.
//!
//! `cargo bench -p cqrs-bench --bench derive`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cqrs_core::{Aggregate, Command, DomainEvent};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    #[event(name = "cart.item_added", version = 2)]
    ItemAdded {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
    #[event(name = "cart.item_removed")]
    ItemRemoved { sku: String },
    #[event(name = "cart.checked_out")]
    CheckedOut { total_cents: u64 },
}

#[derive(Debug, Clone, Deserialize, Command)]
#[command(aggregate = Cart)]
enum CartCommand {
    AddItem {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
    RemoveItem {
        sku: String,
    },
    Checkout,
}

#[derive(Debug, thiserror::Error)]
enum CartError {
    #[error("not in the cart")]
    NotInCart,
    #[error("empty")]
    Empty,
}

#[derive(Debug, Default, Clone, Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
struct Cart {
    lines: BTreeMap<String, (u32, u64)>,
    checked_out: bool,
}

impl Cart {
    fn add_item(
        &self,
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    ) -> Result<Vec<CartEvent>, CartError> {
        Ok(vec![CartEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        }])
    }

    fn remove_item(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        if !self.lines.contains_key(&sku) {
            return Err(CartError::NotInCart);
        }
        Ok(vec![CartEvent::ItemRemoved { sku }])
    }

    fn checkout(&self) -> Result<Vec<CartEvent>, CartError> {
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        let total_cents = self.lines.values().map(|(q, p)| u64::from(*q) * p).sum();
        Ok(vec![CartEvent::CheckedOut { total_cents }])
    }

    fn on_item_added(&mut self, sku: String, quantity: u32, unit_price_cents: u64) {
        self.lines.entry(sku).or_insert((0, unit_price_cents)).0 += quantity;
    }

    fn on_item_removed(&mut self, sku: String) {
        self.lines.remove(&sku);
    }

    fn on_checked_out(&mut self, _total_cents: u64) {
        self.checked_out = true;
    }
}

/// The dispatch a person would write instead of `#[derive(Command)]`.
fn handle_by_hand(cart: &Cart, command: CartCommand) -> Result<Vec<CartEvent>, CartError> {
    match command {
        CartCommand::AddItem {
            sku,
            quantity,
            unit_price_cents,
        } => cart.add_item(sku, quantity, unit_price_cents),
        CartCommand::RemoveItem { sku } => cart.remove_item(sku),
        CartCommand::Checkout => cart.checkout(),
    }
}

/// The apply a person would write instead of `#[event(aggregate = Cart)]`.
fn apply_by_hand(cart: &mut Cart, event: CartEvent) {
    match event {
        CartEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        } => cart.on_item_added(sku, quantity, unit_price_cents),
        CartEvent::ItemRemoved { sku } => cart.on_item_removed(sku),
        CartEvent::CheckedOut { total_cents } => cart.on_checked_out(total_cents),
    }
}

/// Polls a future that is ready at once (every handler here is synchronous).
fn ready<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("a synchronous handler is always ready"),
    }
}

fn commands() -> Vec<CartCommand> {
    (0..64)
        .map(|n| match n % 4 {
            0 | 1 => CartCommand::AddItem {
                sku: format!("sku-{n}"),
                quantity: 1,
                unit_price_cents: 100,
            },
            2 => CartCommand::RemoveItem {
                sku: "sku-0".into(),
            },
            _ => CartCommand::Checkout,
        })
        .collect()
}

fn events() -> Vec<CartEvent> {
    (0..64)
        .map(|n| match n % 4 {
            0 | 1 => CartEvent::ItemAdded {
                sku: format!("sku-{n}"),
                quantity: 1,
                unit_price_cents: 100,
            },
            2 => CartEvent::ItemRemoved {
                sku: format!("sku-{}", n - 2),
            },
            _ => CartEvent::CheckedOut { total_cents: 100 },
        })
        .collect()
}

fn dispatch(c: &mut Criterion) {
    let mut cart = Cart::default();
    cart.on_item_added("sku-0".into(), 1, 100);
    let commands = commands();
    let mut group = c.benchmark_group("dispatch 64 commands");
    group.bench_function("derived", |b| {
        b.iter_batched(
            || commands.clone(),
            |commands| {
                for command in commands {
                    let _ = black_box(ready(command.handle(&cart, &())));
                }
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written match", |b| {
        b.iter_batched(
            || commands.clone(),
            |commands| {
                for command in commands {
                    let _ = black_box(ready(async { handle_by_hand(&cart, command) }));
                }
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn apply(c: &mut Criterion) {
    let events = events();
    let mut group = c.benchmark_group("apply 64 events");
    group.bench_function("derived", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                let mut cart = Cart::default();
                for event in events {
                    cart.apply(event);
                }
                black_box(cart)
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written match", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                let mut cart = Cart::default();
                for event in events {
                    apply_by_hand(&mut cart, event);
                }
                black_box(cart)
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn serialisation(c: &mut Criterion) {
    let event = CartEvent::ItemAdded {
        sku: "sku-42".into(),
        quantity: 3,
        unit_price_cents: 199,
    };
    let payload = event.encode().unwrap();
    let mut group = c.benchmark_group("one event");
    group.bench_function("encode (DomainEvent)", |b| {
        b.iter(|| black_box(&event).encode().unwrap())
    });
    group.bench_function("serde_json::to_string (tagged enum)", |b| {
        b.iter(|| serde_json::to_string(black_box(&event)).unwrap())
    });
    group.bench_function("decode (DomainEvent)", |b| {
        b.iter(|| CartEvent::decode("cart.item_added", 2, black_box(&payload)).unwrap())
    });
    let tagged = serde_json::to_string(&event).unwrap();
    group.bench_function("serde_json::from_str (tagged enum)", |b| {
        b.iter(|| serde_json::from_str::<CartEvent>(black_box(&tagged)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, dispatch, apply, serialisation);
criterion_main!(benches);
