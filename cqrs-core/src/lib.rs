//! Event sourcing and CQRS from derives.
//!
//! Write a command enum, an event enum and a state struct with plain methods that
//! decide and apply; the derives write the dispatch. The [`Repository`] loads an
//! aggregate from an [`EventStore`], decides a command and appends the events with
//! optimistic concurrency; [`Projection`]s build read models from the log, and
//! [`Query`]s read them.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use cqrs_core::{Aggregate, Command, DomainEvent, InMemoryEventStore, Repository};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
//! #[event(aggregate = Cart)]
//! enum CartEvent {
//!     #[event(name = "cart.item_added")]
//!     ItemAdded { sku: String, quantity: u32 },
//!     CheckedOut,
//! }
//!
//! #[derive(Debug, Clone, Command)]
//! #[command(aggregate = Cart)]
//! enum CartCommand {
//!     AddItem { sku: String, quantity: u32 },
//!     Checkout,
//! }
//!
//! #[derive(Debug, PartialEq, thiserror::Error)]
//! enum CartError {
//!     #[error("the cart is checked out")]
//!     CheckedOut,
//! }
//!
//! #[derive(Debug, Default, Aggregate)]
//! #[aggregate(name = "cart", event = CartEvent, error = CartError)]
//! struct Cart {
//!     items: BTreeMap<String, u32>,
//!     checked_out: bool,
//! }
//!
//! impl Cart {
//!     // Decide: one method per command variant, fields as arguments.
//!     fn add_item(&self, sku: String, quantity: u32) -> Result<Vec<CartEvent>, CartError> {
//!         if self.checked_out {
//!             return Err(CartError::CheckedOut);
//!         }
//!         Ok(vec![CartEvent::ItemAdded { sku, quantity }])
//!     }
//!
//!     fn checkout(&self) -> Result<Vec<CartEvent>, CartError> {
//!         if self.checked_out {
//!             return Err(CartError::CheckedOut);
//!         }
//!         Ok(vec![CartEvent::CheckedOut])
//!     }
//!
//!     // Apply: one method per event variant, `on_` + the variant in snake case.
//!     fn on_item_added(&mut self, sku: String, quantity: u32) {
//!         *self.items.entry(sku).or_default() += quantity;
//!     }
//!
//!     fn on_checked_out(&mut self) {
//!         self.checked_out = true;
//!     }
//! }
//!
//! # pollster::block_on(async {
//! let carts = Repository::<Cart, _>::new(InMemoryEventStore::new());
//! carts.execute("7", CartCommand::AddItem { sku: "apple".into(), quantity: 3 }).await?;
//! carts.execute("7", CartCommand::Checkout).await?;
//! let refused = carts.execute("7", CartCommand::Checkout).await.unwrap_err();
//! assert_eq!(refused.rejection(), Some(&CartError::CheckedOut));
//! let cart = carts.load("7").await?;
//! assert_eq!(cart.version, 2);
//! assert_eq!(cart.state.items["apple"], 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! See the README for every attribute key and its default.

// Lets the derives' `::cqrs_core::...` paths resolve inside this crate's own docs and tests.
#[allow(unused_extern_crates)]
extern crate self as cqrs_core;

mod aggregate;
mod command;
mod envelope;
mod event;
pub mod inline;
mod metadata;
mod payload;
pub mod process;
mod projection;
mod query;
mod repository;
pub mod runner;
pub mod store;
mod version;

#[doc(hidden)]
pub mod __private;
#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "derive")]
#[doc(hidden)]
pub mod doc_example;
pub mod testing;

pub use aggregate::Aggregate;
pub use command::{Command, Decision};
pub use envelope::{EventDecodeError, EventEnvelope, EventHeader, NewEvent, RecordedEvent};
pub use event::{DecodeError, DomainEvent, EncodeError, EventType};
pub use metadata::Metadata;
pub use payload::Payload;
pub use projection::{
    HandlerError, HandlerOutcome, Projection, ProjectionHandler, WithHeader, WithoutHeader,
};
pub use query::{Query, QueryHandler};
pub use repository::{AsOf, CommandError, ExecuteOptions, Loaded, Repository, RetryPolicy};
pub use store::{
    AppendResult, DocumentStore, EventStore, InMemoryEventStore, InlineViews, Leases, ListStreams,
    LogFollower, MemoryLease, ReadAll, Snapshot, SnapshotStore, Store, StoreError, StoredId,
    StoredView, StreamSummary, ViewStore,
};
pub use version::ExpectedVersion;

#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_aggregate.md")]
pub use cqrs_derive::Aggregate;
#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_command.md")]
pub use cqrs_derive::Command;
#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_domain_event.md")]
pub use cqrs_derive::DomainEvent;
#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_process_manager.md")]
pub use cqrs_derive::ProcessManager;
#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_projection.md")]
pub use cqrs_derive::Projection;
#[cfg(feature = "derive")]
#[doc = include_str!("../docs/derive_query.md")]
pub use cqrs_derive::Query;

pub use smol_str::SmolStr;
pub use uuid::Uuid;
