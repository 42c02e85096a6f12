//! The cart workload on our stores and on cqrs-es 0.5 / postgres-es 0.5, in one
//! process run, every figure printed beside the peer's as a ratio.
//!
//! `cargo run --release --manifest-path bench/peers/Cargo.toml`

mod peer_cart;

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use cqrs_bench::stats::{Figure, Spread};
use cqrs_bench::workload::{self, Shape, StoreFigures};
use cqrs_es::mem_store::MemStore;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateContext, CqrsFramework, EventStore, Query};
use cqrs_postgres::PostgresOptions;
use peer_cart::{PeerCart, PeerCommand, PeerPopularity};
use postgres_es::PostgresEventRepository;
use sqlx::postgres::PgPoolOptions;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000)]
    carts: usize,
    #[arg(long, default_value_t = 10)]
    commands: usize,
    #[arg(long, default_value_t = 8)]
    writers: usize,
    #[arg(long, default_value_t = 10_000)]
    queries: usize,
    #[arg(long, default_value_t = 4_000)]
    hot_history: usize,
    #[arg(long, default_value_t = 2_000)]
    hot_commands: usize,
    /// Skip PostgreSQL.
    #[arg(long)]
    memory_only: bool,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    database_url: String,
    /// Rounds of each pair: ours and the peer's are measured once per round, the
    /// order alternating (ours first in odd rounds), and the median ratio of each
    /// figure is printed after the rounds.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Where peers.json and peers.svg go (default: `bench` in `CARGO_TARGET_DIR`, or
    /// `target/bench`).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

fn add(n: usize) -> PeerCommand {
    PeerCommand::AddItem {
        sku: format!("sku-{}", n % 50),
        quantity: 1,
        unit_price_cents: 100 + (n % 50) as u64,
    }
}

type Framework<ES> = CqrsFramework<PeerCart, ES>;

async fn peer_write<ES>(cqrs: Arc<Framework<ES>>, shape: &Shape) -> Figure
where
    ES: EventStore<PeerCart> + 'static,
    ES::AC: Send,
{
    workload::concurrently(shape, shape.commands_per_cart, move |cart, round| {
        let cqrs = cqrs.clone();
        async move {
            if let Err(error) = cqrs.execute(&cart.to_string(), add(round)).await {
                panic!("peer command failed: {error}");
            }
        }
    })
    .await
}

async fn peer_read<ES>(store: Arc<ES>, shape: &Shape) -> Figure
where
    ES: EventStore<PeerCart> + 'static,
    ES::AC: Send,
{
    workload::concurrently(shape, 1, move |cart, _| {
        let store = store.clone();
        async move {
            match store.load_aggregate(&cart.to_string()).await {
                Ok(mut context) => assert!(!context.aggregate().lines.is_empty()),
                Err(error) => panic!("peer load failed: {error}"),
            }
        }
    })
    .await
}

fn peer_query(view: &PeerPopularity, queries: usize) -> Figure {
    let mut latencies = Vec::with_capacity(queries);
    let started = Instant::now();
    for _ in 0..queries {
        let began = Instant::now();
        assert!(!view.top(10).is_empty());
        latencies.push(began.elapsed());
    }
    Figure::new(queries as u64, started.elapsed(), latencies)
}

async fn peer_hot<ES>(cqrs: &Framework<ES>, commands: usize) -> Figure
where
    ES: EventStore<PeerCart>,
{
    let mut latencies = Vec::with_capacity(commands);
    let started = Instant::now();
    for n in 0..commands {
        let began = Instant::now();
        if let Err(error) = cqrs.execute("hot", add(n)).await {
            panic!("peer hot command failed: {error}");
        }
        latencies.push(began.elapsed());
    }
    Figure::new(commands as u64, started.elapsed(), latencies)
}

/// cqrs-es with its `MemStore`.
async fn cqrs_es_memory(shape: &Shape) -> StoreFigures {
    let store = MemStore::<PeerCart>::default();
    let cqrs = Arc::new(CqrsFramework::new(store.clone(), vec![], ()));
    let w = peer_write(cqrs.clone(), shape).await;
    let r = peer_read(Arc::new(store.clone()), shape).await;
    // E: every stored event through the read model's query, as a replay would.
    let view = PeerPopularity::default();
    #[allow(deprecated)]
    let events = store.get_events();
    // Copied out before the clock starts: the store's lock is not held across awaits.
    let streams = events.read().unwrap_or_else(|e| e.into_inner()).clone();
    let started = Instant::now();
    let mut count = 0u64;
    let mut latencies = Vec::new();
    for (id, stream) in streams.iter() {
        let began = Instant::now();
        view.dispatch(id, stream).await;
        count += stream.len() as u64;
        latencies.push(began.elapsed());
    }
    let e = Figure::new(count, started.elapsed(), latencies);
    let q = peer_query(&view, shape.queries);
    let seeded = CqrsFramework::new(store, vec![], ());
    for n in 0..shape.hot_history {
        if let Err(error) = seeded.execute("hot", add(n)).await {
            panic!("seeding the peer hot cart failed: {error}");
        }
    }
    let hot = peer_hot(&seeded, shape.hot_commands.min(200)).await;
    StoreFigures {
        store: "cqrs-es memory".into(),
        w,
        r,
        e,
        q,
        hot_uncached: hot.clone(),
        hot_cached: hot,
        load_short: not_measured(),
        load_long_snapshot: not_measured(),
        w_ceiling: None,
        e_ceiling: None,
        live_lag: None,
        e_read_db: None,
        q_read_db: None,
        r_replica: None,
        q_replica: None,
    }
}

