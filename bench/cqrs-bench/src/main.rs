//! The R, W, E, Q benchmark of the cart workload.
//!
//! `cargo run --release -p cqrs-bench -- --store memory --store sqlite --store postgres`
//!
//! For each store, on an empty database: W (commands/s through load, decide,
//! append, `--writers` at once over `--carts` carts, `--commands` each), R (carts
//! loaded by replaying their streams), E (events/s through the `top_products`
//! catch-up projection), Q (`TopProducts` queries/s on its read model), and one cart
//! with `--hot-history` stored events commanded without and with the aggregate
//! cache, loads with and without a snapshot, and for SQLite and PostgreSQL the
//! machine's ceilings in the same run (single-row `INSERT`s over as many connections,
//! a plain paged `SELECT`); `--lag-seconds N` adds a live projection's lag under
//! 2,000 events/s; `--rounds N` measures every store N times and prints each ratio to
//! a ceiling as a median and range. Prints a table, writes `--out`/results.json and
//! `--out`/chart.svg.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use cqrs_bench::http_load::{HotCartHttp, hot_cart_over_http};
use cqrs_bench::relay::RelayFigures;
use cqrs_bench::stats::Figure;
use cqrs_bench::stats::Rounds;
use cqrs_bench::workload::{self, Shape, StoreFigures};
use cqrs_bench::{ceiling, chart, read_side, report};
use cqrs_core::EventStore;
use cqrs_postgres::{PostgresEventStore, PostgresOptions, testing};
use cqrs_sqlite::SqliteEventStore;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Memory,
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "The R, W, E, Q benchmark of the cart workload")]
struct Args {
    /// Stores to measure, in order (repeat the flag); default: all three.
    #[arg(long = "store", value_enum)]
    stores: Vec<StoreKind>,
    /// Carts (N).
    #[arg(long, default_value_t = 1_000)]
    carts: usize,
    /// Commands per cart (M).
    #[arg(long, default_value_t = 10)]
    commands: usize,
    /// Concurrent writers and readers (C).
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Queries for Q.
    #[arg(long, default_value_t = 10_000)]
    queries: usize,
    /// Stored events of the hot cart.
    #[arg(long, default_value_t = 4_000)]
    hot_history: usize,
    /// Commands on the hot cart (at most 200 without the cache).
    #[arg(long, default_value_t = 2_000)]
    hot_commands: usize,
    /// PostgreSQL URL; each run uses a fresh schema, dropped afterwards.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    database_url: String,
    /// Seconds of steady writes (2,000 events/s) while a live projection follows,
    /// to measure its lag; 0 skips it.
    #[arg(long, default_value_t = 0)]
    lag_seconds: u64,
    /// The database on the same PostgreSQL server that holds the separate read
    /// database's tables (E and Q into and from it).
    #[arg(long, default_value = "root")]
    read_database: String,
    /// A streaming replica of `--database-url`'s server: R and Q are also measured
    /// there, beside the primary's.
    #[arg(long)]
    replica_url: Option<String>,
    /// Keep the PostgreSQL schema afterwards, to look at it (its name is printed).
    #[arg(long)]
    keep_schema: bool,
    /// Concurrent HTTP clients adding to one cart, without `If-Match`; 0 skips it.
    #[arg(long, default_value_t = 64)]
    http_clients: usize,
    /// Adds per HTTP client.
    #[arg(long, default_value_t = 20)]
    http_adds: usize,
    /// A NATS server with JetStream: the relay's events/s into it from each store,
    /// beside a plain publish loop of the same messages.
    #[arg(long, env = "NATS_URL")]
    nats: Option<String>,
    /// Measure every store this many times, each on a fresh store, and print each
    /// ratio to a ceiling with its median and range (this machine's figures move by
    /// a third between runs); results.json keeps the last round.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Where results.json and chart.svg go (default: `bench` in `CARGO_TARGET_DIR`,
    /// or `target/bench`).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report<'a> {
    shape: &'a Shape,
    machine: String,
    results: &'a [StoreFigures],
    hot_cart_over_http: &'a [(String, HotCartHttp)],
    /// PostgreSQL: W on two nodes, and on one node, measured back to back.
    postgres_two_nodes_w: Option<(Figure, Figure)>,
    /// Per store: the relay into JetStream and the plain publish loop.
    relay: &'a [(String, RelayFigures)],
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let stores = if args.stores.is_empty() {
        vec![StoreKind::Memory, StoreKind::Sqlite, StoreKind::Postgres]
    } else {
        args.stores.clone()
    };
    let shape = Shape {
        carts: args.carts.max(1),
        commands_per_cart: args.commands.max(1),
        writers: args.writers.max(1),
        queries: args.queries.max(1),
        hot_history: args.hot_history,
        hot_commands: args.hot_commands.max(1),
    };
    let mut results = Vec::new();
    let mut http = Vec::new();
    let mut two_node_w = None;
    let mut relays = Vec::new();
    let rounds = args.rounds.max(1);
    let mut ratios = Rounds::default();
    for round in 1..=rounds {
        // The report keeps the last round's figures; the ratios keep every round's.
        results.clear();
        http.clear();
        relays.clear();
        for &kind in &stores {
            eprintln!("measuring {kind:?} (round {round}/{rounds}) ...");
            let figures = match kind {
                StoreKind::Memory => memory(&args, &shape).await,
                StoreKind::Sqlite => sqlite(&args, &shape).await?,
                StoreKind::Postgres => {
                    let (figures, nodes, one) = postgres_figures(&args, &shape).await?;
                    ratios.record(
                        "postgres: W on two nodes / one node",
                        report::share(&nodes, &one),
                    );
                    two_node_w = Some((nodes, one));
                    figures
                }
            };
            report::print_figures(&figures);
            report::record_round(&mut ratios, &figures);
            if let Some(url) = &args.nats {
                let relay = relay(kind, &args, url)
                    .await
                    .map_err(|e| e as Box<dyn std::error::Error>)?;
                println!(
                    "  relay into JetStream: {:.0} events/s (p50 batch {:.1} ms); plain publish loop of the same messages: {:.0}/s; relay is {:.0}% of it",
                    relay.relay.per_second,
                    relay.relay.p50_us / 1000.0,
                    relay.publish_loop.per_second,
                    100.0 * report::share(&relay.relay, &relay.publish_loop)
                );
                relays.push((figures.store.clone(), relay));
            }
            if args.http_clients > 0 {
                let load = http_load(kind, &args).await?;
                report::print_http(&load);
                http.push((figures.store.clone(), load));
            }
            results.push(figures);
        }
    }
    if rounds > 1 {
        report::print_rounds(&ratios, rounds);
    }
    let out = args.out.clone().unwrap_or_else(cqrs_bench::default_out_dir);
    std::fs::create_dir_all(&out)?;
    let report = Report {
        shape: &shape,
        machine: machine(),
        results: &results,
        hot_cart_over_http: &http,
        postgres_two_nodes_w: two_node_w,
        relay: &relays,
    };
    let json = out.join("results.json");
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)?;
    let chart = out.join("chart.svg");
    let title = format!(
        "cart workload: {} carts x {} commands, {} writers ({})",
        shape.carts, shape.commands_per_cart, shape.writers, report.machine
    );
    std::fs::write(&chart, chart::svg(&results, &title))?;
    println!("wrote {} and {}", json.display(), chart.display());
    Ok(())
}

