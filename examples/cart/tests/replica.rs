//! Reads from a PostgreSQL streaming replica: a primary and a replica started for
//! this test (`initdb`, `pg_basebackup`, run as the `postgres` user on free ports,
//! removed afterwards). Writes go to the primary; carts and histories are read
//! from the replica; a read carrying a write's position never sees the replica
//! without that write (it waits, then says how far behind it is); a replica that
//! is gone is a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cart::domain::CartCommand;
use cart::service::{AppError, CartApp};
use cqrs_postgres::{PostgresEventStore, PostgresOptions};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A primary and its streaming replica, stopped and removed when dropped.
struct Cluster {
    dir: PathBuf,
    primary: u16,
    replica: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a PostgreSQL program as the `postgres` user.
fn as_postgres(program: &str, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--", &format!("{BIN}/{program}")])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn start(data: &Path, port: u16, socket_dir: &Path) {
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        socket_dir.display()
    );
    let log = data.with_extension("log");
    as_postgres(
        "pg_ctl",
        &[
            "-D",
            &data.display().to_string(),
            "-l",
            &log.display().to_string(),
            "-o",
            &options,
            "-w",
            "start",
        ],
    );
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "cqrs-replica-{}",
            cqrs_core::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let chown = Command::new("chown")
            .args(["postgres:postgres", &dir.display().to_string()])
            .status()
            .unwrap();
        assert!(chown.success());
        let cluster = Cluster {
            primary: free_port(),
            replica: free_port(),
            dir,
        };
        let primary = cluster.dir.join("primary");
        let replica = cluster.dir.join("replica");
        as_postgres(
            "initdb",
            &[
                "-D",
                &primary.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        start(&primary, cluster.primary, &cluster.dir);
        as_postgres(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.primary.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica.display().to_string(),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        start(&replica, cluster.replica, &cluster.dir);
        cluster
    }

    fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }

    fn stop_replica(&self) {
        let data = self.dir.join("replica").display().to_string();
        as_postgres("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for data in ["replica", "primary"] {
            let data = self.dir.join(data).display().to_string();
            let _ = Command::new("runuser")
                .args([
                    "-u",
                    "postgres",
                    "--",
                    &format!("{BIN}/pg_ctl"),
                    "-D",
                    &data,
                    "-m",
                    "immediate",
                    "stop",
                ])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The replica store, once the replica has replayed the primary's schema.
async fn connect_replica(url: &str) -> PostgresEventStore {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match PostgresOptions::new(url).replica().connect().await {
            Ok(store) => return store,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the replica never served the schema: {error}"),
        }
    }
}

async fn add(app: &CartApp<PostgresEventStore>, sku: &str) -> u64 {
    let command = CartCommand::AddItem {
        sku: sku.into(),
        quantity: 1,
        unit_price_cents: 100,
    };
    app.execute("alice", command, None)
        .await
        .unwrap()
        .position
        .unwrap()
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_a_streaming_replica_see_their_writes_when_they_carry_the_position() {
    let cluster = Cluster::start();
    let primary = PostgresEventStore::connect(&Cluster::url(cluster.primary))
        .await
        .unwrap();
    let replica = connect_replica(&Cluster::url(cluster.replica)).await;
    let app = CartApp::new(primary).replica(replica.clone());

    let first = add(&app, "apple").await;
    app.wait_for_position(first).await.unwrap();
    assert_eq!(app.history("alice").await.unwrap().len(), 1);
    assert_eq!(app.cart("alice").await.unwrap().lines["apple"].quantity, 1);
    // Writes are refused on the replica itself.
    let on_replica = CartApp::new(replica.clone());
    let refused = on_replica
        .execute(
            "bob",
            CartCommand::AddItem {
                sku: "pear".into(),
                quantity: 1,
                unit_price_cents: 1,
            },
            None,
        )
        .await;
    assert!(refused.is_err(), "a replica must not take writes");

    // Replay paused: a read with the new position waits, then says how far behind.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(replica.pool())
        .await
        .unwrap();
    let second = add(&app, "pear").await;
    let behind = app.wait_for_position(second).await.unwrap_err();
    match behind {
        AppError::Behind {
            view,
            position,
            wanted,
        } => {
            assert_eq!((view, wanted), ("replica", second));
            assert!(position < second);
        }
        other => panic!("expected Behind, got {other}"),
    }
    // Without the position, the replica answers with what it has (the old cart).
    assert_eq!(app.history("alice").await.unwrap().len(), 1);
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(replica.pool())
        .await
        .unwrap();
    app.wait_for_position(second).await.unwrap();
    assert_eq!(app.history("alice").await.unwrap().len(), 2);

    // The replica gone: reads fail clearly; writes still go to the primary.
    cluster.stop_replica();
    let gone = app.history("alice").await.unwrap_err();
    assert!(matches!(gone, AppError::Unavailable(_)), "{gone}");
    add(&app, "plum").await;
}
