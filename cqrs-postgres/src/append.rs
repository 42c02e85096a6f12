//! The write transaction the shared append runs in, and the one statement that
//! writes a whole group of appends without inline views.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_core::inline::StoredDocument;
use cqrs_core::store::kit::{
    AppendRequest, Clash, ReadTx, Savepoint, Transactional, WriteTx, stored_number,
};
use cqrs_core::{
    AppendResult, ListStreams, NewEvent, ReadAll, RecordedEvent, StoreError, StoredId,
    StreamSummary,
};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use uuid::Uuid;

use crate::columns::{self, EventColumns};
use crate::error::{backend, is_duplicate_event_id};
use crate::fence::Fence;
use crate::notify::Notifier;
use crate::{group_statement, read, side_tables};

/// The store's side of the kit's group committer (`cqrs_core::store::kit`): the
/// pool to read and write through, and the readers' fence. Applications never name
/// it.
#[derive(Clone)]
pub struct PgWriter {
    pub(crate) pool: PgPool,
    /// `None` on a read-only replica, which cannot take the transaction ids the
    /// fence needs: there, readers see what the replica has replayed.
    pub(crate) fence: Option<Arc<Fence>>,
    /// Tells the `LISTEN` channel of each group's last position (none on a replica).
    pub(crate) notifier: Option<Arc<Notifier>>,
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
            self.conn.conn.close_on_drop();
        }
    }
}

/// A pooled connection the kit reads through; reads of the log stop at the fence.
pub struct PgConn {
    conn: PoolConnection<Postgres>,
    fence: Option<Arc<Fence>>,
}

impl Transactional for PgWriter {
    type Tx = PgTx;

    async fn reader(&self) -> Result<PgConn, StoreError> {
        let conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| backend("take a connection to read", e))?;
        Ok(PgConn {
            conn,
            fence: self.fence.clone(),
        })
    }

    async fn begin(&self) -> Result<PgTx, StoreError> {
        let mut conn = self.reader().await?;
        sqlx::query("BEGIN")
            .execute(&mut *conn.conn)
            .await
            .map_err(|e| backend("begin the append", e))?;
        Ok(PgTx { conn, open: true })
    }

    async fn commit(&self, mut tx: PgTx) -> Result<(), StoreError> {
        match sqlx::query("COMMIT").execute(&mut *tx.conn.conn).await {
            Ok(_) => {
                tx.open = false;
                Ok(())
            }
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *tx.conn.conn).await;
                Err(backend("commit the appends", error))
            }
        }
    }

    async fn write_group(&self, group: &[&AppendRequest]) -> Option<Vec<Option<AppendResult>>> {
        group_statement::write(&self.pool, group).await
    }

    /// Tells followers on every node, in a statement of its own after the commit: a
    /// transaction that notifies holds a database-wide lock through its commit's
    /// flush, which would make concurrent appends commit one at a time. A lost
    /// notification (the process dies first) is covered by the followers' polling.
    fn committed(&self, last_position: u64) {
        if let Some(notifier) = &self.notifier {
            Notifier::notify(notifier, &self.pool, last_position);
        }
    }

    /// Appends no longer wait for each other's commit (positions come from a
    /// sequence), so several groups commit at once and share the server's flushes;
    /// up to half the pool, leaving connections for reads.
    fn groups_in_flight(&self) -> usize {
        (self.pool.options().get_max_connections() as usize / 2).clamp(1, 4)
    }
}

/// Checks and moves the stream's version, takes positions from the sequence in the
/// events' order and inserts the events, in one statement; no row when the stream
/// is no longer at `$8`. The stream's row is written first, so the transaction has
/// its id before it takes a position (the readers' fence relies on it).
const INSERT: &str = "
WITH stream AS (
    INSERT INTO cqrs_streams (stream_id, version) VALUES ($1, $8 + $7)
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
        WHERE cqrs_streams.version = $8
    RETURNING version
)
INSERT INTO cqrs_events
    (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata,
     recorded_at)
SELECT nextval('cqrs_positions'), $1, $8 + e.ord, e.id, e.name, e.ver, e.payload::json,
       e.meta::json, $9
FROM (SELECT e.* FROM stream,
          unnest($2::uuid[], $3::text[], $4::int8[], $5::text[], $6::text[])
              WITH ORDINALITY AS e(id, name, ver, payload, meta, ord)
      ORDER BY e.ord) AS e
RETURNING position";

impl ReadTx for PgConn {
    async fn stream_version(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        read::stream_version(&mut *self.conn, stream_id).await
    }

    async fn locate(&mut self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        read::locate(&mut *self.conn, event_ids).await
    }

    async fn read_stream(
        &mut self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read::read_stream(&mut *self.conn, stream_id, from_version, max_count).await
    }

    /// Up to the fence as known; when that does not fill the page, the fence is
    /// moved first and the rest read up to it, so a read sees at least every event
    /// committed before it began.
    async fn read_all(&mut self, query: &ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        let Some(fence) = self.fence.clone() else {
            return read::read_all(&mut *self.conn, query, u64::MAX).await;
        };
        let known = fence.known();
        let mut events = if known >= query.from_position {
            read::read_all(&mut *self.conn, query, known).await?
        } else {
            Vec::new()
        };
        if events.len() >= query.max_count {
            return Ok(events);
        }
        let moved = fence.advance(&mut self.conn).await?;
        if moved > known {
            let rest = ReadAll {
                from_position: query.from_position.max(known.saturating_add(1)),
                max_count: query.max_count - events.len(),
                event_names: query.event_names.clone(),
            };
            events.extend(read::read_all(&mut *self.conn, &rest, moved).await?);
        }
        Ok(events)
    }

    async fn list_streams(
        &mut self,
        query: &ListStreams,
    ) -> Result<Vec<StreamSummary>, StoreError> {
        read::list_streams(&mut *self.conn, query).await
    }

    async fn head_position(&mut self) -> Result<u64, StoreError> {
        match &self.fence {
            None => read::last_visible_position(&mut *self.conn).await,
            Some(fence) => fence.advance(&mut self.conn).await,
        }
    }

    async fn load_document(
        &mut self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        side_tables::load_document(&mut *self.conn, view, key).await
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
            .fetch_all(&mut *self.conn.conn)
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
        side_tables::save_document(&mut *self.conn.conn, view, key, document).await
    }

    async fn delete_documents(&mut self, view: &str) -> Result<(), StoreError> {
        side_tables::delete_documents(&mut *self.conn.conn, view).await
    }

    async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError> {
        sqlx::query(step.sql())
            .execute(&mut *self.conn.conn)
            .await
            .map_err(|e| backend(step.sql(), e))?;
        Ok(())
    }
}
