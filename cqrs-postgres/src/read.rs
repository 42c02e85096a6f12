//! Reading streams, the log and event ids: the same statements serve the store's
//! pool and an open write transaction.

use chrono::{DateTime, Utc};
use cqrs_core::{ListStreams, ReadAll, RecordedEvent, StoreError, StoredId, StreamSummary};
use sqlx::{Executor, Postgres};
use uuid::Uuid;

use cqrs_core::store::kit::{stored_number, stream_summaries};

use crate::error::backend;
use crate::row;

pub(crate) async fn stream_version<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
    stream_id: &str,
) -> Result<u64, StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM cqrs_streams WHERE stream_id = $1")
            .bind(stream_id)
            .fetch_optional(executor)
            .await
            .map_err(|e| backend(format!("read the version of stream `{stream_id}`"), e))?;
    version.map_or(Ok(0), |v| stored_number(v, "version"))
}

/// The streams a query selects, in byte order of their ids (as every store).
pub(crate) async fn list_streams<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
    query: &ListStreams,
) -> Result<Vec<StreamSummary>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        r#"SELECT stream_id, version FROM cqrs_streams
           WHERE left(stream_id, length($1)) = $1
             AND ($2::text IS NULL OR stream_id COLLATE "C" > $2::text)
           ORDER BY stream_id COLLATE "C" LIMIT $3"#,
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

/// The highest position this connection sees, fence or not (a replica's head).
pub(crate) async fn last_visible_position<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
) -> Result<u64, StoreError> {
    let head: i64 = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM cqrs_events")
        .fetch_one(executor)
        .await
        .map_err(|e| backend("read the head position", e))?;
    stored_number(head, "position")
}

pub(crate) async fn read_stream<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
    stream_id: &str,
    from_version: u64,
    max_count: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {} FROM cqrs_events WHERE stream_id = $1 AND stream_version >= $2
         ORDER BY stream_version LIMIT $3",
        row::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(stream_id)
        .bind(sql_int(from_version, "stream version")?)
        .bind(limit(max_count))
        .fetch(executor);
    // A stream's page is usually a few events: grown as rows come, not sized for a
    // full page (a thousand events, 184 KB, reserved for each load).
    let expected = max_count.min(SHORT_PAGE);
    decode_as_they_come(rows, expected, || format!("read stream `{stream_id}`")).await
}

/// The whole log in position order up to `up_to` (the readers' fence), or only some
/// names: one index-ordered range per name, each stopped at the page size, then
/// merged, through a function (migration 0005 says why): `event_name = ANY(...)`
/// would make PostgreSQL collect and sort every matching event after the checkpoint
/// for every page.
pub(crate) async fn read_all<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
    query: &ReadAll,
    up_to: u64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let from = sql_int(query.from_position, "position")?;
    let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
    let what = || format!("read all from position {from}");
    match &query.event_names {
        None => {
            let sql = format!(
                "SELECT {} FROM cqrs_events WHERE position >= $1 AND position <= $3
                 ORDER BY position LIMIT $2",
                row::COLUMNS
            );
            let rows = sqlx::query(&sql)
                .bind(from)
                .bind(limit(query.max_count))
                .bind(up_to)
                .fetch(executor);
            decode_as_they_come(rows, query.max_count.min(FULL_PAGE), what).await
        }
        Some(names) => {
            let sql = format!(
                "SELECT {} FROM cqrs_read_named($3::text[], $1, $4, $2)",
                row::COLUMNS
            );
            let rows = sqlx::query(&sql)
                .bind(from)
                .bind(limit(query.max_count))
                .bind(names)
                .bind(up_to)
                .fetch(executor);
            decode_as_they_come(rows, query.max_count.min(FULL_PAGE), what).await
        }
    }
}

/// Rows reserved before a stream's first row arrives.
const SHORT_PAGE: usize = 16;
/// Rows reserved before the log's first row arrives: its pages are usually full.
const FULL_PAGE: usize = 1_024;

/// Decodes each row as it arrives, while the rest are still on their way; `expected`
/// rows are reserved first.
async fn decode_as_they_come<'r>(
    mut rows: futures_util::stream::BoxStream<'r, Result<sqlx::postgres::PgRow, sqlx::Error>>,
    expected: usize,
    what: impl Fn() -> String,
) -> Result<Vec<RecordedEvent>, StoreError> {
    use futures_util::TryStreamExt;
    let mut events = Vec::with_capacity(expected);
    while let Some(row) = rows.try_next().await.map_err(|e| backend(what(), e))? {
        events.push(row::decode(&row)?);
    }
    Ok(events)
}

/// Where each event id is stored, in the order asked.
pub(crate) async fn locate<'e, E: Executor<'e, Database = Postgres>>(
    executor: E,
    event_ids: &[Uuid],
) -> Result<Vec<Option<StoredId>>, StoreError> {
    let stored: Vec<(Uuid, String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT event_id, stream_id, stream_version, position, recorded_at
         FROM cqrs_events WHERE event_id = ANY($1)",
    )
    .bind(event_ids)
    .fetch_all(executor)
    .await
    .map_err(|e| backend(format!("look up {} event ids", event_ids.len()), e))?;
    event_ids
        .iter()
        .map(|id| {
            stored
                .iter()
                .find(|s| s.0 == *id)
                .map(|s| {
                    Ok(StoredId {
                        stream_id: s.1.clone(),
                        stream_version: stored_number(s.2, "stream_version")?,
                        position: stored_number(s.3, "position")?,
                        recorded_at: s.4,
                    })
                })
                .transpose()
        })
        .collect()
}

/// A count as SQL's `LIMIT`.
pub(crate) fn limit(max_count: usize) -> i64 {
    i64::try_from(max_count).unwrap_or(i64::MAX)
}

/// A version or position as PostgreSQL's `bigint`; past it is an error.
pub(crate) fn sql_int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|e| StoreError::backend(format!("store {what} {value}"), e))
}
