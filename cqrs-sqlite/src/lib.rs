//! The embedded event store for `cqrs-core`: a SQLite file, nothing else to run.
//!
//! ```no_run
//! use cqrs_core::{EventStore, ReadAll};
//! use cqrs_sqlite::SqliteEventStore;
//!
//! # async fn demo() -> Result<(), cqrs_core::StoreError> {
//! let store = SqliteEventStore::open("cart.db").await?;
//! let everything = store.read_all(ReadAll::from_position(1)).await?;
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - Durable on commit: WAL journal with `synchronous = FULL`.
//! - All events of one append commit in one transaction, after the expected-version
//!   check made under SQLite's write lock (`BEGIN IMMEDIATE`), so it cannot race.
//! - Global positions come from `AUTOINCREMENT`: never reused, and, with one writer
//!   at a time, assigned in commit order. A reader that has seen position `n` never
//!   later finds a new event below `n`.
//! - The schema is created and migrated on open; a database written by newer code
//!   is refused with [`StoreError::SchemaTooNew`](cqrs_core::StoreError::SchemaTooNew).
//!
//! Tables are prefixed `cqrs_`, so read models can live in the same file.

mod append;
mod error;
mod lease;
mod migrate;
mod read;
mod row;
mod side_tables;
mod store;

pub use append::{SqliteConn, SqliteTx, SqliteWriter};
pub use lease::FileLease;
pub use store::SqliteEventStore;
