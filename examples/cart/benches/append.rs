//! Append throughput for the cart workload, against the machine's raw ceiling.
//!
//! `cargo bench -p cart --bench append` (PostgreSQL rows need `DATABASE_URL`).
//!
//! Workload: 8 writers at once, each with its own carts, 10 `AddItem` commands per
//! cart through the whole command path (load the cart by replaying its stream,
//! decide, append with the expected version). Ceiling, measured in the same run:
//! 8 connections doing single-row `INSERT` transactions of the same event shape into
//! a plain table, with sqlx (same driver) and, for PostgreSQL, with `pgbench -f`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cart::domain::{Cart, CartCommand};
use cqrs_core::{EventStore, InMemoryEventStore, Repository};
use cqrs_postgres::PostgresOptions;
use cqrs_sqlite::SqliteEventStore;

const WRITERS: usize = 8;
const COMMANDS_PER_CART: usize = 10;

struct Figure {
    what: String,
    operations: usize,
    elapsed: Duration,
}

impl Figure {
    fn per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }
}

async fn cart_workload<S: EventStore + Clone>(
    store: S,
    carts_per_writer: usize,
    label: &str,
) -> Figure {
    let repository = Arc::new(Repository::<Cart, S>::new(store));
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let repository = repository.clone();
            tokio::spawn(async move {
                for cart in 0..carts_per_writer {
                    let id = format!("bench-{writer}-{cart}");
                    for n in 0..COMMANDS_PER_CART {
                        let command = CartCommand::AddItem {
                            sku: format!("sku-{n}"),
                            quantity: 1 + n as u32,
                            unit_price_cents: 199,
                        };
                        if let Err(error) = repository.execute(&id, command).await {
                            panic!("command failed: {error}");
                        }
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer
            .await
            .unwrap_or_else(|e| panic!("writer failed: {e}"));
    }
    Figure {
        what: label.to_owned(),
        operations: WRITERS * carts_per_writer * COMMANDS_PER_CART,
        elapsed: started.elapsed(),
    }
}

fn payload(n: usize) -> String {
    format!(
        r#"{{"sku":"sku-{n}","quantity":{},"unit_price_cents":199}}"#,
        1 + n % 10
    )
}

const METADATA: &str = r#"{"correlation_id":"6f1c6a3e-4d9e-4b0e-9a57-2f0f3d3f1a11","causation_id":"6f1c6a3e-4d9e-4b0e-9a57-2f0f3d3f1a11","timestamp":"2026-11-26T12:00:00Z"}"#;

async fn postgres_ceiling(pool: &sqlx::PgPool, inserts: usize) -> Figure {
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS bench_ceiling;
         CREATE TABLE bench_ceiling (
             position BIGSERIAL PRIMARY KEY, stream_id TEXT NOT NULL, stream_version BIGINT NOT NULL,
             event_id UUID NOT NULL, event_name TEXT NOT NULL, event_version INT NOT NULL,
             payload JSONB NOT NULL, metadata JSONB NOT NULL, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(pool)
    .await
    .unwrap_or_else(|e| panic!("cannot create the ceiling table: {e}"));
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for n in 0..inserts / WRITERS {
                    let payload: serde_json::Value = serde_json::from_str(&payload(n)).unwrap_or_default();
                    let metadata: serde_json::Value = serde_json::from_str(METADATA).unwrap_or_default();
                    sqlx::query(
                        "INSERT INTO bench_ceiling (stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
                         VALUES ($1, $2, $3, 'cart.item_added', 1, $4, $5)",
                    )
                    .bind(format!("cart-bench-{writer}"))
                    .bind(n as i64 + 1)
                    .bind(uuid::Uuid::new_v4())
                    .bind(payload)
                    .bind(metadata)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("ceiling insert failed: {e}"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap_or_else(|e| panic!("ceiling task failed: {e}"));
    }
    Figure {
        what: "postgres raw INSERT (sqlx, 8 connections)".into(),
        operations: inserts,
        elapsed: started.elapsed(),
    }
}

async fn sqlite_ceiling(path: &std::path::Path, inserts: usize) -> Figure {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(WRITERS as u32)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("cannot open the ceiling database: {e}"));
    sqlx::raw_sql(
        "CREATE TABLE bench_ceiling (
             position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL,
             event_id TEXT NOT NULL, event_name TEXT NOT NULL, event_version INTEGER NOT NULL,
             payload TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap_or_else(|e| panic!("cannot create the ceiling table: {e}"));
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for n in 0..inserts / WRITERS {
                    sqlx::query(
                        "INSERT INTO bench_ceiling (stream_id, stream_version, event_id, event_name, event_version, payload, metadata, recorded_at)
                         VALUES (?1, ?2, ?3, 'cart.item_added', 1, ?4, ?5, ?6)",
                    )
                    .bind(format!("cart-bench-{writer}"))
                    .bind(n as i64 + 1)
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(payload(n))
                    .bind(METADATA)
                    .bind(chrono::Utc::now())
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("ceiling insert failed: {e}"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap_or_else(|e| panic!("ceiling task failed: {e}"));
    }
    pool.close().await;
    Figure {
        what: "sqlite raw INSERT (sqlx, 8 connections)".into(),
        operations: inserts,
        elapsed: started.elapsed(),
    }
}

/// `pgbench -f` with the same single-row INSERT, 8 clients, for `seconds`.
fn pgbench_ceiling(url: &str, seconds: u32) -> Option<Figure> {
    let script = std::env::temp_dir().join("cqrs-bench-insert.sql");
    let insert = format!(
        "INSERT INTO bench_ceiling (stream_id, stream_version, event_id, event_name, event_version, payload, metadata) \
         VALUES ('cart-pgbench', 1, gen_random_uuid(), 'cart.item_added', 1, '{}', '{}');\n",
        payload(1),
        METADATA
    );
    std::fs::write(&script, insert).ok()?;
    let output = std::process::Command::new("pgbench")
        .args(["-n", "-c", "8", "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(url)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let processed = text
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|n| n.split('/').next())
        .and_then(|n| n.trim().parse::<usize>().ok())?;
    Some(Figure {
        what: "postgres raw INSERT (pgbench -f, 8 clients)".into(),
        operations: processed,
        elapsed: Duration::from_secs(u64::from(seconds)),
    })
}

fn report(figures: &[Figure], ceiling: Option<&Figure>) {
    for figure in figures {
        let ratio = ceiling.map_or(String::new(), |c| {
            format!(
                "  ({:.0}% of the ceiling)",
                100.0 * figure.per_second() / c.per_second()
            )
        });
        println!(
            "  {:<48} {:>7} ops in {:>6.2}s = {:>8.0}/s{ratio}",
            figure.what,
            figure.operations,
            figure.elapsed.as_secs_f64(),
            figure.per_second()
        );
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let carts_per_writer: usize = std::env::var("BENCH_CARTS_PER_WRITER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let commands = WRITERS * carts_per_writer * COMMANDS_PER_CART;
    println!(
        "cart append workload: {WRITERS} writers x {carts_per_writer} carts x {COMMANDS_PER_CART} AddItem = {commands} commands (1 event each)"
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    println!("in-memory:");
    let memory = cart_workload(
        InMemoryEventStore::new(),
        carts_per_writer,
        "in-memory store, cart commands",
    )
    .await;
    report(&[memory], None);

    println!("sqlite (file, WAL, synchronous=FULL):");
    let dir = std::env::temp_dir().join(format!("cqrs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let store = SqliteEventStore::open(dir.join("events.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sqlite = cart_workload(store, carts_per_writer, "sqlite store, cart commands").await;
    let ceiling = sqlite_ceiling(&dir.join("ceiling.db"), commands).await;
    report(&[sqlite], Some(&ceiling));
    report(&[ceiling], None);
    let _ = std::fs::remove_dir_all(&dir);

    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("postgres: skipped (set DATABASE_URL)");
        return;
    };
    println!("postgres ({url}):");
    let schema = format!("cqrs_bench_{}", std::process::id());
    let store = PostgresOptions::new(&url)
        .schema(&schema)
        .max_connections(WRITERS as u32)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let postgres = cart_workload(
        store.clone(),
        carts_per_writer,
        "postgres store, cart commands",
    )
    .await;
    let ceiling = postgres_ceiling(store.pool(), commands).await;
    let pgbench = pgbench_ceiling(&format!("{url}?options=-csearch_path%3D{schema}"), 10);
    report(&[postgres], Some(&ceiling));
    report(&[ceiling], None);
    if let Some(pgbench) = &pgbench {
        report(std::slice::from_ref(pgbench), None);
    }
    let _ = sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(store.pool())
        .await;
}
