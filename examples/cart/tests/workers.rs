//! Projection workers as real processes: killed mid-catch-up, and two at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cart::views::{ProductPopularity, TopProducts};
use cqrs_core::runner::{MemoryTarget, ProjectionRunner, read_view};
use cqrs_core::{EventStore, Projection, QueryHandler, ViewStore};
use support::{Backend, on_every_store_with_store as on_every_store};

/// The read model built from scratch, in this process.
async fn from_scratch<S: EventStore + cqrs_core::LogFollower + Clone>(
    store: &S,
) -> ProductPopularity {
    let target = MemoryTarget::<ProductPopularity>::new();
    let view = target.view();
    ProjectionRunner::new(store.clone(), target)
        .catch_up()
        .await
        .unwrap();
    read_view(&view, Clone::clone)
}

async fn stored<S: ViewStore>(store: &S) -> (u64, Option<ProductPopularity>) {
    match store.load_view(ProductPopularity::NAME).await.unwrap() {
        Some(view) => (
            view.position,
            Some(serde_json::from_value(view.state).unwrap()),
        ),
        None => (0, None),
    }
}

/// A `cart projections run` process, with its status lines.
struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(backend: &Backend, batch_size: usize) -> Worker {
        Self::start_with(backend, batch_size, &[])
    }

    /// A worker with more arguments (such as a read database).
    fn start_with(backend: &Backend, batch_size: usize, extra: &[String]) -> Worker {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cart"));
        command.args(extra);
        match backend {
            Backend::Sqlite(path) => command.arg("--db").arg(path).env_remove("DATABASE_URL"),
            Backend::Postgres { url, schema } => {
                command.args(["--database-url", url, "--schema", schema])
            }
        };
        let mut child = command
            .args([
                "--json",
                "projections",
                "run",
                "--batch-size",
                &batch_size.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Worker { child, lines }
    }

    /// Waits for a status line whose state is `state`.
    fn wait_for_state(&self, state: &str, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let status: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    if status["state"]["state"] == state {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Every state it reported since the last look.
    fn states(&self) -> Vec<String> {
        self.lines
            .try_iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
            .filter_map(|status| status["state"]["state"].as_str().map(str::to_owned))
            .collect()
    }

    /// SIGKILL: no clean-up, no released lease, no last checkpoint.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

on_every_store!(
    a_worker_killed_mid_catch_up_resumes_without_loss_or_double_counting,
    a_worker_killed_mid_batch_into_a_read_database_resumes_exactly_once,
);

/// The table's checkpoint (0 before the first batch).
async fn table_checkpoint(pool: &sqlx::AnyPool) -> u64 {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = 'top_products'")
            .fetch_optional(pool)
            .await
            .unwrap_or(None);
    position.map_or(0, |p| u64::try_from(p).unwrap())
}

/// `top_products` killed with SIGKILL while it writes batches into a read database,
/// restarted: the table holds every event's effect exactly once, as a build from
/// scratch does.
async fn a_worker_killed_mid_batch_into_a_read_database_resumes_exactly_once<S>(
    backend: &Backend,
    store: S,
) where
    S: EventStore + ViewStore + cqrs_core::LogFollower + Clone,
{
    support::seed_carts(&store, 0, 400, 100).await;
    let head = store.head_position().await.unwrap();
    let (url, pool) = backend.read_database().await;
    let args = ["--read-database-url".to_owned(), url.clone()];

    let worker = Worker::start_with(backend, 50, &args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while table_checkpoint(&pool).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never committed a batch"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    worker.kill();
    let after_kill = table_checkpoint(&pool).await;
    assert!(
        after_kill < head,
        "killed at {after_kill}: unfinished (head {head})"
    );

    let worker = Worker::start_with(backend, 50, &args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while table_checkpoint(&pool).await < head {
        assert!(
            Instant::now() < deadline,
            "the restarted worker did not reach the head"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(worker);
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT sku, units, times_added FROM top_products ORDER BY sku")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = from_scratch(&store)
        .await
        .query(TopProducts { limit: 1_000 });
    let mut expected: Vec<(String, i64, i64)> = expected
        .into_iter()
        .map(|p| (p.sku, p.units as i64, p.times_added as i64))
        .collect();
    expected.sort();
    assert_eq!(rows, expected, "the table equals a build from scratch");
    pool.close().await;
    backend.drop_read_database().await;
}

async fn a_worker_killed_mid_catch_up_resumes_without_loss_or_double_counting<S>(
    backend: &Backend,
    store: S,
) where
    S: EventStore + ViewStore + cqrs_core::LogFollower + Clone,
{
    support::seed_carts(&store, 0, 400, 100).await;
    let head = store.head_position().await.unwrap();

    let worker = Worker::start(backend, 50);
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed_at = loop {
        let (position, _) = stored(&store).await;
        if position > 0 {
            break position;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never saved a checkpoint"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    worker.kill();
    let (after_kill, _) = stored(&store).await;
    assert!(
        after_kill < head,
        "killed at {killed_at}: the catch-up must be unfinished (head {head})"
    );

    let worker = Worker::start(backend, 50);
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored(&store).await.0 < head {
        assert!(
            Instant::now() < deadline,
            "the restarted worker did not reach the head"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(worker);
    let (_, view) = stored(&store).await;
    assert_eq!(
        view.unwrap(),
        from_scratch(&store).await,
        "the view equals one built from scratch"
    );
}

/// Two workers on one PostgreSQL schema: one applies events, the other waits; when
/// the active one is killed, the other takes over and continues from the checkpoint.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_one_active_then_takeover() {
    let Some(backend) = Backend::postgres("two_workers") else {
        return;
    };
    let store = backend.postgres_store().await;
    support::seed_carts(&store, 0, 20, 10).await;

    let first = Worker::start(&backend, 100);
    assert!(
        first.wait_for_state("live", Duration::from_secs(30)),
        "the first worker never went live"
    );
    let second = Worker::start(&backend, 100);
    assert!(
        second.wait_for_state("standby", Duration::from_secs(30)),
        "the second worker must wait"
    );

    support::seed_carts(&store, 20, 20, 10).await;
    let head = store.head_position().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stored(&store).await.0 < head {
        assert!(
            Instant::now() < deadline,
            "the active worker did not follow new events"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        second.states().iter().all(|s| s == "standby"),
        "only one worker may apply events"
    );

    let killed = Instant::now();
    first.kill();
    assert!(
        second.wait_for_state("live", Duration::from_secs(15)),
        "the standby worker never took over"
    );
    let takeover = killed.elapsed();
    assert!(
        takeover < Duration::from_secs(10),
        "takeover took {takeover:?}"
    );

    support::seed_carts(&store, 40, 20, 10).await;
    let head = store.head_position().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stored(&store).await.0 < head {
        assert!(
            Instant::now() < deadline,
            "the new active worker did not continue"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(second);
    let (_, view) = stored(&store).await;
    assert_eq!(view.unwrap(), from_scratch(&store).await);
    backend.cleanup().await;
}
