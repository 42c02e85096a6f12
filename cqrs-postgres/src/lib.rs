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
//! new version), takes positions from the `cqrs_positions` sequence in the events'
//! order, and inserts the events. Nothing is written when the expectation fails.
//! Every event id is unique, and a repeated append with the same ids returns the
//! original result. Positions increase with each append; an append that fails after
//! taking positions leaves them unused, so the log may have gaps.
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
//! Positions are handed out when a row is inserted but become visible when its
//! transaction commits, and transactions commit in any order: a reader could see
//! position 11 while 10 is still in flight, move its checkpoint past 10 and never see
//! it. So readers of the log (`read_all`, `head_position`, and through them every
//! projection and process manager) stop at a *fence*: a position at or below which
//! every event is visible or never will be. The fence comes from PostgreSQL's own
//! bookkeeping of running transactions, in two kinds of one-statement probe:
//!
//! 1. A probe sees the highest visible position `L`, and then takes a transaction id
//!    `X` of its own. An append still in flight with a position below `L` took its
//!    transaction id (its stream's row is written first) before that position, so
//!    before `L` was taken, committed and seen: its id is below `X`.
//! 2. A later probe whose snapshot shows no transaction below `X` still running
//!    proves that every such append has committed or rolled back: `L` is the fence.
//!
//! Appends therefore never wait for each other (only appends to the same stream
//! wait, on its row): the groups of one process commit several at once, and the
//! groups of several processes too, sharing the server's disk flushes. What it
//! costs: readers trail the newest commit by about one commit under load; a reader
//! takes one transaction id per new candidate (an idle log costs none); and a
//! transaction anywhere on the server that has written something and stays open
//! (an `idle in transaction` session) holds every follower back, not the writers,
//! until it ends: PostgreSQL's `idle_in_transaction_session_timeout` bounds that.
//! Positions are `cqrs_positions` values, so they may have gaps.
//!
//! The alternatives measured or considered: the previous design (migrations 1-7)
//! took positions from a one-row counter whose lock was held until commit, so
//! positions were gapless and commit order was position order, but every append
//! waited for the previous one's commit and flush; with 8 writers it reached 50% of
//! the machine's single-row `INSERT` rate, and a second process added nothing
//! (1.02-1.07x). Assigning positions after commit, in a sequencer, keeps gapless
//! positions but writes each event twice (or joins a position table on every read)
//! and makes every append wait for a second commit. Committing asynchronously and
//! waiting for the flush separately shortens the lock but lets readers see events a
//! server crash can still lose, and hand their positions out again. A gap-aware
//! high-water mark (skip a missing position after a timeout) can skip a slow commit
//! for good. The fence never skips: it waits.
//!
//! Groups are written by the kit's committer (`cqrs_core::store::kit`): the appends
//! waiting at one moment go together in one statement and one transaction, each
//! with its own version check (one append per stream in flight; a stale one is left
//! out and reported as a conflict while the others commit). If the group's statement
//! fails as a whole, or a group holds appends that update inline views, the group
//! goes the ordinary way instead: one transaction, each append in a savepoint of its
//! own, so one bad append fails alone and documents commit with their events. Up to
//! four groups (at most half the pool) commit at once. `cargo run --release -p
//! cqrs-bench` measures the throughput.
//!
//! A read-only replica ([`PostgresOptions::replica`]) cannot take transaction ids:
//! there, reads see what the replica has replayed, without a fence. Serve reads of
//! streams and documents from a replica; follow the log (projections) on the
//! primary.
//!
//! # Notifications
//!
//! After each group commits, the store notifies a channel named after the schema
//! (see [`PostgresEventStore::notification_channel`]) with the group's last position,
//! for followers of the log on every node. It does so in a statement of its own, not
//! in the append's transaction: a transaction that notifies takes a database-wide
//! lock at commit and holds it through its disk flush, so notifying appends commit
//! one at a time (measured: with the notification inside, one process and two
//! processes wrote at the same rate). A notification lost to a crash between the
//! commit and the notify is covered by the followers' polling.
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
mod fence;
mod follow;
mod group_statement;
mod lease;
mod migrate;
mod notify;
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
