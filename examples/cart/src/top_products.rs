//! Where `top_products` is kept and how it is read: one document in the event
//! store's database (the default), or real tables in a read database of its own
//! (`--read-db`, `--read-database-url`), which reporting tools can query.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use cqrs_core::runner::{
    DocumentTarget, Progress, ProjectionError, ProjectionRunner, ProjectionStatus, RunState,
    RunnerOptions,
};
use cqrs_core::{EventHeader, HandlerError, Projection, QueryHandler, Store};
use cqrs_sql::{BatchError, ShadowTables, TableProjection, TableTarget};
use sqlx::{Any, AnyPool};
use tokio::sync::{Mutex, watch};

use crate::domain::CartEvent;
use crate::error::AppError;
use crate::views::{ProductCount, ProductPopularity, TopProducts};

/// How current a read of a catch-up view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// The last position of the log the view reflects.
    pub position: u64,
    /// The log's head when the read was answered; `head - position` is the lag.
    pub head: u64,
}

/// `top_products` as tables: a row per product, indexed by units.
pub struct TopProductsTable;

impl TableProjection<Any> for TopProductsTable {
    const NAME: &'static str = ProductPopularity::NAME;
    type Event = CartEvent;
    const SCHEMA: &'static [&'static str] = &[
        "CREATE TABLE IF NOT EXISTS top_products (
            sku TEXT PRIMARY KEY,
            units BIGINT NOT NULL,
            times_added BIGINT NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS top_products_by_units ON top_products (units DESC, sku)",
    ];
    const CLEAR: &'static [&'static str] = &["DELETE FROM top_products"];

    async fn apply(
        &self,
        db: &mut sqlx::AnyConnection,
        _: &EventHeader,
        event: CartEvent,
    ) -> Result<(), HandlerError> {
        let CartEvent::ItemAdded { sku, quantity, .. } = event else {
            return Ok(());
        };
        add_units(db, &sku, i64::from(quantity), 1).await
    }

    /// One row per product the batch touches, written by one multi-row upsert per
    /// 300 products (one round trip instead of one per product or per event).
    async fn apply_batch(
        &self,
        db: &mut sqlx::AnyConnection,
        events: Vec<(EventHeader, CartEvent)>,
    ) -> Result<(), BatchError> {
        let Some(first) = events.first().map(|(header, _)| header.clone()) else {
            return Ok(());
        };
        let mut added: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (_, event) in events {
            if let CartEvent::ItemAdded { sku, quantity, .. } = event {
                let entry = added.entry(sku).or_insert((0, 0));
                entry.0 = entry.0.saturating_add(i64::from(quantity));
                entry.1 += 1;
            }
        }
        let rows: Vec<(String, (i64, i64))> = added.into_iter().collect();
        for chunk in rows.chunks(300) {
            if let Err(source) = add_rows(db, chunk).await {
                return Err(BatchError {
                    header: first,
                    source,
                });
            }
        }
        Ok(())
    }
}

/// Adds each product's units over its adds, in one statement (`$n` placeholders,
/// which both SQLite and PostgreSQL read).
async fn add_rows(
    db: &mut sqlx::AnyConnection,
    rows: &[(String, (i64, i64))],
) -> Result<(), HandlerError> {
    let mut sql = String::from("INSERT INTO top_products (sku, units, times_added) VALUES ");
    for n in 0..rows.len() {
        let base = n * 3;
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", base + 1, base + 2, base + 3));
    }
    sql.push_str(
        " ON CONFLICT (sku) DO UPDATE SET units = top_products.units + excluded.units,
                                          times_added = top_products.times_added + excluded.times_added",
    );
    let mut query = sqlx::query(&sql);
    for (sku, (units, times)) in rows {
        query = query.bind(sku.as_str()).bind(*units).bind(*times);
    }
    query.execute(db).await?;
    Ok(())
}

/// Adds `units` over `times` adds to a product's row.
async fn add_units(
    db: &mut sqlx::AnyConnection,
    sku: &str,
    units: i64,
    times: i64,
) -> Result<(), HandlerError> {
    sqlx::query(
        "INSERT INTO top_products (sku, units, times_added) VALUES ($1, $2, $3)
         ON CONFLICT (sku) DO UPDATE SET units = top_products.units + excluded.units,
                                         times_added = top_products.times_added + excluded.times_added",
    )
    .bind(sku)
    .bind(units)
    .bind(times)
    .execute(db)
    .await?;
    Ok(())
}

