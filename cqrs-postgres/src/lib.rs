//! The PostgreSQL event store for `cqrs-core`: for servers, and for several
//! application nodes writing the same store. A connection URL and nothing else.
//!
//! ```no_run
//! use cqrs_postgres::{PostgresEventStore, PostgresOptions};
//!
//! # async fn demo() -> Result<(), cqrs_core::StoreError> {
//! let store = PostgresEventStore::connect("postgres://postgres@127.0.0.1:5432/app").await?;
//! let other_tenant = PostgresOptions::new("postgres://postgres@127.0.0.1:5432/app")
//!     .schema("tenant_7")
//!     .max_connections(8)
//!     .connect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # How an append works
//!
//! One statement, one round trip. It moves the stream's row in `cqrs_streams` only if
//! the stream is at the expected version (the check and the write are the same
//! `UPDATE`/`INSERT ... ON CONFLICT`, so two writers with the same expectation cannot
//! both succeed: the second re-checks the row after the first commits and finds the
//! new version), takes positions from the one-row `cqrs_log_head` counter, and
//! inserts the events. Nothing is written when the expectation fails. Every event
//! id is unique, and a repeated append with the same ids returns the original result.
//!
//! # Payloads are `json`, not `JSONB`
//!
//! An event's payload travels as the JSON text the application encoded, and decodes
//! straight from that text into its variant. Payloads and metadata are stored as
//! `json` (migration 0007), which keeps that text as written (after checking it is
//! JSON); `JSONB` would have to rebuild the text from its tree on every read.
//! Measured with `psql` on this project's 2-core development machine, over 300,000
//! cart payloads:
//!
//! | | `JSONB` | `json` |
//! |---|---|---|
//! | insert | 1,323 ms | 1,204 ms |
//! | read every payload as text | 102-110 ms | 45 ms |
//! | ad-hoc `WHERE payload->>'sku' = ...` | 37 ms | 84 ms |
//!
//! Ad-hoc SQL over payloads keeps working with the same operators (`->`, `->>`, or
//! `payload::jsonb` for containment and GIN expression indexes), at about twice the
//! cost; the reads every application makes on every load and projection page get
//! twice as fast.
//!
//! # Why readers never miss an event that committed late
//!
//! With a sequence, positions are handed out when a row is inserted but become
//! visible when its transaction commits, and commits happen in any order: a reader
//! could see position 11 while 10 is still in flight, move its checkpoint past 10
//! and never see it. This store serialises appends instead: each append updates the
//! `cqrs_log_head` row, and PostgreSQL holds that row lock until the transaction
//! ends. So the append holding position 10 has committed (and is visible) before any
//! append can take position 11. Positions are therefore gapless and commit in order,
//! and reading "everything after my checkpoint" is always safe; no reader needs
//! snapshots, gap detection or timeouts.
//!
//! The cost is that appends commit one after another, so the store groups them:
//! the appends waiting while a group commits go together in the next one, in one
//! statement and one transaction, sharing one disk flush. Each keeps its own version
//! check (one append per stream per group; a stale one is left out and reported as
//! a conflict while the others commit), and if the group's statement fails as a
//! whole, or a group holds appends that update inline views, the group goes the
//! ordinary way instead: one transaction, each append in a savepoint of its own
//! (`cqrs_core::store::kit`), so one bad append fails alone and documents commit
//! with their events. The committer runs in a task of its own: a caller that gives
//! up never takes another caller's append down.
//! `cargo run --release -p cqrs-bench` measures the throughput. The alternatives
//! considered: a transaction-id fence (`pg_snapshot_xmin`) keeps writers parallel
//! but makes the read order (transaction id, position), so a position alone is no
//! longer a checkpoint; a gap-aware high-water mark needs a timeout to tell a
//! rolled-back gap from a slow one.
//!
//! # Notifications
//!
//! Every append notifies a channel named after the schema (see
//! [`PostgresEventStore::notification_channel`]) with the new head position, when it
//! commits, for followers of the log.
//!
//! # Limits
//!
//! `TEXT` and `JSONB` (documents, snapshots) cannot hold the character U+0000; an append holding it is
//! refused before it reaches the database (`StoreError::Unstorable`, the same on
//! every store), and nothing is appended. Schema names are at
//! most 63 bytes (PostgreSQL's identifier limit); a longer one is refused when the
//! store connects. Event versions are `BIGINT` (migration 0006), so every `u32`
//! round-trips.

mod append;
mod columns;
mod error;
mod follow;
mod group_statement;
mod lease;
mod migrate;
mod read;
mod row;
mod side_tables;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

pub use append::{PgConn, PgTx, PgWriter};
pub use lease::PgLease;
pub use store::{PostgresEventStore, PostgresOptions};
