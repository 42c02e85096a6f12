//! The projection's contract and the catch-up target that runs it.

use std::future::Future;
use std::sync::Arc;

use cqrs_core::runner::{CatchUpTarget, ProjectionError};
use cqrs_core::{DomainEvent, EventHeader, HandlerError, RecordedEvent, StoreError};
use sqlx::{Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

/// A read model kept as tables in a database of its own. Its statements and its
/// handler are plain SQL for that database.
pub trait TableProjection<DB: Database>: Send + Sync + 'static {
    /// The stable name: its checkpoint's key, and its lease.
    const NAME: &'static str;

    /// The events it reads (every variant; handle the ones it needs).
    type Event: DomainEvent;

    /// Creates its tables and indexes; run before its first batch in each process,
    /// so they must be idempotent (`CREATE TABLE IF NOT EXISTS ...`).
    const SCHEMA: &'static [&'static str];

    /// Empties its tables, for a rebuild (`DELETE FROM ...`).
    const CLEAR: &'static [&'static str];

    /// Writes one event's effect, in the transaction of its batch.
    fn apply(
        &self,
        db: &mut DB::Connection,
        header: &EventHeader,
        event: Self::Event,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Writes a batch's effects (in log order), in one transaction with the
    /// checkpoint. By default [`apply`](Self::apply) per event; override it to
    /// write fewer statements, such as one upsert per row a batch touches instead
    /// of one per event. An error fails the batch as a whole, naming the batch's
    /// first event.
    fn apply_batch(
        &self,
        db: &mut DB::Connection,
        events: Vec<(EventHeader, Self::Event)>,
    ) -> impl Future<Output = Result<(), BatchError>> + Send {
        async move {
            for (header, event) in events {
                if let Err(source) = self.apply(db, &header, event).await {
                    return Err(BatchError { header, source });
                }
            }
            Ok(())
        }
    }
}

/// Why a batch failed: the event it failed at (or the batch's first, when a
/// handler cannot tell), and the handler's error.
#[derive(Debug)]
pub struct BatchError {
    /// The event.
    pub header: EventHeader,
    /// What the handler reported.
    pub source: HandlerError,
}

/// Runs a [`TableProjection`] against a read database: each batch of events and the
/// checkpoint commit in one transaction there.
pub struct TableTarget<P, DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) projection: Arc<P>,
    /// The schema was created in this process.
    ready: bool,
    /// The checkpoint as this worker last read or wrote it (`None`: no row, or not
    /// read yet). A batch moves the checkpoint only from here.
    saved: Option<i64>,
}

impl<P, DB> TableTarget<P, DB>
where
    P: TableProjection<DB>,
    DB: Database,
{
    /// The projection over the read database behind `pool`.
    pub fn new(pool: Pool<DB>, projection: P) -> Self {
        TableTarget::sharing(pool, Arc::new(projection))
    }

    pub(crate) fn sharing(pool: Pool<DB>, projection: Arc<P>) -> Self {
        TableTarget {
            pool,
            projection,
            ready: false,
            saved: None,
        }
    }

    /// The read database.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

pub(crate) const CHECKPOINTS: &str =
    "CREATE TABLE IF NOT EXISTS cqrs_checkpoints (name TEXT PRIMARY KEY, position BIGINT NOT NULL)";
const SELECT_CHECKPOINT: &str = "SELECT position FROM cqrs_checkpoints WHERE name = $1";
pub(crate) const SAVE_CHECKPOINT: &str =
    "INSERT INTO cqrs_checkpoints (name, position) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET position = excluded.position";
const DELETE_CHECKPOINT: &str = "DELETE FROM cqrs_checkpoints WHERE name = $1";
/// Moves the checkpoint only from where this worker left it.
const MOVE_CHECKPOINT: &str = "UPDATE cqrs_checkpoints SET position = $2 WHERE name = $1 AND position = $3 RETURNING position";
const FIRST_CHECKPOINT: &str = "INSERT INTO cqrs_checkpoints (name, position) VALUES ($1, $2)
    ON CONFLICT (name) DO NOTHING RETURNING position";

/// A position as the read database stores it (`BIGINT`).
pub(crate) fn stored_position(position: u64) -> Result<i64, ProjectionError> {
    i64::try_from(position).map_err(|_| {
        ProjectionError::Store(StoreError::Corrupt {
            position,
            reason: "a position beyond i64".into(),
        })
    })
}

pub(crate) fn failed(doing: &str, error: sqlx::Error) -> ProjectionError {
    let transient = matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
    );
    let operation = format!("{doing} in the read database");
    ProjectionError::Store(if transient {
        StoreError::unavailable(operation, error)
    } else {
        StoreError::backend(operation, error)
    })
}