/// The `top_products` runner, on either side.
pub enum TopRunner<S: Store> {
    /// One document in the event store's database.
    Document(ProjectionRunner<S, DocumentTarget<ProductPopularity, S>>),
    /// Tables in a read database.
    Tables(ProjectionRunner<S, TableTarget<TopProductsTable, Any>>),
}

impl<S: Store> TopRunner<S> {
    /// The runner over `store`, writing into `tables` when given.
    pub fn new(store: &S, tables: Option<&AnyPool>, options: RunnerOptions) -> Self {
        match tables {
            None => TopRunner::Document(
                ProjectionRunner::new(store.clone(), DocumentTarget::new(store.clone()))
                    .with_options(options),
            ),
            Some(pool) => TopRunner::Tables(
                ProjectionRunner::new(
                    store.clone(),
                    TableTarget::new(pool.clone(), TopProductsTable),
                )
                .with_options(options),
            ),
        }
    }

    /// Catches up with the log once.
    pub async fn catch_up(&mut self) -> Result<Progress, ProjectionError> {
        match self {
            TopRunner::Document(runner) => runner.catch_up().await,
            TopRunner::Tables(runner) => runner.catch_up().await,
        }
    }

    /// Empties the view and replays the log.
    pub async fn rebuild(
        &mut self,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<Progress, ProjectionError> {
        match self {
            TopRunner::Document(runner) => runner.rebuild(progress).await,
            TopRunner::Tables(runner) => runner.rebuild(progress).await,
        }
    }

    /// Its status as it changes.
    pub fn watch_status(&self) -> watch::Receiver<ProjectionStatus> {
        match self {
            TopRunner::Document(runner) => runner.watch_status(),
            TopRunner::Tables(runner) => runner.watch_status(),
        }
    }

    /// Runs with one active worker per projection until `shutdown`.
    pub async fn run_exclusive(&mut self, retry: Duration, shutdown: impl Future<Output = ()>) {
        match self {
            TopRunner::Document(runner) => runner.run_exclusive(retry, shutdown).await,
            TopRunner::Tables(runner) => runner.run_exclusive(retry, shutdown).await,
        }
    }
}

/// `top_products` for the application: read on demand, or kept by a worker.
pub struct TopProductsSide<S: Store> {
    store: S,
    tables: Option<AnyPool>,
    /// Catches the view up when a query needs it, when no worker runs here.
    on_demand: Mutex<TopRunner<S>>,
    /// The worker's status, when this process runs one.
    worker: Option<watch::Receiver<ProjectionStatus>>,
}

impl<S: Store> TopProductsSide<S> {
    /// Over `store`; in `tables` when given.
    pub fn new(store: S, tables: Option<AnyPool>) -> Self {
        let on_demand = Mutex::new(TopRunner::new(
            &store,
            tables.as_ref(),
            RunnerOptions::default(),
        ));
        TopProductsSide {
            store,
            tables,
            on_demand,
            worker: None,
        }
    }

    /// The read database, when the view lives in one.
    pub fn tables(&self) -> Option<&AnyPool> {
        self.tables.as_ref()
    }

    /// Runs a worker in the background until `shutdown` (one active per database).
    pub fn spawn_worker(&mut self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let mut runner =
            TopRunner::new(&self.store, self.tables.as_ref(), RunnerOptions::default());
        self.worker = Some(runner.watch_status());
        tokio::spawn(async move {
            runner
                .run_exclusive(Duration::from_millis(500), shutdown)
                .await
        });
    }

    /// What the worker here is doing, when there is one.
    pub fn worker_state(&self) -> Option<RunState> {
        self.worker.as_ref().map(|w| w.borrow().state.clone())
    }

