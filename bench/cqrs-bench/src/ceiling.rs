//! What the machine does without us, measured in the same run: single-row `INSERT`
//! transactions of the event shape over the same number of connections (the W
//! ceiling), and a plain paged `SELECT` of the events a projection reads, every
//! column's bytes touched and nothing decoded (the E ceiling).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::{Row, ValueRef};

use crate::stats::Figure;

const METADATA: &str = r#"{"correlation_id":"6f1c6a3e-4d9e-4b0e-9a57-2f0f3d3f1a11","causation_id":"6f1c6a3e-4d9e-4b0e-9a57-2f0f3d3f1a11","timestamp":"2026-11-26T12:00:00Z"}"#;

fn payload(n: usize) -> String {
    format!(
        r#"{{"sku":"sku-{}","quantity":1,"unit_price_cents":{}}}"#,
        n % 50,
        100 + n % 50
    )
}

/// Runs `writers` tasks doing `inserts` single-row inserts in all, timing each.
async fn concurrently<F, Fut>(writers: usize, inserts: usize, insert: F) -> Figure
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let insert = insert.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for n in 0..inserts / writers {
                    let began = Instant::now();
                    if let Err(error) = insert(writer, n).await {
                        panic!("ceiling insert failed: {error}");
                    }
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        match task.await {
            Ok(timed) => latencies.extend(timed),
            Err(error) => panic!("a ceiling task failed: {error}"),
        }
    }
    Figure::new(latencies.len() as u64, started.elapsed(), latencies)
}

/// Single-row `INSERT`s into a plain table beside the store's, on its pool.
pub async fn postgres_inserts(pool: &sqlx::PgPool, writers: usize, inserts: usize) -> Figure {
    let created = sqlx::raw_sql(
        "CREATE TABLE bench_ceiling (
             position BIGSERIAL PRIMARY KEY, stream_id TEXT NOT NULL, stream_version BIGINT NOT NULL,
             event_id UUID NOT NULL, event_name TEXT NOT NULL, event_version INT NOT NULL,
             payload JSON NOT NULL, metadata JSON NOT NULL, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(pool)
    .await;
    if let Err(error) = created {
        panic!("cannot create the ceiling table: {error}");
    }
    let pool = pool.clone();
    concurrently(writers, inserts, move |writer, n| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO bench_ceiling (stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
                 VALUES ($1, $2, $3, 'cart.item_added', 1, $4::json, $5::json)",
            )
            .bind(format!("cart-ceiling-{writer}"))
            .bind(n as i64 + 1)
            .bind(uuid::Uuid::new_v4())
            .bind(payload(n))
            .bind(METADATA)
            .execute(&pool)
            .await
            .map(drop)
        }
    })
    .await
}

/// Single-row `INSERT` transactions into a file of its own, opened as the store
/// opens its file (WAL, `synchronous = FULL`).
pub async fn sqlite_inserts(path: &Path, writers: usize, inserts: usize) -> Figure {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let pool = match SqlitePoolOptions::new()
        .max_connections(writers as u32)
        .connect_with(options)
        .await
    {
        Ok(pool) => pool,
        Err(error) => panic!("cannot open the ceiling database: {error}"),
    };
    let created = sqlx::raw_sql(
        "CREATE TABLE bench_ceiling (
             position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL,
             event_id TEXT NOT NULL, event_name TEXT NOT NULL, event_version INTEGER NOT NULL,
             payload TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL)",
    )
    .execute(&pool)
    .await;
    if let Err(error) = created {
        panic!("cannot create the ceiling table: {error}");
    }
    let inserting = pool.clone();
    let figure = concurrently(writers, inserts, move |writer, n| {
        let pool = inserting.clone();
        async move {
            sqlx::query(
                "INSERT INTO bench_ceiling (stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at)
                 VALUES (?1, ?2, ?3, 'cart.item_added', 1, ?4, ?5, '2026-11-26T12:00:00Z')",
            )
            .bind(format!("cart-ceiling-{writer}"))
            .bind(n as i64 + 1)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(payload(n))
            .bind(METADATA)
            .execute(&pool)
            .await
            .map(drop)
        }
    })
    .await;
    pool.close().await;
    figure
}

/// The `cart.item_added` rows of the store's log, 1,000 a page, in position order.
/// On PostgreSQL through the store's own filtered-read function, which keeps the
/// ordered index scan on a table without statistics yet (migrations 0005, 0008).
const PAGE_POSTGRES: &str = "SELECT position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at
     FROM cqrs_read_named(ARRAY['cart.item_added'], $1 + 1, 9223372036854775807, 1000)";
const PAGE_SQLITE: &str = "SELECT position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at
     FROM cqrs_events WHERE event_name = 'cart.item_added' AND position > ?1 ORDER BY position LIMIT 1000";

macro_rules! select_ceiling {
    ($name:ident, $pool:ty, $sql:expr) => {
        /// Reads the rows a `top_products` rebuild reads, the same way, decoding nothing.
        pub async fn $name(pool: &$pool) -> Figure {
            let mut from = 0i64;
            let mut rows = 0u64;
            let mut bytes = 0usize;
            let mut latencies = Vec::new();
            let started = Instant::now();
            loop {
                let began = Instant::now();
                let page = match sqlx::query($sql).bind(from).fetch_all(pool).await {
                    Ok(page) => page,
                    Err(error) => panic!("ceiling read failed: {error}"),
                };
                let Some(last) = page.last() else {
                    assert!(rows == 0 || bytes > 0);
                    return Figure::new(rows, started.elapsed(), latencies);
                };
                from = last.try_get(0).unwrap_or(i64::MAX);
                for row in &page {
                    for column in 0..row.len() {
                        if let Ok(value) = row.try_get_raw(column) {
                            bytes += usize::from(!value.is_null());
                        }
                    }
                }
                rows += page.len() as u64;
                latencies.push(began.elapsed());
            }
        }
    };
}

select_ceiling!(postgres_select, sqlx::PgPool, PAGE_POSTGRES);
select_ceiling!(sqlite_select, sqlx::SqlitePool, PAGE_SQLITE);
