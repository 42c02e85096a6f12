//! Group commit: the appends waiting at the same moment share one statement, one
//! transaction and one disk flush.
//!
//! Appends commit one after another (the log head's row lock keeps positions gapless
//! and in commit order), so without grouping each waits for its own flush. Here one
//! committer task per store takes every append queued while the previous group was
//! committing (at most one per stream, so each keeps its own version check) and
//! writes them with one statement: each stream's version is checked and moved on its
//! own, a request whose expectation fails is simply not placed (its caller reports
//! the conflict, the others commit), and positions are handed out in queue order.
//! If the statement fails as a whole (a repeated event id, a payload PostgreSQL
//! refuses), every request of the group falls back to an append of its own, so one
//! bad request fails alone.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_core::{ExpectedVersion, NewEvent};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::columns::EventColumns;

/// Requests in one group, at most.
const MAX_GROUP: usize = 128;

/// One append waiting for the committer. The caller keeps a handle on the events,
/// to append them alone if the group cannot.
pub(crate) struct Request {
    pub(crate) stream_id: String,
    pub(crate) expected: ExpectedVersion,
    pub(crate) events: Arc<Vec<NewEvent>>,
    /// The events' metadata, encoded by the caller.
    pub(crate) metadata: Vec<serde_json::Value>,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// What became of a request.
pub(crate) enum Outcome {
    /// Committed: (position, stream version, recorded at) of each event.
    Placed(Vec<(i64, i64, DateTime<Utc>)>),
    /// The stream was not at the expected version; nothing was written for it.
    NotPlaced,
    /// The group's statement failed: append alone.
    AppendAlone,
}

/// The sending side of a store's committer.
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    queue: mpsc::UnboundedSender<Request>,
}

impl Committer {
    /// Starts the committer task on the current Tokio runtime.
    pub(crate) fn start(pool: PgPool) -> Self {
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, requests));
        Committer { queue }
    }

    /// Queues a request; gives it back when the committer is gone.
    pub(crate) fn send(&self, request: Request) -> Result<(), Box<Request>> {
        self.queue.send(request).map_err(|e| Box::new(e.0))
    }
}

async fn run(pool: PgPool, mut requests: mpsc::UnboundedReceiver<Request>) {
    let mut deferred: VecDeque<Request> = VecDeque::new();
    loop {
        if deferred.is_empty() {
            match requests.recv().await {
                Some(request) => deferred.push_back(request),
                None => return,
            }
        }
        while let Ok(request) = requests.try_recv() {
            deferred.push_back(request);
        }
        // One request per stream per group; the rest wait for the next group, in order.
        let mut group = Vec::new();
        let mut streams = HashSet::new();
        let mut later = VecDeque::new();
        while let Some(request) = deferred.pop_front() {
            if request.reply.is_closed() {
                // Its caller gave up (the append future was dropped): not written.
                continue;
            }
            if group.len() < MAX_GROUP && streams.insert(request.stream_id.clone()) {
                group.push(request);
            } else {
                later.push_back(request);
            }
        }
        deferred = later;
        if !group.is_empty() {
            commit(&pool, group).await;
        }
    }
}

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
    SELECT req.idx, req.stream_id, req.count, ok.version,
           sum(req.count) OVER (ORDER BY req.idx) - req.count AS offset
    FROM (SELECT idx, version FROM moved
          UNION ALL
          SELECT req.idx, created.version FROM created JOIN req USING (stream_id)) AS ok
    JOIN req USING (idx)
),
total AS (SELECT coalesce(sum(count), 0) AS events FROM placed),
head AS (
    UPDATE cqrs_log_head SET position = cqrs_log_head.position + total.events FROM total
    RETURNING cqrs_log_head.position AS last
)
INSERT INTO cqrs_events
    (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
SELECT head.last - total.events + placed.offset + e.ord, placed.stream_id,
       placed.version - placed.count + e.ord, e.id, e.name, e.ver, e.payload, e.meta
FROM head, total, placed
JOIN unnest($5::int8[], $6::int8[], $7::uuid[], $8::text[], $9::int4[], $10::jsonb[], $11::jsonb[])
    AS e(req, ord, id, name, ver, payload, meta) ON e.req = placed.idx
RETURNING stream_id, position, stream_version, recorded_at";

async fn commit(pool: &PgPool, group: Vec<Request>) {
    let mut streams = Vec::with_capacity(group.len());
    let mut kinds = Vec::with_capacity(group.len());
    let mut exacts = Vec::with_capacity(group.len());
    let mut counts = Vec::with_capacity(group.len());
    let (mut reqs, mut ords) = (Vec::new(), Vec::new());
    let mut columns = EventColumns::default();
    for (index, request) in group.iter().enumerate() {
        let (kind, exact) = kind(request.expected);
        streams.push(request.stream_id.as_str());
        kinds.push(kind);
        exacts.push(exact);
        counts.push(request.events.len() as i64);
        reqs.extend(std::iter::repeat_n(index as i64 + 1, request.events.len()));
        ords.extend(1..=request.events.len() as i64);
        columns.push(&request.events, &request.metadata);
    }
    let rows = sqlx::query_as::<_, (String, i64, i64, DateTime<Utc>)>(GROUP_APPEND)
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
        .fetch_all(pool)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => {
            tracing::debug!(
                "a group of {} appends failed, each appends alone: {error}",
                group.len()
            );
            for request in group {
                let _ = request.reply.send(Outcome::AppendAlone);
            }
            return;
        }
    };
    for request in group {
        let placed: Vec<(i64, i64, DateTime<Utc>)> = rows
            .iter()
            .filter(|row| row.0 == request.stream_id)
            .map(|row| (row.1, row.2, row.3))
            .collect();
        let outcome = if placed.is_empty() {
            Outcome::NotPlaced
        } else {
            Outcome::Placed(placed)
        };
        let _ = request.reply.send(outcome);
    }
}
