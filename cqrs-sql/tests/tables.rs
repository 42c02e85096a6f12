//! A table projection in a read database of its own, SQLite and PostgreSQL (the
//! `root` database, not the event store's): a batch that fails leaves neither rows
//! nor checkpoint behind; after the fix every event's effect is there once; a
//! restarted worker adds nothing; a rebuild gives the same tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Mutex;

use cqrs_core::runner::{ProjectionRunner, RunnerOptions, error_chain};
use cqrs_core::{
    DomainEvent, EventHeader, EventStore, ExpectedVersion, HandlerError, InMemoryEventStore,
    Metadata, NewEvent,
};
use cqrs_sql::{TableProjection, TableTarget};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum ShelfEvent {
    #[event(name = "shelf.stocked")]
    Stocked { sku: String, units: u32 },
    #[event(name = "shelf.sold")]
    Sold { sku: String, units: u32 },
}

/// Units on the shelf per product; refuses the sku in `refused` while it is set.
#[derive(Default)]
struct Shelf {
    refused: Mutex<Option<String>>,
}

const UPSERT: &str = "INSERT INTO shelf (sku, units) VALUES ($1, $2)
    ON CONFLICT (sku) DO UPDATE SET units = shelf.units + excluded.units";

macro_rules! shelf_for {
    ($db:ty, $conn:ty) => {
        impl TableProjection<$db> for Shelf {
            const NAME: &'static str = "shelf";
            type Event = ShelfEvent;
            const SCHEMA: &'static [&'static str] = &[
                "CREATE TABLE IF NOT EXISTS shelf (sku TEXT PRIMARY KEY, units BIGINT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS shelf_by_units ON shelf (units)",
            ];
            const CLEAR: &'static [&'static str] = &["DELETE FROM shelf"];

            async fn apply(
                &self,
                db: &mut $conn,
                _: &EventHeader,
                event: ShelfEvent,
            ) -> Result<(), HandlerError> {
                let (sku, units) = match event {
                    ShelfEvent::Stocked { sku, units } => (sku, i64::from(units)),
                    ShelfEvent::Sold { sku, units } => (sku, -i64::from(units)),
                };
                // Written first, so a refusal below must roll it back.
                sqlx::query(UPSERT)
                    .bind(&sku)
                    .bind(units)
                    .execute(&mut *db)
                    .await?;
                if self.refused.lock().unwrap().as_deref() == Some(sku.as_str()) {
                    return Err(format!("`{sku}` is refused").into());
                }
                Ok(())
            }
        }
    };
}

shelf_for!(sqlx::Sqlite, sqlx::SqliteConnection);
shelf_for!(sqlx::Postgres, sqlx::PgConnection);

/// 60 events over 6 products, `poison` stocked at position 25; the units per sku.
async fn seed(store: &InMemoryEventStore) -> BTreeMap<String, i64> {
    let mut expected = BTreeMap::new();
    for n in 1..=60u32 {
        let sku = if n == 25 {
            "poison".to_owned()
        } else {
            format!("sku-{}", n % 6)
        };
        let event = if n % 5 == 0 {
            ShelfEvent::Sold {
                sku: sku.clone(),
                units: 1,
            }
        } else {
            ShelfEvent::Stocked {
                sku: sku.clone(),
                units: n,
            }
        };
        *expected.entry(sku).or_default() += match &event {
            ShelfEvent::Stocked { units, .. } => i64::from(*units),
            ShelfEvent::Sold { units, .. } => -i64::from(*units),
        };
        let event = NewEvent::from_event(&event, Metadata::default()).unwrap();
        store
            .append(
                &format!("shelf-{}", n % 4),
                ExpectedVersion::Any,
                vec![event],
            )
            .await
            .unwrap();
    }
    expected
}

macro_rules! scenario {
    ($pool:expr) => {{
        let pool = $pool;
        let store = InMemoryEventStore::new();
        let expected = seed(&store).await;
        let shelf = Shelf::default();
        *shelf.refused.lock().unwrap() = Some("poison".into());
        let options = RunnerOptions {
            batch_size: 10,
            ..RunnerOptions::default()
        };
        let mut runner =
            ProjectionRunner::new(store.clone(), TableTarget::new(pool.clone(), shelf))
                .with_options(options.clone());
        let error = error_chain(&runner.catch_up().await.unwrap_err());
        assert!(error.contains("`poison` is refused"), "{error}");
        // Batches of 10: the one holding position 25 left nothing behind.
        let checkpoint: i64 =
            sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = 'shelf'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(checkpoint, 20);
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT sku, units FROM shelf")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert!(rows.iter().all(|(sku, _)| sku != "poison"), "{rows:?}");
        let up_to_20: i64 = (1..=20i64).map(|n| if n % 5 == 0 { -1 } else { n }).sum();
        assert_eq!(rows.iter().map(|(_, units)| units).sum::<i64>(), up_to_20);

        // Fixed: every effect once; a restarted worker adds nothing; a rebuild too.
        let shelf = Shelf::default();
        let mut runner =
            ProjectionRunner::new(store.clone(), TableTarget::new(pool.clone(), shelf))
                .with_options(options);
        runner.catch_up().await.unwrap();
        let read = || async {
            sqlx::query_as::<_, (String, i64)>("SELECT sku, units FROM shelf")
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect::<BTreeMap<String, i64>>()
        };
        assert_eq!(read().await, expected);
        runner.catch_up().await.unwrap();
        assert_eq!(read().await, expected);
        runner.rebuild(|_| {}).await.unwrap();
        assert_eq!(read().await, expected);
    }};
}

#[tokio::test]
async fn sqlite_read_database() {
    let path = std::env::temp_dir().join(format!("cqrs-sql-{}.db", uuid::Uuid::new_v4()));
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    scenario!(pool);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The read database is `root`, beside the event store's `test` database.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn postgres_read_database() {
    let Some(read) = support::ReadDatabase::fresh().await else {
        return;
    };
    scenario!(read.pool.clone());
    read.drop_schema().await;
}
