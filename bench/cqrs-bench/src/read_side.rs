//! The read side elsewhere: E and Q with `top_products` as tables in a read
//! database of its own, and R and Q served by a PostgreSQL streaming replica.

use std::time::Instant;

use cart::top_products::TopProductsTable;
use cqrs_core::runner::ProjectionRunner;
use cqrs_sql::TableTarget;

use crate::stats::Figure;
use crate::workload::{BenchStore, Shape, timed_catch_up};

/// E and Q against tables in the read database at `url` (SQLite or PostgreSQL):
/// events through `top_products` into its tables, then the top ten products by SQL.
pub async fn read_database<S: BenchStore>(store: S, url: &str, queries: usize) -> (Figure, Figure) {
    sqlx::any::install_default_drivers();
    let pool = match sqlx::AnyPool::connect(url).await {
        Ok(pool) => pool,
        Err(error) => panic!("cannot open the read database {url}: {error}"),
    };
    let runner = ProjectionRunner::new(store, TableTarget::new(pool.clone(), TopProductsTable));
    let e_read_db = timed_catch_up(runner).await;
    let q_read_db = top_ten(&pool, queries).await;
    pool.close().await;
    (e_read_db, q_read_db)
}

/// Q: the top ten products by SQL, `queries` times.
pub async fn top_ten(pool: &sqlx::AnyPool, queries: usize) -> Figure {
    let mut latencies = Vec::with_capacity(queries);
    let started = Instant::now();
    for _ in 0..queries {
        let began = Instant::now();
        let top: Vec<(String, i64, i64)> = match sqlx::query_as(
            "SELECT sku, units, times_added FROM top_products ORDER BY units DESC, sku LIMIT 10",
        )
        .fetch_all(pool)
        .await
        {
            Ok(top) => top,
            Err(error) => panic!("top products from the read database failed: {error}"),
        };
        assert!(!top.is_empty(), "the read database is empty");
        latencies.push(began.elapsed());
    }
    Figure::new(queries as u64, started.elapsed(), latencies)
}

/// R from another handle on the same data (a streaming replica): every cart
/// loaded once, once the replica has replayed up to `head`.
pub async fn loads_from<S: BenchStore>(store: S, head: u64, shape: &Shape) -> Figure {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while store.head_position().await.unwrap_or(0) < head {
        assert!(Instant::now() < deadline, "the replica did not catch up");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    crate::workload::read(store, shape).await
}