    /// The `limit` products with the most units, and how current the answer is;
    /// with `min_position`, only from a view that reached it (waiting up to 2 s),
    /// else [`AppError::Behind`].
    pub async fn fresh(
        &self,
        limit: usize,
        min_position: Option<u64>,
    ) -> Result<(Vec<ProductCount>, Freshness), AppError> {
        let head = self.store.head_position().await?;
        let wanted = min_position.unwrap_or(head).max(head);
        let position = if self.worker.is_some() {
            let patience = Instant::now() + Duration::from_secs(2);
            loop {
                let position = self.checkpoint().await?;
                if position >= wanted || Instant::now() >= patience {
                    break position;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        } else {
            let progress = self.on_demand.lock().await.catch_up().await?;
            progress.checkpoint.max(head)
        };
        if let Some(min_position) = min_position
            && position < min_position
        {
            return Err(AppError::Behind {
                view: ProductPopularity::NAME,
                position,
                wanted: min_position,
            });
        }
        let top = self.read(limit).await?;
        Ok((top, Freshness { position, head }))
    }

    /// The view's saved checkpoint.
    pub async fn checkpoint(&self) -> Result<u64, AppError> {
        let Some(pool) = &self.tables else {
            let stored = self.store.load_view(ProductPopularity::NAME).await?;
            return Ok(stored.map_or(0, |v| v.position));
        };
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = $1")
                .bind(ProductPopularity::NAME)
                .fetch_optional(pool)
                .await
                .or_else(|e| match e {
                    // No table yet: nothing projected yet.
                    sqlx::Error::Database(_) => Ok(None),
                    other => Err(other),
                })
                .map_err(read_failed)?;
        Ok(position.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
    }

    async fn read(&self, limit: usize) -> Result<Vec<ProductCount>, AppError> {
        let Some(pool) = &self.tables else {
            let view = match self.store.load_view(ProductPopularity::NAME).await? {
                Some(view) => serde_json::from_value::<ProductPopularity>(view.state)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                None => ProductPopularity::default(),
            };
            return Ok(view.query(TopProducts { limit }));
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT sku, units, times_added FROM top_products ORDER BY units DESC, sku LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
        .or_else(|e| match e {
            sqlx::Error::Database(_) => Ok(Vec::new()),
            other => Err(other),
        })
        .map_err(read_failed)?;
        Ok(rows
            .into_iter()
            .map(|(sku, units, times_added)| ProductCount {
                sku,
                units: u64::try_from(units).unwrap_or(0),
                times_added: u64::try_from(times_added).unwrap_or(0),
            })
            .collect())
    }

    /// Rebuilds from the whole log. `shadow` builds a new version beside the old
    /// one, which keeps serving, and swaps it in at the end (the document under a
    /// second name; the tables in a file `<read db>.rebuild` or a schema
    /// `<schema>_rebuild` of the read database).
    pub async fn rebuild(
        &self,
        shadow: bool,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<u64, AppError> {
        let name = ProductPopularity::NAME;
        if !shadow {
            return Ok(self.on_demand.lock().await.rebuild(progress).await?.events);
        }
        if let Some(pool) = &self.tables {
            let shadow = shadow_tables(pool).await?;
            let target = TableTarget::new(pool.clone(), TopProductsTable);
            let done = target
                .rebuild_in_shadow(self.store.clone(), shadow, progress)
                .await?;
            return Ok(done.events);
        }
        let shadow_name = format!("{name}@rebuild");
        let target =
            DocumentTarget::<ProductPopularity, S>::named(self.store.clone(), &shadow_name);
        let mut runner = ProjectionRunner::new(self.store.clone(), target);
        let done = runner.rebuild(progress).await?;
        if let Some(built) = self.store.load_view(&shadow_name).await? {
            self.store.save_view(name, built).await?;
        }
        self.store.delete_view(&shadow_name).await?;
        Ok(done.events)
    }
}

/// Where the tables of `pool`'s database are rebuilt beside the live ones: a file
/// `<path>.rebuild` beside a SQLite file, a schema `<current schema>_rebuild` on
/// PostgreSQL.
async fn shadow_tables(pool: &AnyPool) -> Result<ShadowTables<Any>, AppError> {
    let url = pool.connect_options().database_url.clone();
    if url.scheme() == "sqlite" {
        let path = url.as_str().trim_start_matches("sqlite://");
        let path = path.split('?').next().unwrap_or(path);
        return ShadowTables::sqlite_file(format!("{path}.rebuild"))
            .await
            .map_err(read_failed);
    }
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(pool)
        .await
        .map_err(read_failed)?;
    Ok(ShadowTables::postgres_schema(pool, &format!("{schema}_rebuild")).await?)
}

fn read_failed(error: sqlx::Error) -> AppError {
    AppError::Unavailable(format!(
        "read `top_products` from the read database: {error}"
    ))
}