/// The workload on a fresh in-memory store.
async fn memory(args: &Args, shape: &Shape) -> StoreFigures {
    let store = cqrs_core::InMemoryEventStore::new();
    let mut figures = workload::run(store.clone(), "memory", shape).await;
    figures.live_lag = lag(store, args.lag_seconds).await;
    figures
}

/// The workload on a fresh SQLite file, with the read database and the ceilings.
async fn sqlite(args: &Args, shape: &Shape) -> Result<StoreFigures, Box<dyn std::error::Error>> {
    let path = temp_file("cqrs-bench");
    let store = SqliteEventStore::open(&path).await?;
    let mut figures = workload::run(store.clone(), "sqlite", shape).await;
    let read_path = temp_file("cqrs-bench-read");
    let read_url = format!("sqlite://{}?mode=rwc", read_path.display());
    let (e, q) = read_side::read_database(store.clone(), &read_url, shape.queries).await;
    (figures.e_read_db, figures.q_read_db) = (Some(e), Some(q));
    remove_sqlite(&read_path);
    figures.e_ceiling = Some(ceiling::sqlite_select(store.pool()).await);
    let inserts_path = temp_file("cqrs-bench-ceiling");
    let inserts = ceiling_inserts(shape);
    figures.w_ceiling = Some(ceiling::sqlite_inserts(&inserts_path, shape.writers, inserts).await);
    figures.live_lag = lag(store, args.lag_seconds).await;
    remove_sqlite(&path);
    remove_sqlite(&inserts_path);
    Ok(figures)
}

