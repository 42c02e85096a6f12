//! The cart workload: W, R, E, Q and the hot cart, on any store.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use cart::domain::{Cart, CartCommand, CartEvent};
use cart::views::{ProductPopularity, TopProducts};
use cqrs_core::runner::{MemoryTarget, ProjectionRunner, read_view};
use cqrs_core::{
    EventStore, ExpectedVersion, LogFollower, Metadata, NewEvent, QueryHandler, Repository,
    SnapshotStore,
};
use serde::Serialize;

use crate::stats::Figure;

/// What a store needs for the workload.
pub trait BenchStore: EventStore + SnapshotStore + LogFollower + Clone {}
impl<S: EventStore + SnapshotStore + LogFollower + Clone> BenchStore for S {}

/// The workload's size.
#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    /// Carts (N).
    pub carts: usize,
    /// Commands per cart (M), one event each.
    pub commands_per_cart: usize,
    /// Concurrent writers, and readers for R (C).
    pub writers: usize,
    /// Queries for Q.
    pub queries: usize,
    /// Stored events of the hot cart.
    pub hot_history: usize,
    /// Commands on the hot cart.
    pub hot_commands: usize,
}

/// Every figure for one store.
#[derive(Debug, Clone, Serialize)]
pub struct StoreFigures {
    /// Which store (or framework and store).
    pub store: String,
    /// Commands through load, decide, append (each appends one event).
    pub w: Figure,
    /// Aggregate loads: the stream read and replayed, no cache.
    pub r: Figure,
    /// Events through a catch-up projection (latency: per batch of 1,000).
    pub e: Figure,
    /// `TopProducts` queries against the projection's read model.
    pub q: Figure,
    /// Commands on one cart with a long history, without the aggregate cache.
    pub hot_uncached: Figure,
    /// The same with the cache.
    pub hot_cached: Figure,
    /// Loads of a cart with 100 events (no snapshot).
    pub load_short: Figure,
    /// Loads of a cart with 100,000 events, from its snapshot.
    pub load_long_snapshot: Figure,
    /// Single-row `INSERT`s over as many connections as writers, in the same run
    /// (SQLite and PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub w_ceiling: Option<Figure>,
    /// A plain paged `SELECT` of the rows E reads, decoding nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_ceiling: Option<Figure>,
    /// A live projection's lag under a steady write load (`--lag-seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_lag: Option<crate::lag::Lag>,
    /// E into tables of a separate read database (SQLite and PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_read_db: Option<Figure>,
    /// Q by SQL from those tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_read_db: Option<Figure>,
    /// R from a PostgreSQL streaming replica (`--replica-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r_replica: Option<Figure>,
    /// Q from the replica's copy of the read database's tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_replica: Option<Figure>,
}

fn add(n: usize) -> CartCommand {
    CartCommand::AddItem {
        sku: format!("sku-{}", n % 50),
        quantity: 1,
        unit_price_cents: 100 + (n % 50) as u64,
    }
}

/// Runs every phase in order on an empty store.
pub async fn run<S: BenchStore>(store: S, name: &str, shape: &Shape) -> StoreFigures {
    let w = write(store.clone(), shape).await;
    let r = read(store.clone(), shape).await;
    let (e, view) = events(store.clone()).await;
    let q = query(&view, shape.queries);
    let (hot_uncached, hot_cached) = hot_cart(store.clone(), shape).await;
    let (load_short, load_long_snapshot) = snapshot_loads(store).await;
    StoreFigures {
        store: name.to_owned(),
        w,
        r,
        e,
        q,
        hot_uncached,
        hot_cached,
        load_short,
        load_long_snapshot,
        w_ceiling: None,
        e_ceiling: None,
        live_lag: None,
        e_read_db: None,
        q_read_db: None,
        r_replica: None,
        q_replica: None,
    }
}

