//! A real server on a free loopback port, and stores to run it on.
#![allow(dead_code)]

pub(crate) mod client;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cart::service::CartApp;
use cqrs_core::Store;
use cqrs_postgres::{PostgresEventStore, PostgresOptions, testing};
use cqrs_sqlite::SqliteEventStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The HTTP server, running until dropped or stopped.
pub(crate) struct Server {
    pub(crate) base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub(crate) async fn start<S: Store>(store: S) -> Server {
        Server::start_with(store, cart::http::OperatorAccess::loopback_only()).await
    }

    /// [`Server::start`] with who may use the operator's endpoints.
    pub(crate) async fn start_with<S: Store>(
        store: S,
        access: cart::http::OperatorAccess,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let (stop_worker, worker_stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
            let _ = stop_worker.send(());
        };
        // As `cart serve` does: a worker keeps `top_products` up to date.
        let app = CartApp::with_worker(store, async move {
            let _ = worker_stopped.await;
        });
        let task = tokio::spawn(cart::http::serve_with(
            listener,
            Arc::new(app),
            access,
            shutdown,
        ));
        Server {
            base,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops gracefully and waits until the server has finished.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Where a test's events live, so a restarted server can find them again.
#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Backend {
    pub(crate) fn sqlite(test: &str) -> Option<Backend> {
        let path = std::env::temp_dir().join(format!("cart-http-{test}-{}.db", std::process::id()));
        remove_sqlite(&path);
        Some(Backend::Sqlite(path))
    }

    pub(crate) fn postgres(test: &str) -> Option<Backend> {
        Some(Backend::Postgres {
            url: testing::database_url(test)?,
            schema: testing::unique_schema("cart_test"),
        })
    }

    pub(crate) async fn sqlite_store(&self) -> SqliteEventStore {
        match self {
            Backend::Sqlite(path) => SqliteEventStore::open(path).await.unwrap(),
            Backend::Postgres { .. } => unreachable!("not a SQLite backend"),
        }
    }

    pub(crate) async fn postgres_store(&self) -> PostgresEventStore {
        match self {
            Backend::Postgres { url, schema } => PostgresOptions::new(url)
                .schema(schema)
                .connect()
                .await
                .unwrap(),
            Backend::Sqlite(_) => unreachable!("not a PostgreSQL backend"),
        }
    }

    /// The `cart` arguments that open this backend, for a server in a process of
    /// its own.
    pub(crate) fn cli_args(&self) -> Vec<String> {
        match self {
            Backend::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            Backend::Postgres { url, schema } => vec![
                "--database-url".into(),
                url.clone(),
                "--schema".into(),
                schema.clone(),
            ],
        }
    }

    /// The whole log, and each listed stream's version, read straight from the store.
    pub(crate) async fn log_and_versions(
        &self,
        streams: &[String],
    ) -> (Vec<cqrs_core::RecordedEvent>, Vec<u64>) {
        async fn read<S: Store>(
            store: S,
            streams: &[String],
        ) -> (Vec<cqrs_core::RecordedEvent>, Vec<u64>) {
            use cqrs_core::ReadAll;
            let log = store
                .read_all(ReadAll::from_position(1).limit(1_000_000))
                .await
                .unwrap();
            let mut versions = Vec::new();
            for stream in streams {
                versions.push(store.stream_version(stream).await.unwrap());
            }
            (log, versions)
        }
        match self {
            Backend::Sqlite(_) => read(self.sqlite_store().await, streams).await,
            Backend::Postgres { .. } => read(self.postgres_store().await, streams).await,
        }
    }

    /// Starts a server on this backend.
    pub(crate) async fn serve(&self) -> Server {
        self.serve_with(cart::http::OperatorAccess::loopback_only())
            .await
    }

    /// [`Backend::serve`] with who may use the operator's endpoints.
    pub(crate) async fn serve_with(&self, access: cart::http::OperatorAccess) -> Server {
        match self {
            Backend::Sqlite(_) => Server::start_with(self.sqlite_store().await, access).await,
            Backend::Postgres { .. } => {
                Server::start_with(self.postgres_store().await, access).await
            }
        }
    }

    /// Appends an event straight to the store, as a process without the cart's
    /// views (a script, an import) would.
    pub(crate) async fn append_directly(
        &self,
        stream_id: &str,
        expected: cqrs_core::ExpectedVersion,
        event: cqrs_core::NewEvent,
    ) {
        use cqrs_core::EventStore;
        match self {
            Backend::Sqlite(_) => {
                self.sqlite_store()
                    .await
                    .append(stream_id, expected, vec![event])
                    .await
            }
            Backend::Postgres { .. } => {
                self.postgres_store()
                    .await
                    .append(stream_id, expected, vec![event])
                    .await
            }
        }
        .unwrap();
    }

    /// A read database beside this backend's event store: a second SQLite file, or
    /// a fresh schema in PostgreSQL's `root` database (the event store's is `test`);
    /// its URL and a pool. [`drop_read_database`](Self::drop_read_database) removes it.
    pub(crate) async fn read_database(&self) -> (String, sqlx::AnyPool) {
        sqlx::any::install_default_drivers();
        let url = match self {
            Backend::Sqlite(path) => format!("sqlite://{}-read.db?mode=rwc", path.display()),
            Backend::Postgres { url, schema } => {
                let root = root_database(url);
                let admin = sqlx::PgPool::connect(&root).await.unwrap();
                sqlx::query(&format!("CREATE SCHEMA {schema}_read"))
                    .execute(&admin)
                    .await
                    .unwrap();
                format!("{root}?options=-c%20search_path%3D{schema}_read")
            }
        };
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        (url, pool)
    }

    /// Removes what [`read_database`](Self::read_database) made.
    pub(crate) async fn drop_read_database(&self) {
        match self {
            Backend::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}-read.db{suffix}", path.display()));
                }
            }
            Backend::Postgres { url, schema } => {
                let admin = sqlx::PgPool::connect(&root_database(url)).await.unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema}_read CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
            }
        }
    }

    pub(crate) async fn cleanup(&self) {
        match self {
            Backend::Sqlite(path) => remove_sqlite(path),
            Backend::Postgres { .. } => testing::drop_schema(self.postgres_store().await).await,
        }
    }
}