/// The workload on a fresh PostgreSQL schema, with the read database, the replica
/// (if given) and the ceilings; then W on two nodes and on one, back to back.
async fn postgres_figures(
    args: &Args,
    shape: &Shape,
) -> Result<(StoreFigures, Figure, Figure), Box<dyn std::error::Error>> {
    let store = postgres(&args.database_url, shape.writers).await?;
    let mut figures = workload::run(store.clone(), "postgres", shape).await;
    let read_schema = format!("{}_read", store.schema());
    let read_server = with_database(&args.database_url, &args.read_database);
    let admin = sqlx::PgPool::connect(&read_server).await?;
    sqlx::query(&format!("CREATE SCHEMA {read_schema}"))
        .execute(&admin)
        .await?;
    let in_schema = |url: &str| format!("{url}?options=-c%20search_path%3D{read_schema}");
    let (e, q) =
        read_side::read_database(store.clone(), &in_schema(&read_server), shape.queries).await;
    (figures.e_read_db, figures.q_read_db) = (Some(e), Some(q));
    if let Some(replica_url) = &args.replica_url {
        let head = store.head_position().await?;
        let replica = replica(replica_url, store.schema()).await?;
        figures.r_replica = Some(read_side::loads_from(replica, head, shape).await);
        let copy = in_schema(&with_database(replica_url, &args.read_database));
        figures.q_replica = Some(replica_top_ten(&copy, shape.queries).await?);
    }
    sqlx::query(&format!("DROP SCHEMA {read_schema} CASCADE"))
        .execute(&admin)
        .await?;
    figures.e_ceiling = Some(ceiling::postgres_select(store.pool()).await);
    let inserts = ceiling_inserts(shape);
    figures.w_ceiling = Some(ceiling::postgres_inserts(store.pool(), shape.writers, inserts).await);
    figures.live_lag = lag(store.clone(), args.lag_seconds).await;
    let (nodes, one) = two_nodes(&args.database_url, shape).await?;
    println!(
        "  W on two nodes x {} writers: {:.0} commands/s, {:.2}x one node ({:.0})",
        shape.writers,
        nodes.per_second,
        report::share(&nodes, &one),
        one.per_second
    );
    if args.keep_schema {
        eprintln!("kept schema {}", store.schema());
    } else {
        testing::drop_schema(store).await;
    }
    Ok((figures, nodes, one))
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => url.to_owned(),
    }
}

/// The replica's event store in `schema`, once it has replayed that schema.
async fn replica(url: &str, schema: &str) -> Result<PostgresEventStore, cqrs_core::StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match PostgresOptions::new(url)
            .schema(schema)
            .replica()
            .connect()
            .await
        {
            Ok(store) => return Ok(store),
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Q from the replica's copy of the read tables, once it has them.
async fn replica_top_ten(url: &str, queries: usize) -> Result<Figure, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let rows: Result<i64, _> = sqlx::query_scalar("SELECT count(*) FROM top_products")
            .fetch_one(&pool)
            .await;
        if rows.is_ok_and(|n| n > 0) || std::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let figure = read_side::top_ten(&pool, queries).await;
    pool.close().await;
    Ok(figure)
}

