//! For store authors: the store logic that is the same for every store, written once.
//!
//! Applications never need this module. A SQL store writes its dialect only:
//! [`ReadTx`] (its reads, on a connection or inside a transaction), [`WriteTx`] (one
//! open write transaction: insert, documents, savepoints) and [`Transactional`]
//! (a reader, begin, commit, and optionally one statement for a whole group). It
//! implements [`KitStore`] by handing out its [`GroupCommit`], and gets
//! `EventStore`, `InlineViews` and `DocumentStore` from here: [`GroupCommit`]
//! queues appends and commits every append waiting at the same moment in one
//! transaction, in a task of its own, and [`append_in`] performs each append the
//! same way on every store (the in-memory store runs it too, under its lock).
//! Migrations ([`pending_migrations`]), row checks ([`EventRow`]) and the contract
//! checks ([`check_append`]) are shared the same way.
//!
//! ```text
//! caller ──► GroupCommit::append ──► queue ──► committer task ──► Transactional::begin
//!                                                   │  for each queued append, in a savepoint:
//!                                                   │      append_in(tx): checks, version, ids,
//!                                                   │                     insert, inline views
//!                                                   └─► Transactional::commit ──► each caller's answer
//! ```

mod append;
mod checks;
mod follow;
mod group_commit;
mod idempotency;
mod inline;
mod migrate;
mod row;
mod store;
mod tx;

pub use append::{AppendRequest, append_in, commit_time};
pub use checks::check_append;
pub use follow::{publish_head, wait_past_head};
pub use group_commit::{GroupCommit, Transactional};
pub use idempotency::earlier_append;
pub use inline::InlineRegistry;
pub use migrate::{Migration, migration_failed, pending_migrations};
pub use row::{EventRow, corrupt_column, stored_number, stream_summaries};
pub use store::KitStore;
pub use tx::{Clash, ReadTx, Savepoint, WriteTx};