impl<P, DB> CatchUpTarget for TableTarget<P, DB>
where
    P: TableProjection<DB>,
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    fn name(&self) -> &str {
        P::NAME
    }

    fn event_names(&self) -> Option<Vec<String>> {
        Some(P::Event::event_names().map(str::to_owned).collect())
    }

    async fn checkpoint(&mut self) -> Result<u64, ProjectionError> {
        if !self.ready {
            let mut tx = self.pool.begin().await.map_err(|e| failed("begin", e))?;
            for statement in P::SCHEMA.iter().copied().chain([CHECKPOINTS]) {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| failed(&format!("create the tables of `{}`", P::NAME), e))?;
            }
            tx.commit().await.map_err(|e| failed("commit", e))?;
            self.ready = true;
        }
        let position: Option<(i64,)> = sqlx::query_as(SELECT_CHECKPOINT)
            .bind(P::NAME)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| failed("read the checkpoint", e))?;
        self.saved = position.map(|(p,)| p);
        Ok(position.map_or(0, |(p,)| u64::try_from(p).unwrap_or(0)))
    }

    async fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> Result<(), ProjectionError> {
        let decoded = events
            .into_iter()
            .map(|RecordedEvent { header, payload }| {
                let event = header
                    .decode_payload::<P::Event>(&payload)
                    .map_err(ProjectionError::Decode)?;
                Ok((header, event))
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        let position = stored_position(up_to)?;
        let mut tx = self.pool.begin().await.map_err(|e| failed("begin", e))?;
        // The checkpoint first: it is the batch's lock (PostgreSQL's row lock,
        // SQLite's write lock), taken in the same order as a swap takes it, and it
        // moves only from where this worker left it.
        let moved: Option<(i64,)> = match self.saved {
            Some(from) => sqlx::query_as(MOVE_CHECKPOINT)
                .bind(P::NAME)
                .bind(position)
                .bind(from),
            None => sqlx::query_as(FIRST_CHECKPOINT)
                .bind(P::NAME)
                .bind(position),
        }
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| failed("save the checkpoint", e))?;
        if moved.is_none() {
            let expected = self.saved.map_or(0, |p| u64::try_from(p).unwrap_or(0));
            self.saved = None;
            return Err(ProjectionError::CheckpointMoved {
                projection: P::NAME.to_owned(),
                expected,
                up_to,
            });
        }
        if let Err(BatchError { header, source }) =
            self.projection.apply_batch(&mut tx, decoded).await
        {
            return Err(ProjectionError::Handler {
                projection: P::NAME.to_owned(),
                position: header.position,
                stream_id: header.stream_id.to_string(),
                event_name: header.event_name.to_string(),
                source,
            });
        }
        tx.commit().await.map_err(|e| failed("commit a batch", e))?;
        self.saved = Some(position);
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), ProjectionError> {
        self.checkpoint().await?;
        let mut tx = self.pool.begin().await.map_err(|e| failed("begin", e))?;
        for statement in P::CLEAR {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(|e| failed(&format!("empty the tables of `{}`", P::NAME), e))?;
        }
        sqlx::query(DELETE_CHECKPOINT)
            .bind(P::NAME)
            .execute(&mut *tx)
            .await
            .map_err(|e| failed("delete the checkpoint", e))?;
        tx.commit()
            .await
            .map_err(|e| failed("commit the reset", e))?;
        self.saved = None;
        Ok(())
    }
}
