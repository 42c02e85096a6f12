//! Reading streams, the log and event ids: the same statements serve the store's
//! pool and an open write transaction.

use chrono::{DateTime, Utc};
use cqrs_core::{ListStreams, ReadAll, RecordedEvent, StoreError, StoredId, StreamSummary};
use sqlx::{Executor, Sqlite};
use uuid::Uuid;

use cqrs_core::store::kit::{stored_number, stream_summaries};

use crate::error::backend;
use crate::row;

pub(crate) async fn stream_version<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    stream_id: &str,
) -> Result<u64, StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM cqrs_streams WHERE stream_id = ?1")
            .bind(stream_id)
            .fetch_optional(executor)
            .await
            .map_err(|e| backend(format!("read the version of stream `{stream_id}`"), e))?;
    version.map_or(Ok(0), |v| stored_number(v, "version"))
}

pub(crate) async fn list_streams<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    query: &ListStreams,
) -> Result<Vec<StreamSummary>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT stream_id, version FROM cqrs_streams
         WHERE substr(stream_id, 1, length(?1)) = ?1 AND (?2 IS NULL OR stream_id > ?2)
         ORDER BY stream_id LIMIT ?3",
    )
    .bind(&query.prefix)
    .bind(query.after.as_deref())
    .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
    .fetch_all(executor)
    .await
    .map_err(|e| {
        backend(
            format!("list the streams starting with `{}`", query.prefix),
            e,
        )
    })?;
    stream_summaries(rows)
}

pub(crate) async fn head_position<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
) -> Result<u64, StoreError> {
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM cqrs_events")
        .fetch_one(executor)
        .await
        .map_err(|e| backend("read the head position", e))?;
    stored_number(head, "position")
}

pub(crate) async fn read_stream<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    stream_id: &str,
    from_version: u64,
    max_count: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {} FROM cqrs_events WHERE stream_id = ?1 AND stream_version >= ?2
         ORDER BY stream_version LIMIT ?3",
        row::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(stream_id)
        .bind(sql_int(from_version, "stream version")?)
        .bind(limit(max_count))
        .fetch_all(executor)
        .await
        .map_err(|e| backend(format!("read stream `{stream_id}`"), e))?;
    rows.iter().map(row::decode).collect()
}

/// The whole log in position order, or one index range per name, merged: each range
/// is read in position order from the `(event_name, position)` index, so a sparse
/// name costs what it returns.
pub(crate) async fn read_all(
    conn: &mut sqlx::SqliteConnection,
    query: &ReadAll,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let from = sql_int(query.from_position, "position")?;
    let Some(names) = &query.event_names else {
        let sql = format!(
            "SELECT {} FROM cqrs_events WHERE position >= ?1 ORDER BY position LIMIT ?2",
            row::COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(limit(query.max_count))
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| backend(format!("read all from position {from}"), e))?;
        return rows.iter().map(row::decode).collect();
    };
    let sql = format!(
        "SELECT {} FROM cqrs_events WHERE event_name = ?1 AND position >= ?2
         ORDER BY position LIMIT ?3",
        row::COLUMNS
    );
    let mut merged = Vec::new();
    for name in names {
        let rows = sqlx::query(&sql)
            .bind(name)
            .bind(from)
            .bind(limit(query.max_count))
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| backend(format!("read `{name}` events from position {from}"), e))?;
        for row in &rows {
            merged.push(row::decode(row)?);
        }
    }
    merged.sort_unstable_by_key(|e| e.header.position);
    merged.dedup_by_key(|e| e.header.position);
    merged.truncate(query.max_count);
    Ok(merged)
}

/// Where each event id is stored, on one connection (inside a transaction, it sees
/// the transaction's own appends).
pub(crate) async fn locate(
    conn: &mut sqlx::SqliteConnection,
    event_ids: &[Uuid],
) -> Result<Vec<Option<StoredId>>, StoreError> {
    let mut stored = Vec::with_capacity(event_ids.len());
    for event_id in event_ids {
        let found: Option<(String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT stream_id, stream_version, position, recorded_at FROM cqrs_events WHERE event_id = ?1",
        )
        .bind(event_id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| backend(format!("look up event id {event_id}"), e))?;
        stored.push(
            found
                .map(|(stream_id, version, position, recorded_at)| {
                    Ok::<_, StoreError>(StoredId {
                        stream_id,
                        stream_version: stored_number(version, "stream_version")?,
                        position: stored_number(position, "position")?,
                        recorded_at,
                    })
                })
                .transpose()?,
        );
    }
    Ok(stored)
}

/// A count as SQL's `LIMIT`.
pub(crate) fn limit(max_count: usize) -> i64 {
    i64::try_from(max_count).unwrap_or(i64::MAX)
}

/// A version or position as SQLite's 64-bit signed integer; past it is an error.
pub(crate) fn sql_int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|e| StoreError::backend(format!("store {what} {value}"), e))
}