/// The same server's `root` database.
fn root_database(url: &str) -> String {
    match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/root"),
        None => url.to_owned(),
    }
}

fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// One test per store for `async fn scenario<S>(backend: &Backend, store: S)`.
#[allow(unused_macros)]
macro_rules! on_every_store_with_store {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some(backend) = super::Backend::sqlite(stringify!($scenario)) else { return };
                    let store = backend.sqlite_store().await;
                    super::$scenario(&backend, store).await;
                    backend.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some(backend) = super::Backend::postgres(stringify!($scenario)) else { return };
                    let store = backend.postgres_store().await;
                    super::$scenario(&backend, store).await;
                    backend.cleanup().await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_every_store_with_store;

/// Appends `carts` carts (from `first_cart`) of `per_cart` `ItemAdded` events over
/// 12 products, one append per cart.
pub(crate) async fn seed_carts<S: cqrs_core::EventStore>(
    store: &S,
    first_cart: usize,
    carts: usize,
    per_cart: usize,
) {
    for cart in first_cart..first_cart + carts {
        let events = (0..per_cart)
            .map(|n| {
                let event = cart::domain::CartEvent::ItemAdded {
                    sku: format!("sku-{}", (cart * 7 + n) % 12),
                    quantity: 1 + (n % 3) as u32,
                    unit_price_cents: 100,
                };
                cqrs_core::NewEvent::from_event(&event, cqrs_core::Metadata::default()).unwrap()
            })
            .collect();
        store
            .append(
                &format!("cart-{cart}"),
                cqrs_core::ExpectedVersion::Any,
                events,
            )
            .await
            .unwrap();
    }
}
