//! A rebuild beside the live tables, on SQLite and PostgreSQL: while it runs, the
//! old tables serve unchanged; the swap brings the new columns and every event's
//! effect once, with the checkpoint; a worker that raced the swap rolls back; the
//! shadow is gone afterwards; a live worker goes on from the swapped-in checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use cqrs_core::runner::{CatchUpTarget, ProjectionError, ProjectionRunner};
use cqrs_core::{
    DomainEvent, EventHeader, EventStore, ExpectedVersion, HandlerError, InMemoryEventStore,
    Metadata, NewEvent, ReadAll,
};
use cqrs_sql::{ShadowTables, TableProjection, TableTarget};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum ShelfEvent {
    Moved { sku: String, units: i32 },
}

/// Version 1: units per product.
struct Shelf;
/// Version 2, same name: units and the number of moves per product.
struct ShelfWithMoves;

macro_rules! shelves_for {
    ($db:ty, $conn:ty) => {
        impl TableProjection<$db> for Shelf {
            const NAME: &'static str = "shelf";
            type Event = ShelfEvent;
            const SCHEMA: &'static [&'static str] =
                &["CREATE TABLE IF NOT EXISTS shelf (sku TEXT PRIMARY KEY, units BIGINT NOT NULL)"];
            const CLEAR: &'static [&'static str] = &["DELETE FROM shelf"];

            async fn apply(
                &self,
                db: &mut $conn,
                _: &EventHeader,
                ShelfEvent::Moved { sku, units }: ShelfEvent,
            ) -> Result<(), HandlerError> {
                sqlx::query(
                    "INSERT INTO shelf (sku, units) VALUES ($1, $2)
                     ON CONFLICT (sku) DO UPDATE SET units = shelf.units + excluded.units",
                )
                .bind(sku)
                .bind(i64::from(units))
                .execute(db)
                .await?;
                Ok(())
            }
        }

        impl TableProjection<$db> for ShelfWithMoves {
            const NAME: &'static str = "shelf";
            type Event = ShelfEvent;
            const SCHEMA: &'static [&'static str] = &[
                "CREATE TABLE IF NOT EXISTS shelf (
                    sku TEXT PRIMARY KEY, units BIGINT NOT NULL, moves BIGINT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS shelf_by_moves ON shelf (moves)",
            ];
            const CLEAR: &'static [&'static str] = &["DELETE FROM shelf"];

            async fn apply(
                &self,
                db: &mut $conn,
                _: &EventHeader,
                ShelfEvent::Moved { sku, units }: ShelfEvent,
            ) -> Result<(), HandlerError> {
                sqlx::query(
                    "INSERT INTO shelf (sku, units, moves) VALUES ($1, $2, 1)
                     ON CONFLICT (sku) DO UPDATE SET units = shelf.units + excluded.units,
                                                     moves = shelf.moves + 1",
                )
                .bind(sku)
                .bind(i64::from(units))
                .execute(db)
                .await?;
                Ok(())
            }
        }
    };
}

shelves_for!(sqlx::Sqlite, sqlx::SqliteConnection);
shelves_for!(sqlx::Postgres, sqlx::PgConnection);

/// Appends events `from..=to` (event n moves n units of `sku-{n % 5}`, every
/// seventh takes them away).
async fn append(store: &InMemoryEventStore, from: i32, to: i32) {
    for n in from..=to {
        let units = if n % 7 == 0 { -n } else { n };
        let event = ShelfEvent::Moved {
            sku: format!("sku-{}", n % 5),
            units,
        };
        let event = NewEvent::from_event(&event, Metadata::default()).unwrap();
        let stream = format!("shelf-{}", n % 3);
        store
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await
            .unwrap();
    }
}

/// Units and moves per product after events `1..=to`.
fn expected(to: i32) -> BTreeMap<String, (i64, i64)> {
    let mut rows = BTreeMap::new();
    for n in 1..=to {
        let row: &mut (i64, i64) = rows.entry(format!("sku-{}", n % 5)).or_default();
        row.0 += i64::from(if n % 7 == 0 { -n } else { n });
        row.1 += 1;
    }
    rows
}

