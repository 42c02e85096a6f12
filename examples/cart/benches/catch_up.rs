//! Event-handling throughput E: a projection rebuilding its view from stored cart
//! events, against a plain `SELECT` of the same rows over the same pool (the
//! ceiling), and the lag a live projection shows under a steady write load.
//!
//! `cargo bench -p cart --bench catch_up` (PostgreSQL rows need `DATABASE_URL`;
//! `BENCH_EVENTS` sets the log size, default 1,000,000). The ceiling and the
//! rebuild alternate three times on the same data; the best of each is reported.

use std::time::{Duration, Instant};

use cart::domain::CartEvent;
use cart::views::ProductPopularity;
use cqrs_core::runner::{DocumentTarget, ProjectionRunner, RunState, RunnerOptions};
use cqrs_core::{EventStore, ExpectedVersion, LogFollower, Metadata, NewEvent, ViewStore};
use cqrs_postgres::PostgresOptions;
use cqrs_sqlite::SqliteEventStore;

const PER_APPEND: usize = 1_000;
/// Ceiling and rebuild alternate this many times; the best of each is reported.
const ROUNDS: usize = 3;

fn cart_event(n: usize) -> NewEvent {
    let event = match n % 10 {
        9 => CartEvent::QuantityChanged {
            sku: format!("sku-{}", n % 97),
            quantity: 2,
        },
        _ => CartEvent::ItemAdded {
            sku: format!("sku-{}", n % 97),
            quantity: 1 + (n % 3) as u32,
            unit_price_cents: 199,
        },
    };
    NewEvent::from_event(&event, Metadata::default()).unwrap_or_else(|e| panic!("{e}"))
}

async fn seed<S: EventStore>(store: &S, events: usize) -> Duration {
    let started = Instant::now();
    for batch in 0..events / PER_APPEND {
        let stream = format!("cart-{}", batch % 5_000);
        let events = (batch * PER_APPEND..(batch + 1) * PER_APPEND)
            .map(cart_event)
            .collect();
        store
            .append(&stream, ExpectedVersion::Any, events)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    started.elapsed()
}

async fn rebuild<S: EventStore + LogFollower + ViewStore + Clone>(store: &S) -> (u64, Duration) {
    let target = DocumentTarget::<ProductPopularity, S>::named(store.clone(), "bench_top_products");
    let mut runner = ProjectionRunner::new(store.clone(), target);
    let started = Instant::now();
    let done = runner
        .rebuild(|_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (done.events, started.elapsed())
}

fn report(label: &str, events: u64, rebuild: Duration, ceiling_rows: u64, ceiling: Duration) {
    let e = events as f64 / rebuild.as_secs_f64();
    let c = ceiling_rows as f64 / ceiling.as_secs_f64();
    println!(
        "  {label}: E = {e:>9.0} events/s ({events} events in {:.2}s)",
        rebuild.as_secs_f64()
    );
    println!(
        "  {label}: plain SELECT ceiling = {c:>9.0} rows/s ({ceiling_rows} rows in {:.2}s); E is {:.0}% of it",
        ceiling.as_secs_f64(),
        100.0 * e / c
    );
}

/// Lag under a steady write load: a writer appends `rate` events per second for
/// `seconds`, a live runner follows; the lag (positions behind the head) is sampled.
async fn live_lag<S: EventStore + LogFollower + ViewStore + Clone>(
    store: &S,
    rate: usize,
    seconds: u64,
) -> (u64, u64, u64) {
    let target = DocumentTarget::<ProductPopularity, S>::named(store.clone(), "bench_live");
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_millis(500),
        ..RunnerOptions::default()
    });
    runner.catch_up().await.unwrap_or_else(|e| panic!("{e}"));
    let status = runner.watch_status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run_until(async {
                let _ = stopped.await;
            })
            .await
    });
    let per_tick = (rate / 100).max(1);
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut n = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let events = (n..n + per_tick).map(cart_event).collect();
        n += per_tick;
        let appended = store
            .append(
                &format!("cart-live-{}", n % 50),
                ExpectedVersion::Any,
                events,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let head = appended.positions.last().copied().unwrap_or(0);
        let checkpoint = status.borrow().checkpoint;
        samples.push(head.saturating_sub(checkpoint));
    }
    let _ = stop.send(());
    let _ = running.await;
    assert!(status.borrow().state == RunState::Stopped);
    samples.sort_unstable();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (pick(0.5), pick(0.99), samples.last().copied().unwrap_or(0))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "catch-up: {events} stored cart events (90% cart.item_added), projection `top_products` (handles cart.item_added)"
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let dir = std::env::temp_dir().join(format!("cqrs-catch-up-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let sqlite = SqliteEventStore::open(dir.join("events.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seeded = seed(&sqlite, events).await;
    println!("sqlite: seeded in {:.1}s", seeded.as_secs_f64());
    let mut best = (0, Duration::MAX, 0, Duration::MAX);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let rows = sqlite_ceiling(sqlite.pool()).await;
        let ceiling = started.elapsed();
        let (handled, took) = rebuild(&sqlite).await;
        best = (handled, best.1.min(took), rows, best.3.min(ceiling));
    }
    report("sqlite", best.0, best.1, best.2, best.3);
    let (p50, p99, max) = live_lag(&sqlite, 2_000, 10).await;
    println!(
        "  sqlite: live lag at 2,000 events/s for 10s: p50 {p50}, p99 {p99}, max {max} positions"
    );
    sqlite.pool().close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("postgres: skipped (set DATABASE_URL)");
        return;
    };
    let schema = format!("cqrs_catch_up_bench_{}", std::process::id());
    let pg = PostgresOptions::new(&url)
        .schema(&schema)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seeded = seed(&pg, events).await;
    println!("postgres: seeded in {:.1}s", seeded.as_secs_f64());
    let mut best = (0, Duration::MAX, 0, Duration::MAX);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let rows = postgres_ceiling(pg.pool()).await;
        let ceiling = started.elapsed();
        let (handled, took) = rebuild(&pg).await;
        best = (handled, best.1.min(took), rows, best.3.min(ceiling));
    }
    report("postgres", best.0, best.1, best.2, best.3);
    let (p50, p99, max) = live_lag(&pg, 2_000, 10).await;
    println!(
        "  postgres: live lag at 2,000 events/s for 10s: p50 {p50}, p99 {p99}, max {max} positions"
    );
    let _ = sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(pg.pool())
        .await;
}

