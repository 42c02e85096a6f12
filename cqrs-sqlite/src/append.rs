//! The write transaction the shared append runs in: SQLite's write lock
//! (`BEGIN IMMEDIATE`) on one pooled connection, and the statements of an append.

use chrono::{DateTime, Utc};
use cqrs_core::inline::StoredDocument;
use cqrs_core::store::kit::{Clash, ReadTx, Savepoint, Transactional, WriteTx, publish_head};
use cqrs_core::{
    ListStreams, NewEvent, ReadAll, RecordedEvent, StoreError, StoredId, StreamSummary,
};
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{backend, is_duplicate_event_id};
use crate::{read, side_tables};

/// Rows per `INSERT` statement: 8 parameters each, below SQLite's parameter limit.
const ROWS_PER_INSERT: usize = 500;

/// The store's side of the kit's group committer (`cqrs_core::store::kit`): the
/// pool to read and write through and the head to move. Applications never name it.
#[derive(Clone)]
pub struct SqliteWriter {
    pub(crate) pool: SqlitePool,
    pub(crate) head: std::sync::Arc<watch::Sender<u64>>,
}

/// A connection inside `BEGIN IMMEDIATE`.
///
/// The transaction is driven with plain statements, not sqlx's `Transaction`: when
/// SQLite ends a transaction by itself (a full disk rolls it back), sqlx's own
/// bookkeeping would keep the connection "inside a transaction" forever. A
/// transaction that did not end cleanly closes its connection instead of returning
/// it to the pool, and SQLite rolls back whatever it held.
pub struct SqliteTx {
    conn: SqliteConn,
    open: bool,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            self.conn.0.close_on_drop();
        }
    }
}

/// A pooled connection the kit reads through.
pub struct SqliteConn(PoolConnection<Sqlite>);

impl Transactional for SqliteWriter {
    type Tx = SqliteTx;

    async fn reader(&self) -> Result<SqliteConn, StoreError> {
        let conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| backend("take a connection to read", e))?;
        Ok(SqliteConn(conn))
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        let mut conn = self.reader().await?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn.0)
            .await
            .map_err(|e| backend("take the write lock to append", e))?;
        Ok(SqliteTx { conn, open: true })
    }

    async fn commit(&self, mut tx: SqliteTx) -> Result<(), StoreError> {
        match sqlx::query("COMMIT").execute(&mut *tx.conn.0).await {
            Ok(_) => {
                tx.open = false;
                Ok(())
            }
            Err(error) => {
                // SQLite may have rolled back already; if not, this does. Either way
                // the connection is closed when `tx` drops.
                let _ = sqlx::query("ROLLBACK").execute(&mut *tx.conn.0).await;
                Err(backend("commit the appends", error))
            }
        }
    }

    fn committed(&self, last_position: u64) {
        publish_head(&self.head, last_position);
    }
}

impl ReadTx for SqliteConn {
    async fn stream_version(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        read::stream_version(&mut *self.0, stream_id).await
    }

    async fn locate(&mut self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        read::locate(&mut self.0, event_ids).await
    }

    async fn read_stream(
        &mut self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read::read_stream(&mut *self.0, stream_id, from_version, max_count).await
    }

    async fn read_all(&mut self, query: &ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        read::read_all(&mut self.0, query).await
    }

    async fn head_position(&mut self) -> Result<u64, StoreError> {
        read::head_position(&mut *self.0).await
    }

    async fn list_streams(
        &mut self,
        query: &ListStreams,
    ) -> Result<Vec<StreamSummary>, StoreError> {
        read::list_streams(&mut *self.0, query).await
    }

    async fn load_document(
        &mut self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        side_tables::load_document(&mut *self.0, view, key).await
    }
}

impl WriteTx for SqliteTx {
    type Reads = SqliteConn;

    fn reads(&mut self) -> &mut SqliteConn {
        &mut self.conn
    }

    async fn insert(
        &mut self,
        stream_id: &str,
        version: u64,
        events: &[NewEvent],
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Vec<u64>, Clash>, StoreError> {
        let operation = || format!("append to stream `{stream_id}`");
        let positions =
            match insert_events(&mut self.conn.0, stream_id, version, events, recorded_at).await {
                Ok(positions) => positions,
                Err(error) if is_duplicate_event_id(&error) => return Ok(Err(Clash::EventId)),
                Err(error) => return Err(backend(operation(), error)),
            };
        let last = positions.len() as u64 + version;
        sqlx::query(
            "INSERT INTO cqrs_streams (stream_id, version) VALUES (?1, ?2)
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
        )
        .bind(stream_id)
        .bind(read::sql_int(last, "stream version")?)
        .execute(&mut *self.conn.0)
        .await
        .map_err(|e| backend(operation(), e))?;
        Ok(Ok(positions))
    }

    async fn save_document(
        &mut self,
        view: &str,
        key: &str,
        document: &StoredDocument,
    ) -> Result<(), StoreError> {
        side_tables::save_document(&mut *self.conn.0, view, key, document).await
    }

    async fn delete_documents(&mut self, view: &str) -> Result<(), StoreError> {
        side_tables::delete_documents(&mut *self.conn.0, view).await
    }

    async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError> {
        sqlx::query(step.sql())
            .execute(&mut *self.conn.0)
            .await
            .map_err(|e| backend(step.sql(), e))?;
        Ok(())
    }
}

async fn insert_events(
    conn: &mut sqlx::SqliteConnection,
    stream_id: &str,
    version: u64,
    events: &[NewEvent],
    recorded_at: DateTime<Utc>,
) -> Result<Vec<u64>, sqlx::Error> {
    let mut positions = Vec::with_capacity(events.len());
    let mut next_version = version;
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO cqrs_events (stream_id, stream_version, event_id, event_name, event_version, \
             payload, metadata, recorded_at) ",
        );
        let mut rows = Vec::with_capacity(chunk.len());
        for event in chunk {
            next_version += 1;
            let metadata = serde_json::to_string(&event.metadata)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            let stream_version =
                i64::try_from(next_version).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            rows.push((event, stream_version, metadata));
        }
        insert.push_values(rows, |mut row, (event, stream_version, metadata)| {
            row.push_bind(stream_id)
                .push_bind(stream_version)
                .push_bind(event.event_id.to_string())
                .push_bind(event.event_name.as_str())
                .push_bind(i64::from(event.event_version))
                .push_bind(event.payload.as_str())
                .push_bind(metadata)
                .push_bind(recorded_at);
        });
        insert.push(" RETURNING position");
        let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&mut *conn).await?;
        for (position,) in rows {
            positions.push(u64::try_from(position).map_err(|e| sqlx::Error::Decode(Box::new(e)))?);
        }
    }
    positions.sort_unstable();
    Ok(positions)
}
