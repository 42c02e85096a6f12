//! `kill -9` of a serving process under concurrent load, on a SQLite file: after a
//! restart every acknowledged add is there, an add that was in flight is there whole
//! or not at all, and the cart view agrees with the log. Loopback only, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cqrs_core::{EventStore, ReadAll};
use cqrs_sqlite::SqliteEventStore;

/// A free loopback port (released for the server to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &Path, port: u16) -> Serving {
    Serving(
        Command::new(env!("CARGO_BIN_EXE_cart"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(answer) = client.get(format!("{base}/health")).send().await
            && answer.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server at {base} never became healthy");
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_adds_survive_kill_9_under_load() {
    let db = TempDb(std::env::temp_dir().join(format!("cart-crash-{}.db", std::process::id())));
    drop(TempDb(db.0.clone()));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = serve(&db.0, port);
    wait_healthy(&client, &base).await;

    // 16 clients add one unit at a time to 4 carts until the server dies.
    let acknowledged = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let load: Vec<_> = (0..16)
        .map(|n| {
            let (client, base) = (client.clone(), base.clone());
            let (acknowledged, sent) = (acknowledged.clone(), sent.clone());
            tokio::spawn(async move {
                let url = format!("{base}/carts/c{}/items", n % 4);
                for _ in 0..500 {
                    sent.fetch_add(1, Ordering::SeqCst);
                    let answer = client
                        .post(&url)
                        .json(&serde_json::json!({"sku": "apple", "quantity": 1, "unit_price_cents": 40}))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status().is_success() => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill once a good share of adds was acknowledged (bounded: at most 20 s).
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.load(Ordering::SeqCst) < 300 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    for task in load {
        task.await.unwrap();
    }
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let sent = sent.load(Ordering::SeqCst);
    assert!(acknowledged > 0, "no add was acknowledged before the kill");

    // Restarted: every acknowledged add is in the log; the rest whole or absent.
    let server = serve(&db.0, port);
    wait_healthy(&client, &base).await;
    let store = SqliteEventStore::open(&db.0).await.unwrap();
    let log = store
        .read_all(ReadAll::from_position(1).limit(100_000))
        .await
        .unwrap();
    let stored = log.len() as u64;
    assert!(
        stored >= acknowledged && stored <= sent,
        "{stored} events for {acknowledged} acknowledged and {sent} sent adds"
    );
    eprintln!("killed after {acknowledged} acknowledged of {sent} sent adds; {stored} stored");
    let positions: Vec<u64> = log.iter().map(|e| e.header.position).collect();
    assert_eq!(positions, (1..=stored).collect::<Vec<_>>(), "gapless");
    // Each cart's view agrees with its stream.
    let mut units = 0;
    for cart in 0..4 {
        let view: serde_json::Value = client
            .get(format!("{base}/carts/c{cart}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let version = store
            .stream_version(&format!("cart-c{cart}"))
            .await
            .unwrap();
        assert_eq!(view["version"], version, "{view}");
        units += view["lines"]["apple"]["quantity"].as_u64().unwrap_or(0);
    }
    assert_eq!(units, stored, "the views count every stored add once");
    drop(server);
}