macro_rules! scenario {
    ($pool:expr, $shadow:expr, $shadow_gone:expr) => {{
        let pool = $pool;
        let store = InMemoryEventStore::new();
        append(&store, 1, 40).await;
        let mut live = ProjectionRunner::new(store.clone(), TableTarget::new(pool.clone(), Shelf));
        live.catch_up().await.unwrap();
        // A second worker that read the checkpoint (40) before the rebuild.
        let mut stale = TableTarget::new(pool.clone(), Shelf);
        assert_eq!(stale.checkpoint().await.unwrap(), 40);
        append(&store, 41, 50).await;

        let units = || async {
            sqlx::query_as::<_, (String, i64)>("SELECT sku, units FROM shelf")
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        };
        let before: BTreeMap<String, i64> = expected(40)
            .into_iter()
            .map(|(sku, (units, _))| (sku, units))
            .collect();
        assert_eq!(units().await, before);

        let mut seen_while_building = Vec::new();
        let rebuild = TableTarget::new(pool.clone(), ShelfWithMoves);
        let shadow = $shadow;
        let built = rebuild
            .rebuild_in_shadow(store.clone(), shadow, |progress| {
                let now = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(units())
                });
                seen_while_building.push((progress.checkpoint, now));
            })
            .await
            .unwrap();
        assert_eq!(built.checkpoint, 50);
        assert!(!seen_while_building.is_empty());
        for (_, seen) in &seen_while_building {
            assert_eq!(seen, &before, "the live tables changed during the rebuild");
        }

        let rows = || async {
            sqlx::query_as::<_, (String, i64, i64)>("SELECT sku, units, moves FROM shelf")
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .map(|(sku, units, moves)| (sku, (units, moves)))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(rows().await, expected(50));
        let checkpoint: i64 =
            sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = 'shelf'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(checkpoint, 50);
        assert!($shadow_gone, "the shadow was not removed");

        // The stale worker's batch (41..=50, from 40) finds the checkpoint moved.
        let batch = store
            .read_all(ReadAll::from_position(41).limit(10))
            .await
            .unwrap();
        let error = stale.apply(batch, 50).await.unwrap_err();
        assert!(
            matches!(
                error,
                ProjectionError::CheckpointMoved {
                    expected: 40,
                    up_to: 50,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(rows().await, expected(50));

        // A live worker of the new version goes on from the swapped-in checkpoint.
        append(&store, 51, 60).await;
        let mut live = ProjectionRunner::new(
            store.clone(),
            TableTarget::new(pool.clone(), ShelfWithMoves),
        );
        let progress = live.catch_up().await.unwrap();
        assert_eq!((progress.from, progress.checkpoint), (50, 60));
        assert_eq!(rows().await, expected(60));
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rebuild_beside_the_live_tables() {
    let dir = std::env::temp_dir().join(format!("cqrs-sql-shadow-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("read.db");
    let shadow_path = dir.join("read.db.rebuild");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    scenario!(
        pool,
        ShadowTables::<sqlx::Sqlite>::sqlite_file(&shadow_path)
            .await
            .unwrap(),
        !shadow_path.exists()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The read database is `root`, beside the event store's `test` database; the
/// shadow is a schema there.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rebuild_beside_the_live_tables() {
    let Some(read) = support::ReadDatabase::fresh().await else {
        return;
    };
    let shadow_schema = format!("{}_rebuild", read.schema);
    let schema_exists = |name: String| {
        let admin = read.admin.clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            )
            .bind(name)
            .fetch_one(&admin)
            .await
            .unwrap()
        }
    };
    scenario!(
        read.pool.clone(),
        ShadowTables::postgres_schema(&read.pool, &shadow_schema)
            .await
            .unwrap(),
        !schema_exists(shadow_schema.clone()).await
    );
    read.drop_schema().await;
}
