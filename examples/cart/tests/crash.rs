//! `kill -9` of a serving process under concurrent load, on SQLite and (with
//! `DATABASE_URL`) PostgreSQL: after a restart every acknowledged add is there, an
//! add that was in flight is there whole or not at all, and both read models agree
//! with the log. Loopback only, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::Backend;
use support::client::on_every_store;

on_every_store!(acknowledged_adds_survive_kill_9_under_load);

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

fn serve(backend: &Backend, port: u16) -> Serving {
    Serving(
        Command::new(env!("CARGO_BIN_EXE_cart"))
            .args(backend.cli_args())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

async fn get_json(client: &reqwest::Client, url: String) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
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

async fn acknowledged_adds_survive_kill_9_under_load(backend: &Backend) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = serve(backend, port);
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
    let server = serve(backend, port);
    wait_healthy(&client, &base).await;
    let carts: Vec<String> = (0..4).map(|cart| format!("cart-c{cart}")).collect();
    let (log, versions) = backend.log_and_versions(&carts).await;
    let stored = log.len() as u64;
    assert!(
        stored >= acknowledged && stored <= sent,
        "{stored} events for {acknowledged} acknowledged and {sent} sent adds"
    );
    eprintln!("killed after {acknowledged} acknowledged of {sent} sent adds; {stored} stored");
    let positions: Vec<u64> = log.iter().map(|e| e.header.position).collect();
    // In order, each once; PostgreSQL leaves the positions of appends the kill cut
    // short unused.
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions out of order or repeated: {positions:?}"
    );
    // Each cart's view agrees with its stream, and `top_products` with the log.
    let mut units = 0;
    for (cart, version) in versions.into_iter().enumerate() {
        let view = get_json(&client, format!("{base}/carts/c{cart}")).await;
        assert_eq!(view["version"], version, "{view}");
        units += view["lines"]["apple"]["quantity"].as_u64().unwrap_or(0);
    }
    assert_eq!(units, stored, "the views count every stored add once");
    let top = get_json(
        &client,
        format!("{base}/products/top?min_position={stored}"),
    )
    .await;
    assert_eq!(top[0]["sku"], "apple", "{top}");
    assert_eq!(
        top[0]["units"], stored,
        "top_products counts every stored add once"
    );
    drop(server);
}
