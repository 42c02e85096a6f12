//! Read models as tables you own, in a database of their own: the read side of
//! CQRS on its own storage. A [`TableProjection`] writes each event's effect with
//! ordinary SQL (through `sqlx`, on SQLite or PostgreSQL), one `async` method per
//! handled variant with `#[derive(TableProjection)]` (or the trait by hand, to
//! write a whole batch at once with `apply_batch`); a [`TableTarget`] runs it
//! under a [`ProjectionRunner`](cqrs_core::runner::ProjectionRunner) that follows the
//! event store's log, and saves the projection's checkpoint in the same transaction
//! as the batch's rows, in the read database (table `cqrs_checkpoints`). So each
//! event's effect lands exactly once, whatever crashes where: a batch commits with
//! its checkpoint or not at all.
//!
//! Reporting tools query the tables as they are; the event store's database never
//! serves these reads. Several workers can run a projection with one active
//! (`run_exclusive`, leases from the event store); `rebuild` empties the tables (the
//! projection's [`CLEAR`](TableProjection::CLEAR) statements) and replays the log.
//! [`TableTarget::rebuild_in_shadow`] rebuilds beside the live tables instead (in a
//! [`ShadowTables`] place: a SQLite file or a PostgreSQL schema of its own) and swaps
//! the result in with one transaction, so readers never see a half-built read model
//! and the tables' columns may change. A batch moves the checkpoint only from where
//! its worker left it, so a worker that raced a swap or another worker rolls back.
//!
//! ```
//! use cqrs_core::runner::ProjectionRunner;
//! use cqrs_core::{DomainEvent, EventHeader, EventStore, ExpectedVersion, InMemoryEventStore, Metadata, NewEvent};
//! use cqrs_sql::{TableProjection, TableTarget};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize, DomainEvent)]
//! enum ShelfEvent {
//!     Stocked { sku: String, units: u32 },
//!     Sold { sku: String, units: u32 },
//! }
//!
//! const SCHEMA: &[&str] =
//!     &["CREATE TABLE IF NOT EXISTS units (sku TEXT PRIMARY KEY, units BIGINT NOT NULL)"];
//! const CLEAR: &[&str] = &["DELETE FROM units"];
//!
//! /// Units per product, as a table a report can read.
//! #[derive(TableProjection)]
//! #[table(db = sqlx::Sqlite, event = ShelfEvent, handles(Stocked, Sold), schema = SCHEMA, clear = CLEAR)]
//! struct Units;
//!
//! impl Units {
//!     async fn on_stocked(
//!         &self,
//!         db: &mut sqlx::SqliteConnection,
//!         _: &EventHeader,
//!         sku: String,
//!         units: u32,
//!     ) -> Result<(), sqlx::Error> {
//!         add(db, sku, i64::from(units)).await
//!     }
//!
//!     async fn on_sold(
//!         &self,
//!         db: &mut sqlx::SqliteConnection,
//!         _: &EventHeader,
//!         sku: String,
//!         units: u32,
//!     ) -> Result<(), sqlx::Error> {
//!         add(db, sku, -i64::from(units)).await
//!     }
//! }
//!
//! async fn add(db: &mut sqlx::SqliteConnection, sku: String, units: i64) -> Result<(), sqlx::Error> {
//!     sqlx::query(
//!         "INSERT INTO units (sku, units) VALUES ($1, $2)
//!          ON CONFLICT (sku) DO UPDATE SET units = units.units + excluded.units",
//!     )
//!     .bind(sku)
//!     .bind(units)
//!     .execute(db)
//!     .await?;
//!     Ok(())
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = InMemoryEventStore::new();
//! for event in [
//!     ShelfEvent::Stocked { sku: "apple".into(), units: 5 },
//!     ShelfEvent::Sold { sku: "apple".into(), units: 2 },
//! ] {
//!     let event = NewEvent::from_event(&event, Metadata::default())?;
//!     store.append("shelf-1", ExpectedVersion::Any, vec![event]).await?;
//! }
//!
//! // One connection: each connection to `sqlite::memory:` is a database of its own.
//! let read_db = sqlx::sqlite::SqlitePoolOptions::new()
//!     .max_connections(1)
//!     .connect("sqlite::memory:")
//!     .await?;
//! let mut runner = ProjectionRunner::new(store, TableTarget::new(read_db.clone(), Units));
//! runner.catch_up().await?;
//! let units: i64 = sqlx::query_scalar("SELECT units FROM units WHERE sku = 'apple'")
//!     .fetch_one(&read_db)
//!     .await?;
//! assert_eq!(units, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod shadow;
mod target;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use shadow::ShadowTables;
pub use target::{BatchError, TableProjection, TableTarget};

/// `#[derive(TableProjection)]`: `#[table(db = sqlx::Sqlite, event = E, handles(A, B = method),
/// schema = SCHEMA, clear = CLEAR)]`, each handled variant calling
/// `async fn on_<variant>(&self, db: &mut <connection>, header: &EventHeader, <fields>)`.
/// See the crate docs for an example.
pub use cqrs_derive::TableProjection;
