//! What a store supplies to the kit, in its dialect: its reads, and one open write
//! transaction.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::envelope::{NewEvent, RecordedEvent};
use crate::inline::StoredDocument;
use crate::store::{ListStreams, ReadAll, StoreError, StoredId, StreamSummary};

/// Why an insert did not happen; nothing of it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// One of the event ids is already stored.
    EventId,
    /// Another writer moved the stream after its version was read.
    StreamMoved,
}

/// The reads of a store, in its dialect: on a connection of its own, or inside an
/// open write transaction (then they see the transaction's own writes).
pub trait ReadTx: Send {
    /// The stream's version: `0` when it does not exist.
    fn stream_version(
        &mut self,
        stream_id: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Where each of these event ids is stored, in the order asked.
    fn locate(
        &mut self,
        event_ids: &[Uuid],
    ) -> impl Future<Output = Result<Vec<Option<StoredId>>, StoreError>> + Send;

    /// Up to `max_count` events of a stream from `from_version` on.
    fn read_stream(
        &mut self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// A page of the global log.
    fn read_all(
        &mut self,
        query: &ReadAll,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// The newest position every reader can see.
    fn head_position(&mut self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The streams the query selects, in id order ([`ListStreams::matches`]).
    fn list_streams(
        &mut self,
        query: &ListStreams,
    ) -> impl Future<Output = Result<Vec<StreamSummary>, StoreError>> + Send;

    /// An inline view's document of a stream.
    fn load_document(
        &mut self,
        view: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredDocument>, StoreError>> + Send;
}

/// One open write transaction of a store: the statements the shared append needs,
/// in the store's dialect. Everything runs inside the transaction and sees its own
/// writes.
pub trait WriteTx: Send {
    /// The reads, inside this transaction.
    type Reads: ReadTx;

    /// This transaction's reads.
    fn reads(&mut self) -> &mut Self::Reads;

    /// Inserts `events` at stream versions `version + 1 ..` and moves the stream to
    /// the last of them, provided it is still at `version`; returns the global
    /// positions handed out, in order. A clash leaves the transaction usable after
    /// [`Savepoint::RollBack`].
    fn insert(
        &mut self,
        stream_id: &str,
        version: u64,
        events: &[NewEvent],
        recorded_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Result<Vec<u64>, Clash>, StoreError>> + Send;

    /// Writes an inline view's document of a stream.
    fn save_document(
        &mut self,
        view: &str,
        key: &str,
        document: &StoredDocument,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes every document of a view (a rebuild writes them again).
    fn delete_documents(
        &mut self,
        view: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks, undoes to or forgets the point one append can be undone to; a SQL
    /// store runs [`Savepoint::sql`].
    fn savepoint(&mut self, step: Savepoint)
    -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The steps of the savepoint around each append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint {
    /// Marks the point the append can be undone to.
    Mark,
    /// Undoes everything since the mark (the mark stays).
    RollBack,
    /// Forgets the mark, keeping what was done since.
    Release,
}

impl Savepoint {
    /// The statement, in the SQL that SQLite and PostgreSQL both speak.
    ///
    /// ```
    /// use cqrs_core::store::kit::Savepoint;
    /// assert_eq!(Savepoint::RollBack.sql(), "ROLLBACK TO SAVEPOINT cqrs_append");
    /// ```
    pub fn sql(self) -> &'static str {
        match self {
            Savepoint::Mark => "SAVEPOINT cqrs_append",
            Savepoint::RollBack => "ROLLBACK TO SAVEPOINT cqrs_append",
            Savepoint::Release => "RELEASE SAVEPOINT cqrs_append",
        }
    }
}
