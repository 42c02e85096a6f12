//! Process managers: workflows across aggregates, driven by the log.
//!
//! A process manager reacts to events of any aggregate by sending commands. Each of
//! its instances (one order, one transfer) is found by a value the event carries,
//! keeps a state of its own, and is itself event-sourced: every event it handles adds
//! a record to the instance's stream (`"process:{NAME}:{instance}"`) holding the new state,
//! under an event id derived from the event it handled. So, whatever crashes where:
//!
//! - an event whose record is stored was handled: it is skipped when delivered again;
//! - an event without a record is handled again on the state before it, and its
//!   commands are sent again with the same command ids
//!   ([`ExecuteOptions::caused_by_step`](crate::ExecuteOptions::caused_by_step)), which
//!   the repository appends once.
//!
//! Commands are sent before the record is written, so no effect is ever lost, and
//! none happens twice.
//!
//! **Deadlines** live in the instance's state: [`ProcessManager::deadlines`] lists the
//! pending ones (keep a time in the state to schedule, take it out to cancel), and
//! when one comes due the worker calls [`ProcessManager::on_deadline`], as one more
//! step with ids derived from the instance, the deadline's name and its time. The
//! worker learns every pending deadline from the instance records when it starts,
//! so a deadline that came due while no worker ran fires after the restart, once.
//!
//! **Parking instead of stopping**: an event whose commands keep failing
//! ([`ProcessTarget::park_after`] attempts, default 3) is parked in its instance's
//! record with the error, and the instance's later events join it in order, while
//! every other instance goes on. Nothing is dropped silently: an operator lists
//! ([`ProcessTarget::parked`]), retries ([`ProcessTarget::retry_parked`], with the
//! command ids of the first attempt) or evicts ([`ProcessTarget::evict_parked`]). [`ProcessTarget`] runs a manager under a
//! [`ProjectionRunner`](crate::runner::ProjectionRunner): one active worker per manager
//! with [`Leases`](crate::store::Leases), status and lag like any projection.
//!
//! ```
//! # use cqrs_core::doc_example::*;
//! use cqrs_core::process::{CommandBus, ProcessManager, ProcessTarget, Route};
//! use cqrs_core::runner::ProjectionRunner;
//! use cqrs_core::{EventHeader, ExecuteOptions, InMemoryEventStore, Repository};
//! use serde::{Deserialize, Serialize};
//!
//! /// Every cart that gets an apple also gets a free bag, once.
//! #[derive(Default, Serialize, Deserialize)]
//! struct FreeBag {
//!     given: bool,
//! }
//!
//! impl ProcessManager for FreeBag {
//!     const NAME: &'static str = "free-bag";
//!     type Event = CartEvent;
//!     type Command = (String, CartCommand);
//!
//!     fn route(header: &EventHeader, event: &CartEvent) -> Route {
//!         match event {
//!             CartEvent::ItemAdded { sku, .. } if sku == "apple" => {
//!                 Route::Start(header.stream_id.to_string())
//!             }
//!             _ => Route::Ignore,
//!         }
//!     }
//!
//!     async fn handle(
//!         &mut self,
//!         header: &EventHeader,
//!         _: CartEvent,
//!     ) -> Result<Vec<(String, CartCommand)>, cqrs_core::HandlerError> {
//!         if std::mem::replace(&mut self.given, true) {
//!             return Ok(Vec::new());
//!         }
//!         let cart = header.stream_id.trim_start_matches("cart-").to_owned();
//!         Ok(vec![(cart, CartCommand::AddItem { sku: "bag".into(), quantity: 1 })])
//!     }
//! }
//!
//! /// Sends each command through the cart repository.
//! struct Carts(Repository<Cart, InMemoryEventStore>);
//!
//! impl CommandBus<(String, CartCommand)> for Carts {
//!     async fn send(
//!         &self,
//!         (cart, command): (String, CartCommand),
//!         options: ExecuteOptions,
//!     ) -> Result<(), cqrs_core::HandlerError> {
//!         self.0.execute_with(&cart, command, options).await?;
//!         Ok(())
//!     }
//! }
//!
//! # pollster::block_on(async {
//! let store = InMemoryEventStore::new();
//! let carts = Repository::<Cart, _>::new(store.clone());
//! carts.execute("1", CartCommand::AddItem { sku: "apple".into(), quantity: 2 }).await?;
//! carts.execute("1", CartCommand::AddItem { sku: "apple".into(), quantity: 1 }).await?;
//! let target = ProcessTarget::<FreeBag, _, _>::new(store.clone(), Carts(Repository::new(store.clone())));
//! let mut runner = ProjectionRunner::new(store.clone(), target);
//! runner.catch_up().await?;
//! runner.rebuild(|_| {}).await?; // every event delivered again: nothing sent twice
//! assert_eq!(carts.load("1").await?.state.items["bag"], 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Deriving it
//!
//! `#[derive(ProcessManager)]` writes the trait from attributes on the state struct
//! (beside `Default`, `Serialize` and `Deserialize`):
//!
//! | attribute | meaning |
//! |---|---|
//! | `command = T` | what handlers return a `Vec` of (required) |
//! | `name = "..."` | the stable name (default: the struct's name in snake case) |
//! | `start(Enum::Variant, by = field)` | this event starts an instance (at least one) |
//! | `on(Enum::Variant, by = field)` | this event moves an existing instance on |
//! | `by = field` / `by_stream` / `by_event_id` | the instance id: a field of the variant (through `Display`), the event's stream id, or the event's own id (one instance per event) |
//! | `handler = method` | the method called (default `on_<variant in snake case>`) |
//! | `async` | the handler is an `async fn` |
//! | `done = method` | `fn(&self) -> bool`: the instance is finished |
//! | `deadlines = method`, `on_deadline = method` | `fn(&self) -> Vec<(String, DateTime<Utc>)>` and `fn(&mut self, &str, DateTime<Utc>)` returning commands |
//!
//! A handler takes `&mut self`, the event's [`EventHeader`], then each field of the
//! variant by value, in order, and returns `Vec<Command>` or `Result<Vec<Command>, E>`
//! (an error counts as a failed attempt, then parks the event). Variants may come
//! from several event enums (several aggregates): the manager's `Event` is then an
//! enum of them that each converts into (`ProcessFixture::when_on` takes any).
//!
//! ```
//! # use cqrs_core::doc_example::*;
//! use cqrs_core::process::ProcessManager;
//! use cqrs_core::testing::ProcessFixture;
//! use cqrs_core::{DomainEvent, EventHeader};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
//! enum ShippingEvent {
//!     Shipped { cart: String },
//! }
//!
//! /// Ships each checked-out cart, once; done when shipped.
//! #[derive(Default, Serialize, Deserialize, ProcessManager)]
//! #[process(command = String, done = shipped)]
//! #[process(start(CartEvent::CheckedOut, by_stream, async))]
//! #[process(on(ShippingEvent::Shipped, by = cart, handler = delivered))]
//! struct Shipping {
//!     delivered: bool,
//! }
//!
//! impl Shipping {
//!     async fn on_checked_out(&mut self, header: &EventHeader) -> Vec<String> {
//!         vec![format!("ship {}", header.stream_id)]
//!     }
//!
//!     fn delivered(&mut self, _: &EventHeader, _cart: String) -> Vec<String> {
//!         self.delivered = true;
//!         Vec::new()
//!     }
//!
//!     fn shipped(&self) -> bool {
//!         self.delivered
//!     }
//! }
//!
//! let shipping = ProcessFixture::<Shipping>::new()
//!     .when_on("cart-1", CartEvent::CheckedOut)
//!     .then_expect_commands(["ship cart-1".to_owned()])
//!     .when_on("shipping-9", ShippingEvent::Shipped { cart: "cart-1".into() })
//!     .then_expect_commands([]);
//! assert!(shipping.is_done("cart-1"));
//! ```

