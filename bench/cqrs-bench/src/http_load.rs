//! The hot cart over HTTP: many clients adding to one cart at once, without
//! `If-Match`, through the cart's real HTTP API on loopback.
//!
//! What a user of the cart would see: how many adds are acknowledged per second, how
//! many answers are `409 Conflict`, and whether the cart holds exactly one unit per
//! acknowledged add (none lost, none doubled).

use std::sync::Arc;
use std::time::Instant;

use cart::service::CartApp;
use cqrs_core::Store;
use serde::Serialize;
use tokio::net::TcpListener;

/// What the load came to.
#[derive(Debug, Clone, Serialize)]
pub struct HotCartHttp {
    /// Concurrent clients.
    pub clients: usize,
    /// `200` answers per second over the whole run.
    pub acknowledged_per_second: f64,
    /// Median time from request to answer, every answer counted, in microseconds.
    pub p50_us: f64,
    /// 99th percentile of the same.
    pub p99_us: f64,
    /// `200` answers.
    pub acknowledged: usize,
    /// `409` answers.
    pub conflicts: usize,
    /// Any other answer or a failed request.
    pub failures: usize,
    /// Units in the cart afterwards, read over HTTP; equals `acknowledged` when none
    /// was lost or doubled.
    pub units_in_cart: u64,
}

/// Serves the cart on a loopback port and runs `clients` clients, each adding one
/// unit `adds_each` times to the same cart.
pub async fn hot_cart_over_http<S: Store>(
    store: S,
    clients: usize,
    adds_each: usize,
) -> HotCartHttp {
    let app = Arc::new(CartApp::new(store));
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(error) => panic!("cannot listen on loopback: {error}"),
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => panic!("no local address: {error}"),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cart::http::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let url = format!("http://{address}/carts/hot/items");
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut counts = (0usize, 0usize, 0usize);
                let mut latencies = Vec::with_capacity(adds_each);
                for _ in 0..adds_each {
                    let began = Instant::now();
                    let answer = client
                        .post(&url)
                        .json(&serde_json::json!({
                            "sku": "apple", "quantity": 1, "unit_price_cents": 40
                        }))
                        .send()
                        .await;
                    latencies.push(began.elapsed());
                    match answer.map(|a| a.status().as_u16()) {
                        Ok(200) => counts.0 += 1,
                        Ok(409) => counts.1 += 1,
                        _ => counts.2 += 1,
                    }
                }
                (counts, latencies)
            })
        })
        .collect();
    let (mut acknowledged, mut conflicts, mut failures) = (0, 0, 0);
    let mut latencies = Vec::with_capacity(clients * adds_each);
    for task in tasks {
        let ((ok, conflict, failed), mut taken) =
            task.await.unwrap_or(((0, 0, adds_each), Vec::new()));
        acknowledged += ok;
        conflicts += conflict;
        failures += failed;
        latencies.append(&mut taken);
    }
    let elapsed = started.elapsed();
    let answered = latencies.len() as u64;
    let latency = crate::stats::Figure::new(answered, elapsed, latencies);
    let elapsed = elapsed.as_secs_f64();
    let cart: serde_json::Value = match client
        .get(format!("http://{address}/carts/hot"))
        .send()
        .await
    {
        Ok(answer) => answer.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    };
    let units_in_cart = cart["lines"]["apple"]["quantity"].as_u64().unwrap_or(0);
    let _ = stop.send(());
    let _ = server.await;
    HotCartHttp {
        clients,
        acknowledged_per_second: acknowledged as f64 / elapsed.max(f64::MIN_POSITIVE),
        p50_us: latency.p50_us,
        p99_us: latency.p99_us,
        acknowledged,
        conflicts,
        failures,
        units_in_cart,
    }
}
