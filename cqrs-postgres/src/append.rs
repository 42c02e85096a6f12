//! The write transaction the shared append runs in, and the one statement that
//! writes a whole group of appends without inline views.

use chrono::{DateTime, Utc};
use cqrs_core::inline::StoredDocument;
use cqrs_core::store::kit::{
    AppendRequest, Clash, ReadTx, Savepoint, Transactional, WriteTx, stored_number,
};
use cqrs_core::{AppendResult, NewEvent, ReadAll, RecordedEvent, StoreError, StoredId};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use uuid::Uuid;

use crate::columns::{self, EventColumns};
use crate::error::{backend, is_duplicate_event_id};
use crate::{group_statement, read, side_tables};

/// The store's side of the kit's group committer (`cqrs_core::store::kit`): the
/// pool to read and write through. Applications never name it.
#[derive(Clone)]
pub struct PgWriter {
    pub(crate) pool: PgPool,
}

/// A connection inside a transaction, driven with plain `BEGIN`/`COMMIT`: one that
/// did not end cleanly is closed instead of going back to the pool.
pub struct PgTx {
    conn: PgConn,
    open: bool,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if self.open {
            self.conn.0.close_on_drop();
        }
    }
}

/// A pooled connection the kit reads through.
pub struct PgConn(PoolConnection<Postgres>);

impl Transactional for PgWriter {
    type Tx = PgTx;

    async fn reader(&self) -> Result<PgConn, StoreError> {
        let conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| backend("take a connection to read", e))?;
        Ok(PgConn(conn))
    }

    async fn begin(&self) -> Result<PgTx, StoreError> {
        let mut conn = self.reader().await?;
        sqlx::query("BEGIN")
            .execute(&mut *conn.0)
            .await
            .map_err(|e| backend("begin the append", e))?;
        Ok(PgTx { conn, open: true })
    }

    async fn commit(&self, mut tx: PgTx) -> Result<(), StoreError> {
        match sqlx::query("COMMIT").execute(&mut *tx.conn.0).await {
            Ok(_) => {
                tx.open = false;
                Ok(())
            }
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *tx.conn.0).await;
                Err(backend("commit the appends", error))
            }
        }
    }

    async fn write_group(&self, group: &[&AppendRequest]) -> Option<Vec<Option<AppendResult>>> {
        group_statement::write(&self.pool, group).await
    }
}

/// Checks and moves the stream's version, takes positions from the log head (whose
/// row lock orders appends until this transaction ends) and inserts the events, in
/// one statement; no row when the stream is no longer at `$8`.
const INSERT: &str = "
WITH stream AS (
    INSERT INTO cqrs_streams (stream_id, version) VALUES ($1, $8 + $7)
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
        WHERE cqrs_streams.version = $8
    RETURNING version
),
head AS (
    UPDATE cqrs_log_head SET position = cqrs_log_head.position + $7 FROM stream
    RETURNING cqrs_log_head.position AS last
)
INSERT INTO cqrs_events
    (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata,
     recorded_at)
SELECT head.last - $7 + e.ord, $1, $8 + e.ord, e.id, e.name, e.ver, e.payload::json, e.meta::json, $9
FROM stream, head,
     unnest($2::uuid[], $3::text[], $4::int8[], $5::text[], $6::text[])
         WITH ORDINALITY AS e(id, name, ver, payload, meta, ord)
RETURNING position";

impl ReadTx for PgConn {
    async fn stream_version(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        read::stream_version(&mut *self.0, stream_id).await
    }

    async fn locate(&mut self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        read::locate(&mut *self.0, event_ids).await
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
        read::read_all(&mut *self.0, query).await
    }

    async fn head_position(&mut self) -> Result<u64, StoreError> {
        read::head_position(&mut *self.0).await
    }

    async fn load_document(
        &mut self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        side_tables::load_document(&mut *self.0, view, key).await
    }
}

impl WriteTx for PgTx {
    type Reads = PgConn;

    fn reads(&mut self) -> &mut PgConn {
        &mut self.conn
    }

    async fn insert(
        &mut self,
        stream_id: &str,
        version: u64,
        events: &[NewEvent],
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Vec<u64>, Clash>, StoreError> {
        let metadata = columns::encode_metadata(stream_id, events)?;
        let mut columns = EventColumns::default();
        columns.push(events, &metadata);
        let rows: Result<Vec<(i64,)>, sqlx::Error> = sqlx::query_as(INSERT)
            .bind(stream_id)
            .bind(&columns.ids)
            .bind(&columns.names)
            .bind(&columns.versions)
            .bind(&columns.payloads)
            .bind(&columns.metadata)
            .bind(read::sql_int(events.len() as u64, "event count")?)
            .bind(read::sql_int(version, "stream version")?)
            .bind(recorded_at)
            .fetch_all(&mut *self.conn.0)
            .await;
        match rows {
            Ok(rows) if rows.is_empty() => Ok(Err(Clash::StreamMoved)),
            Ok(rows) => {
                let mut positions = rows
                    .into_iter()
                    .map(|(p,)| stored_number(p, "position"))
                    .collect::<Result<Vec<u64>, _>>()?;
                positions.sort_unstable();
                Ok(Ok(positions))
            }
            Err(error) if is_duplicate_event_id(&error) => Ok(Err(Clash::EventId)),
            Err(error) => Err(backend(format!("append to stream `{stream_id}`"), error)),
        }
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