mod cause;
mod deadlines;
mod parking;
mod target;

use std::future::Future;

use chrono::{DateTime, Utc};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use target::{Parked, ProcessTarget};

/// `#[derive(ProcessManager)]`: see the [module docs](self).
#[cfg(feature = "derive")]
pub use cqrs_derive::ProcessManager;

use crate::envelope::EventHeader;
use crate::event::DomainEvent;
use crate::projection::HandlerError;
use crate::repository::ExecuteOptions;

/// Which instance of a process manager an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The instance with this id, started by this event if it does not exist yet.
    Start(String),
    /// The instance with this id, if it exists; the event is ignored otherwise.
    Continue(String),
    /// No instance: the event is not for this manager.
    Ignore,
}

/// A workflow across aggregates: its state per instance, which events move it, and
/// the commands it sends (see the [module docs](self)).
pub trait ProcessManager: Default + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name: the prefix of its instance streams and of its checkpoint.
    const NAME: &'static str;

    /// The events it reacts to.
    type Event: DomainEvent;

    /// What it sends; a [`CommandBus`] delivers it.
    type Command: Send + 'static;

    /// The instance an event belongs to.
    fn route(header: &EventHeader, event: &Self::Event) -> Route;

    /// Moves the instance on with an event; returns the commands to send, in order.
    /// May await (ask a price service, look up a customer); an error counts as a failed
    /// attempt, as a failed command does: the event is tried again, then parked.
    fn handle(
        &mut self,
        header: &EventHeader,
        event: Self::Event,
    ) -> impl Future<Output = Result<Vec<Self::Command>, HandlerError>> + Send;

    /// Whether the instance is finished: later events for it are ignored.
    fn is_done(&self) -> bool {
        false
    }

    /// The instance's pending deadlines, by name, from its state: a deadline is
    /// scheduled by keeping it in the state and cancelled by taking it out. Each
    /// (name, time) fires once, by whichever worker runs the manager, also when it
    /// came due while no worker ran.
    fn deadlines(&self) -> Vec<(String, DateTime<Utc>)> {
        Vec::new()
    }

    /// A deadline came due; returns the commands to send, in order.
    fn on_deadline(
        &mut self,
        name: &str,
        due: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Self::Command>, HandlerError>> + Send {
        let _ = (name, due);
        std::future::ready(Ok(Vec::new()))
    }
}

/// The state an event is handled on, from its route and the instance as stored
/// (`None`, or its state and whether it is done); when the event is not handled (no
/// instance to continue, or a finished one), the stored instance back.
pub(crate) fn state_to_handle<P: ProcessManager>(
    starts: bool,
    stored: Option<(P, bool)>,
) -> Result<P, Option<(P, bool)>> {
    match stored {
        None if starts => Ok(P::default()),
        Some((state, false)) => Ok(state),
        not_handled => Err(not_handled),
    }
}

/// Delivers a process manager's commands, each with the options that make it
/// idempotent (its command id) and traceable (correlation and causation).
pub trait CommandBus<C>: Send + Sync + 'static {
    /// Sends one command; an error stops the manager at this event, to be retried.
    fn send(
        &self,
        command: C,
        options: ExecuteOptions,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}