/// W on two PostgreSQL nodes (two store handles, each with its writers) and on one,
/// back to back, each on a fresh schema.
async fn two_nodes(url: &str, shape: &Shape) -> Result<(Figure, Figure), cqrs_core::StoreError> {
    let first = postgres(url, shape.writers).await?;
    let second = PostgresOptions::new(url)
        .schema(first.schema())
        .max_connections(shape.writers as u32 + 2)
        .connect()
        .await?;
    let nodes = workload::write_on_two_nodes(first.clone(), second, shape).await;
    testing::drop_schema(first).await;
    let alone = postgres(url, shape.writers).await?;
    let one = workload::write_on_one_node(alone.clone(), shape).await;
    testing::drop_schema(alone).await;
    Ok((nodes, one))
}

/// The relay from a fresh store of this kind holding the W workload's events.
async fn relay(
    kind: StoreKind,
    args: &Args,
    url: &str,
) -> Result<RelayFigures, Box<dyn std::error::Error + Send + Sync>> {
    let shape = Shape {
        carts: args.carts.max(1),
        commands_per_cart: args.commands.max(1),
        writers: args.writers.max(1),
        queries: 1,
        hot_history: 0,
        hot_commands: 1,
    };
    Ok(match kind {
        StoreKind::Memory => {
            let store = cqrs_core::InMemoryEventStore::new();
            workload::write_on_one_node(store.clone(), &shape).await;
            cqrs_bench::relay::relay_vs_publish(store, url).await?
        }
        StoreKind::Sqlite => {
            let path = temp_file("cqrs-bench-relay");
            let store = SqliteEventStore::open(&path).await?;
            workload::write_on_one_node(store.clone(), &shape).await;
            let figures = cqrs_bench::relay::relay_vs_publish(store, url).await;
            remove_sqlite(&path);
            figures?
        }
        StoreKind::Postgres => {
            let store = postgres(&args.database_url, shape.writers).await?;
            workload::write_on_one_node(store.clone(), &shape).await;
            let figures = cqrs_bench::relay::relay_vs_publish(store.clone(), url).await;
            testing::drop_schema(store).await;
            figures?
        }
    })
}

/// The hot cart over HTTP on a fresh store of this kind.
async fn http_load(kind: StoreKind, args: &Args) -> Result<HotCartHttp, cqrs_core::StoreError> {
    let (clients, adds) = (args.http_clients, args.http_adds.max(1));
    Ok(match kind {
        StoreKind::Memory => {
            hot_cart_over_http(cqrs_core::InMemoryEventStore::new(), clients, adds).await
        }
        StoreKind::Sqlite => {
            let path = temp_file("cqrs-bench-http");
            let load =
                hot_cart_over_http(SqliteEventStore::open(&path).await?, clients, adds).await;
            remove_sqlite(&path);
            load
        }
        StoreKind::Postgres => {
            let store = postgres(&args.database_url, clients).await?;
            let load = hot_cart_over_http(store.clone(), clients, adds).await;
            testing::drop_schema(store).await;
            load
        }
    })
}

/// As many single-row inserts as W's commands, from 2,000 to 20,000.
fn ceiling_inserts(shape: &Shape) -> usize {
    (shape.carts * shape.commands_per_cart).clamp(2_000, 20_000)
}

async fn lag<S: workload::BenchStore>(store: S, seconds: u64) -> Option<cqrs_bench::lag::Lag> {
    if seconds == 0 {
        return None;
    }
    Some(cqrs_bench::lag::live_lag(store, 2_000, seconds).await)
}

fn temp_file(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}.db", uuid::Uuid::new_v4().simple()))
}

fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

async fn postgres(url: &str, writers: usize) -> Result<PostgresEventStore, cqrs_core::StoreError> {
    PostgresOptions::new(url)
        .schema(testing::unique_schema("cqrs_bench"))
        .max_connections(writers as u32 + 2)
        .connect()
        .await
}

/// The CPU model and core count, for the report.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores, {cpu}")
}