/// postgres-es in a fresh schema.
async fn postgres_es(url: &str, shape: &Shape) -> Result<StoreFigures, Box<dyn std::error::Error>> {
    let schema = format!("peer_bench_{}", uuid::Uuid::new_v4().simple());
    let pool = PgPoolOptions::new()
        .max_connections(shape.writers as u32 + 2)
        .connect(url)
        .await?;
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.events (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
           sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL,
           event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
           PRIMARY KEY (aggregate_type, aggregate_id, sequence));
         CREATE TABLE {schema}.snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
           last_sequence bigint CHECK (last_sequence >= 0) NOT NULL,
           current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, payload json NOT NULL,
           PRIMARY KEY (aggregate_type, aggregate_id, last_sequence));"
    ))
    .execute(&pool)
    .await?;
    let (events, snapshots) = (format!("{schema}.events"), format!("{schema}.snapshots"));
    let repo = || PostgresEventRepository::new(pool.clone()).with_tables(&events, &snapshots);
    let cqrs = Arc::new(CqrsFramework::new(
        PersistedEventStore::new_event_store(repo()),
        vec![],
        (),
    ));
    let w = peer_write(cqrs.clone(), shape).await;
    let r = peer_read(
        Arc::new(PersistedEventStore::new_event_store(repo())),
        shape,
    )
    .await;
    let view = PeerPopularity::default();
    let started = Instant::now();
    let mut stream =
        cqrs_es::persist::PersistedEventRepository::stream_all_events::<PeerCart>(&repo()).await?;
    let mut count = 0u64;
    let mut latencies = Vec::new();
    let mut last = Instant::now();
    while let Some(envelope) = stream.next::<PeerCart>(&[]).await {
        let envelope = envelope?;
        view.dispatch(&envelope.aggregate_id, std::slice::from_ref(&envelope))
            .await;
        count += 1;
        if count.is_multiple_of(1_000) {
            latencies.push(last.elapsed());
            last = Instant::now();
        }
    }
    let e = Figure::new(count, started.elapsed(), latencies);
    let q = peer_query(&view, shape.queries);
    // The hot cart's history, inserted as postgres-es stores it.
    sqlx::query(&format!(
        "INSERT INTO {schema}.events
         SELECT 'cart', 'hot', n, 'cart.item_added', '2',
                json_build_object('ItemAdded', json_build_object('sku', 'sku-' || (n % 50),
                  'quantity', 1, 'unit_price_cents', 100 + (n % 50))), '{{}}'
         FROM generate_series(1, $1) AS n"
    ))
    .bind(shape.hot_history as i64)
    .execute(&pool)
    .await?;
    let hot = peer_hot(&cqrs, shape.hot_commands.min(200)).await;
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&pool)
        .await?;
    Ok(StoreFigures {
        store: "postgres-es".into(),
        w,
        r,
        e,
        q,
        hot_uncached: hot.clone(),
        hot_cached: hot,
        load_short: not_measured(),
        load_long_snapshot: not_measured(),
        w_ceiling: None,
        e_ceiling: None,
        live_lag: None,
        e_read_db: None,
        q_read_db: None,
        r_replica: None,
        q_replica: None,
    })
}

/// A figure the peer run does not take (zero operations).
fn not_measured() -> Figure {
    Figure::new(0, std::time::Duration::ZERO, Vec::new())
}

/// The figures compared, in the order printed.
const FIGURES: [&str; 5] = [
    "W commands/s",
    "R loads/s",
    "E events/s",
    "Q queries/s",
    "hot cart commands/s",
];

fn rows<'a>(ours: &'a StoreFigures, peer: &'a StoreFigures) -> [(&'a Figure, &'a Figure); 5] {
    [
        (&ours.w, &peer.w),
        (&ours.r, &peer.r),
        (&ours.e, &peer.e),
        (&ours.q, &peer.q),
        (&ours.hot_cached, &peer.hot_cached),
    ]
}

/// Ours / the peer's, per figure.
fn ratios(ours: &StoreFigures, peer: &StoreFigures) -> [f64; 5] {
    rows(ours, peer).map(|(a, b)| cqrs_bench::report::share(a, b))
}