/// The same rows, paged the same way (1,000 per page by the name index), each
/// column's bytes touched as they come from the driver, nothing decoded.
async fn sqlite_ceiling(pool: &sqlx::SqlitePool) -> u64 {
    use sqlx::{Row, ValueRef};
    let mut from = 0i64;
    let mut rows = 0u64;
    let mut touched = 0usize;
    loop {
        let page = sqlx::query(
            "SELECT position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at
             FROM cqrs_events WHERE event_name = 'cart.item_added' AND position > ?1 ORDER BY position LIMIT 1000",
        )
        .bind(from)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(last) = page.last() else {
            assert!(touched > 0);
            return rows;
        };
        from = last.try_get(0).unwrap_or_else(|e| panic!("{e}"));
        for row in &page {
            for column in 0..row.len() {
                let value = row.try_get_raw(column).unwrap_or_else(|e| panic!("{e}"));
                touched += usize::from(!value.is_null());
            }
        }
        rows += page.len() as u64;
    }
}

async fn postgres_ceiling(pool: &sqlx::PgPool) -> u64 {
    use sqlx::{Row, ValueRef};
    let mut from = 0i64;
    let mut rows = 0u64;
    let mut bytes = 0usize;
    loop {
        let page = sqlx::query(
            "SELECT position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at
             FROM cqrs_events WHERE event_name = 'cart.item_added' AND position > $1 ORDER BY position LIMIT 1000",
        )
        .bind(from)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(last) = page.last() else {
            assert!(bytes > 0);
            return rows;
        };
        from = last.try_get(0).unwrap_or_else(|e| panic!("{e}"));
        for row in &page {
            // Touch every column's bytes as they came off the wire, decoding nothing.
            for column in 0..row.len() {
                let value = row.try_get_raw(column).unwrap_or_else(|e| panic!("{e}"));
                bytes += value.as_bytes().map_or(0, <[u8]>::len);
                let _ = value.is_null();
            }
        }
        rows += page.len() as u64;
    }
}
