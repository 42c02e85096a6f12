//! Read models as tables you own, in a database of their own: the read side of
//! CQRS on its own storage. A [`TableProjection`] writes each event's effect with
//! ordinary SQL (through `sqlx`, on SQLite or PostgreSQL); a [`TableTarget`] runs it
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
//!
//! ```
//! use cqrs_core::runner::ProjectionRunner;
//! use cqrs_core::{DomainEvent, EventHeader, EventStore, ExpectedVersion, HandlerError, InMemoryEventStore, Metadata, NewEvent};
//! use cqrs_sql::{TableProjection, TableTarget};
//! use serde::{Deserialize, Serialize};
//! use sqlx::Sqlite;
//!
//! #[derive(Debug, Serialize, Deserialize, DomainEvent)]
//! enum ShelfEvent {
//!     Stocked { sku: String, units: u32 },
//! }
//!
//! /// Units per product, as a table a report can read.
//! struct Units;
//!
//! impl TableProjection<Sqlite> for Units {
//!     const NAME: &'static str = "units";
//!     type Event = ShelfEvent;
//!     const SCHEMA: &'static [&'static str] =
//!         &["CREATE TABLE IF NOT EXISTS units (sku TEXT PRIMARY KEY, units BIGINT NOT NULL)"];
//!     const CLEAR: &'static [&'static str] = &["DELETE FROM units"];
//!
//!     async fn apply(
//!         &self,
//!         db: &mut sqlx::SqliteConnection,
//!         _: &EventHeader,
//!         event: ShelfEvent,
//!     ) -> Result<(), HandlerError> {
//!         let ShelfEvent::Stocked { sku, units } = event;
//!         sqlx::query(
//!             "INSERT INTO units (sku, units) VALUES ($1, $2)
//!              ON CONFLICT (sku) DO UPDATE SET units = units.units + excluded.units",
//!         )
//!         .bind(sku)
//!         .bind(i64::from(units))
//!         .execute(db)
//!         .await?;
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = InMemoryEventStore::new();
//! let stocked = ShelfEvent::Stocked { sku: "apple".into(), units: 3 };
//! let event = NewEvent::from_event(&stocked, Metadata::default())?;
//! store.append("shelf-1", ExpectedVersion::Any, vec![event]).await?;
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

mod target;

pub use target::{BatchError, TableProjection, TableTarget};