/// After several rounds: each figure's median ratio and its range.
fn summary(ours: &str, peer: &str, rounds: &[[f64; 5]]) {
    println!(
        "{ours} vs {peer}, {} rounds, order alternating:",
        rounds.len()
    );
    for (index, label) in FIGURES.iter().enumerate() {
        let column: Vec<f64> = rounds.iter().map(|r| r[index]).collect();
        if let Some(spread) = Spread::of(&column) {
            println!("  {label:<20} {spread}");
        }
    }
}

fn side_by_side(ours: &StoreFigures, peer: &StoreFigures) {
    println!("{} vs {}:", ours.store, peer.store);
    let ratios = ratios(ours, peer);
    for ((label, (a, b)), ratio) in FIGURES.into_iter().zip(rows(ours, peer)).zip(ratios) {
        println!(
            "  {label:<20} ours {:>11.0} (p50 {:>8.1} us, p99 {:>8.1} us)   peer {:>11.0} (p50 {:>8.1} us, p99 {:>8.1} us)   {:>7.1}x",
            a.per_second, a.p50_us, a.p99_us, b.per_second, b.p50_us, b.p99_us, ratio
        );
    }
}

/// Ours and cqrs-es in memory, ours first or the peer first.
async fn memory_pair(shape: &Shape, ours_first: bool) -> (StoreFigures, StoreFigures) {
    let ours = || {
        workload::run(
            cqrs_core::InMemoryEventStore::new(),
            "cqrs-core memory",
            shape,
        )
    };
    // cqrs-es's `MemStore` prints a line on every load and commit (thousands per
    // run); standard output is silenced while it runs, so the table stays readable.
    let peer = || async {
        let quiet = gag::Gag::stdout().ok();
        let peer = cqrs_es_memory(shape).await;
        drop(quiet);
        peer
    };
    if ours_first {
        let ours = ours().await;
        (ours, peer().await)
    } else {
        let peer = peer().await;
        (ours().await, peer)
    }
}

/// Ours and postgres-es, each in a fresh schema, ours first or the peer first.
async fn postgres_pair(
    url: &str,
    shape: &Shape,
    ours_first: bool,
) -> Result<(StoreFigures, StoreFigures), Box<dyn std::error::Error>> {
    let ours = || async {
        let store = PostgresOptions::new(url)
            .schema(format!("cqrs_bench_{}", uuid::Uuid::new_v4().simple()))
            .max_connections(shape.writers as u32 + 2)
            .connect()
            .await?;
        let ours = workload::run(store.clone(), "cqrs-postgres", shape).await;
        sqlx::raw_sql(&format!("DROP SCHEMA \"{}\" CASCADE", store.schema()))
            .execute(store.pool())
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(ours)
    };
    if ours_first {
        let ours = ours().await?;
        Ok((ours, postgres_es(url, shape).await?))
    } else {
        let peer = postgres_es(url, shape).await?;
        Ok((ours().await?, peer))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let shape = Shape {
        carts: args.carts.max(1),
        commands_per_cart: args.commands.max(1),
        writers: args.writers.max(1),
        queries: args.queries.max(1),
        hot_history: args.hot_history,
        hot_commands: args.hot_commands.max(1),
    };
    let rounds = args.rounds.max(1);
    let mut results = Vec::new();
    let mut memory_ratios = Vec::new();
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}: cqrs-core memory and cqrs-es memory ...");
        let (ours, peer) = memory_pair(&shape, round % 2 == 1).await;
        side_by_side(&ours, &peer);
        memory_ratios.push(ratios(&ours, &peer));
        results = vec![ours, peer];
    }
    let mut postgres_ratios = Vec::new();
    if !args.memory_only {
        let mut last = Vec::new();
        for round in 1..=rounds {
            eprintln!("round {round}/{rounds}: cqrs-postgres and postgres-es ...");
            let (ours, peer) = postgres_pair(&args.database_url, &shape, round % 2 == 1).await?;
            side_by_side(&ours, &peer);
            postgres_ratios.push(ratios(&ours, &peer));
            last = vec![ours, peer];
        }
        results.extend(last);
    }
    if rounds > 1 {
        summary("cqrs-core memory", "cqrs-es memory", &memory_ratios);
        if !postgres_ratios.is_empty() {
            summary("cqrs-postgres", "postgres-es", &postgres_ratios);
        }
    }
    let out = args.out.clone().unwrap_or_else(cqrs_bench::default_out_dir);
    std::fs::create_dir_all(&out)?;
    let json = out.join("peers.json");
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&serde_json::json!({ "shape": shape, "results": results }))?,
    )?;
    let chart = out.join("peers.svg");
    std::fs::write(
        &chart,
        cqrs_bench::chart::svg(&results, "cart workload: cqrs-rs beside cqrs-es 0.5"),
    )?;
    println!("wrote {} and {}", json.display(), chart.display());
    Ok(())
}