/// Runs `shape.writers` tasks at once, each over its own share of the carts, `rounds`
/// times over, timing every `operation(cart, round)`.
pub async fn concurrently<F, Fut>(shape: &Shape, rounds: usize, operation: F) -> Figure
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let operation = Arc::new(operation);
    let started = Instant::now();
    let tasks: Vec<_> = (0..shape.writers)
        .map(|writer| {
            let operation = operation.clone();
            let (carts, writers) = (shape.carts, shape.writers);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for round in 0..rounds {
                    for cart in (writer..carts).step_by(writers) {
                        let began = Instant::now();
                        operation(cart, round).await;
                        latencies.push(began.elapsed());
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        match task.await {
            Ok(timed) => latencies.extend(timed),
            Err(error) => panic!("a benchmark task failed: {error}"),
        }
    }
    Figure::new(latencies.len() as u64, started.elapsed(), latencies)
}

/// W alone, on a fresh store: the one-node baseline of [`write_on_two_nodes`].
pub async fn write_on_one_node<S: BenchStore>(store: S, shape: &Shape) -> Figure {
    write(store, shape).await
}

/// W: every command through the repository as an application uses it (cache on).
async fn write<S: BenchStore>(store: S, shape: &Shape) -> Figure {
    let repository = Arc::new(Repository::<Cart, S>::new(store).with_cache(shape.carts.max(1)));
    concurrently(shape, shape.commands_per_cart, move |cart, round| {
        let repository = repository.clone();
        async move {
            let id = cart.to_string();
            if let Err(error) = repository.execute(&id, add(round)).await {
                panic!("command on cart {id} failed: {error}");
            }
        }
    })
    .await
}

/// W on two nodes of one database: `writers` writers on each of two store handles
/// (each with its own connections and committer, as two processes would have), on
/// carts of their own; compare with [`StoreFigures::w`] of one node in the same run.
pub async fn write_on_two_nodes<S: BenchStore>(first: S, second: S, shape: &Shape) -> Figure {
    let nodes = [
        Arc::new(Repository::<Cart, S>::new(first).with_cache(shape.carts.max(1))),
        Arc::new(Repository::<Cart, S>::new(second).with_cache(shape.carts.max(1))),
    ];
    // Twice the writers; writer `w` takes carts `w, w + 2C, ...`, so a cart's parity
    // says its node.
    let doubled = Shape {
        writers: shape.writers * 2,
        ..shape.clone()
    };
    concurrently(&doubled, shape.commands_per_cart, move |cart, round| {
        let repository = nodes[cart % 2].clone();
        async move {
            let id = cart.to_string();
            if let Err(error) = repository.execute(&id, add(round)).await {
                panic!("command on cart {id} failed: {error}");
            }
        }
    })
    .await
}

/// R: every cart loaded once, replaying its stream (no cache).
pub async fn read<S: BenchStore>(store: S, shape: &Shape) -> Figure {
    let repository = Arc::new(Repository::<Cart, S>::new(store));
    let commands = shape.commands_per_cart as u64;
    concurrently(shape, 1, move |cart, _| {
        let repository = repository.clone();
        async move {
            match repository.load(&cart.to_string()).await {
                Ok(loaded) => assert_eq!(loaded.version, commands),
                Err(error) => panic!("load of cart {cart} failed: {error}"),
            }
        }
    })
    .await
}

/// E: the `top_products` projection rebuilt from the whole log.
async fn events<S: BenchStore>(
    store: S,
) -> (Figure, cqrs_core::runner::SharedView<ProductPopularity>) {
    let target = MemoryTarget::<ProductPopularity>::new();
    let view = target.view();
    let figure = timed_catch_up(ProjectionRunner::new(store, target)).await;
    (figure, view)
}

/// E for any target: the whole log through it once, each batch's latency timed.
pub async fn timed_catch_up<S, T>(mut runner: ProjectionRunner<S, T>) -> Figure
where
    S: BenchStore,
    T: cqrs_core::runner::CatchUpTarget,
{
    let mut latencies = Vec::new();
    let mut last = Instant::now();
    let started = Instant::now();
    let progress = runner
        .catch_up_with(|_| {
            latencies.push(last.elapsed());
            last = Instant::now();
        })
        .await;
    let elapsed = started.elapsed();
    let events = match progress {
        Ok(progress) => progress.events,
        Err(error) => panic!("catch-up into `{}` failed: {error}", runner.target().name()),
    };
    Figure::new(events, elapsed, latencies)
}

/// Q: the top ten products, asked `queries` times.
fn query(view: &cqrs_core::runner::SharedView<ProductPopularity>, queries: usize) -> Figure {
    let mut latencies = Vec::with_capacity(queries);
    let started = Instant::now();
    for _ in 0..queries {
        let began = Instant::now();
        let top = read_view(view, |v| v.query(TopProducts { limit: 10 }));
        assert!(!top.is_empty(), "the read model is empty");
        latencies.push(began.elapsed());
    }
    Figure::new(queries as u64, started.elapsed(), latencies)
}

/// Stores `count` `cart.item_added` events in `stream`, in appends of 1,000.
async fn seed<S: BenchStore>(store: &S, stream: &str, count: usize) {
    let mut version = 0usize;
    while version < count {
        let batch: Vec<NewEvent> = (version..count.min(version + 1_000))
            .map(|n| {
                let event = CartEvent::ItemAdded {
                    sku: format!("sku-{}", n % 50),
                    quantity: 1,
                    unit_price_cents: 100 + (n % 50) as u64,
                };
                match NewEvent::from_event(&event, Metadata::default()) {
                    Ok(event) => event,
                    Err(error) => panic!("cannot encode a cart event: {error}"),
                }
            })
            .collect();
        let appended = batch.len();
        if let Err(error) = store
            .append(stream, ExpectedVersion::Exact(version as u64), batch)
            .await
        {
            panic!("seeding {stream} failed: {error}");
        }
        version += appended;
    }
}

/// Loads of a 100-event cart, and of a 100,000-event cart that has a snapshot.
async fn snapshot_loads<S: BenchStore>(store: S) -> (Figure, Figure) {
    seed(&store, "cart-short", 100).await;
    seed(&store, "cart-long", 100_000).await;
    let repository = Repository::<Cart, S>::new(store).with_snapshots(1_000);
    // A command saves the long cart's snapshot (at 100,001).
    if let Err(error) = repository.execute("long", add(0)).await {
        panic!("command on the long cart failed: {error}");
    }
    let mut figures = Vec::new();
    for (id, version) in [("short", 100), ("long", 100_001)] {
        let mut latencies = Vec::new();
        let started = Instant::now();
        for _ in 0..200 {
            let began = Instant::now();
            match repository.load(id).await {
                Ok(loaded) => assert_eq!(loaded.version, version),
                Err(error) => panic!("load of cart {id} failed: {error}"),
            }
            latencies.push(began.elapsed());
        }
        figures.push(Figure::new(200, started.elapsed(), latencies));
    }
    let long = figures
        .pop()
        .unwrap_or_else(|| Figure::new(0, Default::default(), Vec::new()));
    let short = figures
        .pop()
        .unwrap_or_else(|| Figure::new(0, Default::default(), Vec::new()));
    (short, long)
}

/// One cart with `hot_history` stored events, then `hot_commands` commands on it,
/// without and with the aggregate cache.
async fn hot_cart<S: BenchStore>(store: S, shape: &Shape) -> (Figure, Figure) {
    seed(&store, "cart-hot", shape.hot_history).await;
    let uncached = Repository::<Cart, S>::new(store.clone());
    let cached = Repository::<Cart, S>::new(store).with_cache(16);
    let uncached_figure = hot_commands(&uncached, shape.hot_commands.min(200)).await;
    let cached_figure = hot_commands(&cached, shape.hot_commands).await;
    (uncached_figure, cached_figure)
}

async fn hot_commands<S: BenchStore>(repository: &Repository<Cart, S>, commands: usize) -> Figure {
    let mut latencies = Vec::with_capacity(commands);
    let started = Instant::now();
    for n in 0..commands {
        let began = Instant::now();
        if let Err(error) = repository.execute("hot", add(n)).await {
            panic!("command on the hot cart failed: {error}");
        }
        latencies.push(began.elapsed());
    }
    Figure::new(commands as u64, started.elapsed(), latencies)
}
