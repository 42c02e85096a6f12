//! One statement for a whole group of appends without inline views: each stream's
//! version is checked and moved on its own, a request whose expectation fails is
//! simply not placed (the shared append then explains it), and positions are taken
//! from the sequence in queue order. One round trip, one transaction, one flush.

use chrono::{DateTime, Utc};
use cqrs_core::store::kit::{AppendRequest, commit_time};
use cqrs_core::{AppendResult, ExpectedVersion};
use sqlx::PgPool;

use crate::columns::{self, EventColumns};

/// Expected-version kinds as the statement reads them.
fn kind(expected: ExpectedVersion) -> (i32, i64) {
    match expected {
        ExpectedVersion::Any => (0, 0),
        ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => (1, 0),
        ExpectedVersion::StreamExists => (2, 0),
        ExpectedVersion::Exact(version) => (3, i64::try_from(version).unwrap_or(i64::MAX)),
    }
}

const GROUP_APPEND: &str = "
WITH req AS (
    SELECT * FROM unnest($1::text[], $2::int4[], $3::int8[], $4::int8[])
        WITH ORDINALITY AS r(stream_id, kind, exact, count, idx)
),
moved AS (
    UPDATE cqrs_streams s SET version = s.version + req.count
    FROM req
    WHERE s.stream_id = req.stream_id
      AND (req.kind IN (0, 2) OR (req.kind = 3 AND s.version = req.exact))
    RETURNING req.idx, s.version
),
created AS (
    INSERT INTO cqrs_streams (stream_id, version)
    SELECT stream_id, count FROM req WHERE kind IN (0, 1)
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id, version
),
placed AS (
    SELECT req.idx, req.stream_id, req.count, ok.version
    FROM (SELECT idx, version FROM moved
          UNION ALL
          SELECT req.idx, created.version FROM created JOIN req USING (stream_id)) AS ok
    JOIN req USING (idx)
),
events AS (
    SELECT placed.stream_id, placed.version - placed.count + e.ord AS stream_version,
           e.id, e.name, e.ver, e.payload, e.meta
    FROM placed
    JOIN unnest($5::int8[], $6::int8[], $7::uuid[], $8::text[], $9::int8[], $10::text[], $11::text[])
        AS e(req, ord, id, name, ver, payload, meta) ON e.req = placed.idx
    ORDER BY placed.idx, e.ord
)
INSERT INTO cqrs_events
    (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata,
     recorded_at)
SELECT nextval('cqrs_positions'), stream_id, stream_version, id, name, ver, payload::json,
       meta::json, $12
FROM events
RETURNING stream_id, position, stream_version";

/// Writes the group; `None` when the statement failed as a whole (a repeated event
/// id, a payload PostgreSQL refuses): then each request goes the ordinary way and
/// one bad request fails alone.
pub(crate) async fn write(
    pool: &PgPool,
    group: &[&AppendRequest],
) -> Option<Vec<Option<AppendResult>>> {
    let recorded_at = commit_time();
    let metadata: Vec<Vec<String>> = group
        .iter()
        .map(|r| columns::encode_metadata(&r.stream_id, &r.events))
        .collect::<Result<_, _>>()
        .ok()?;
    let mut streams = Vec::with_capacity(group.len());
    let mut kinds = Vec::with_capacity(group.len());
    let mut exacts = Vec::with_capacity(group.len());
    let mut counts = Vec::with_capacity(group.len());
    let (mut reqs, mut ords) = (Vec::new(), Vec::new());
    let mut columns = EventColumns::default();
    for (index, (request, metadata)) in group.iter().zip(&metadata).enumerate() {
        let (kind, exact) = kind(request.expected);
        let count = i64::try_from(request.events.len()).ok()?;
        streams.push(request.stream_id.as_str());
        kinds.push(kind);
        exacts.push(exact);
        counts.push(count);
        reqs.extend(std::iter::repeat_n(index as i64 + 1, request.events.len()));
        ords.extend(1..=count);
        columns.push(&request.events, metadata);
    }
    let rows = sqlx::query_as::<_, (String, i64, i64)>(GROUP_APPEND)
        .bind(&streams)
        .bind(&kinds)
        .bind(&exacts)
        .bind(&counts)
        .bind(&reqs)
        .bind(&ords)
        .bind(&columns.ids)
        .bind(&columns.names)
        .bind(&columns.versions)
        .bind(&columns.payloads)
        .bind(&columns.metadata)
        .bind(recorded_at)
        .fetch_all(pool)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => {
            tracing::debug!(
                "a group of {} appends failed, each goes the ordinary way: {error}",
                group.len()
            );
            return None;
        }
    };
    Some(
        group
            .iter()
            .map(|request| {
                let placed: Vec<(i64, i64)> = rows
                    .iter()
                    .filter(|row| row.0 == request.stream_id)
                    .map(|row| (row.1, row.2))
                    .collect();
                appended(placed, recorded_at)
            })
            .collect(),
    )
}

/// The result of an append from its inserted rows, (position, stream version) in
/// any order; `None` when it was not placed.
fn appended(mut rows: Vec<(i64, i64)>, recorded_at: DateTime<Utc>) -> Option<AppendResult> {
    rows.sort_unstable_by_key(|row| row.0);
    let stream_version = rows.iter().map(|r| r.1).max()?;
    Some(AppendResult {
        stream_version: u64::try_from(stream_version).ok()?,
        positions: rows
            .iter()
            .map(|r| u64::try_from(r.0).ok())
            .collect::<Option<_>>()?,
        recorded_at,
        duplicate: false,
    })
}
