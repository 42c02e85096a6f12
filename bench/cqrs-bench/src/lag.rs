//! How far a live projection trails the log under a steady write load.

use std::time::{Duration, Instant};

use cart::domain::CartEvent;
use cart::views::ProductPopularity;
use cqrs_core::runner::{MemoryTarget, ProjectionRunner, RunnerOptions};
use cqrs_core::{ExpectedVersion, Metadata, NewEvent};
use serde::Serialize;

use crate::workload::BenchStore;

/// Positions between the head and the projection's checkpoint, sampled after every
/// append.
#[derive(Debug, Clone, Serialize)]
pub struct Lag {
    /// Events appended per second.
    pub rate: usize,
    /// Median lag, in positions.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// The largest sample.
    pub max: u64,
}

/// Appends `rate` events a second (a batch every 10 ms) for `seconds` while a live
/// `top_products` projection follows the log.
pub async fn live_lag<S: BenchStore>(store: S, rate: usize, seconds: u64) -> Lag {
    let target = MemoryTarget::<ProductPopularity>::new();
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_millis(500),
        ..RunnerOptions::default()
    });
    if let Err(error) = runner.catch_up().await {
        panic!("the live projection failed to catch up: {error}");
    }
    let status = runner.watch_status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run_until(async {
                let _ = stopped.await;
            })
            .await
    });
    let per_tick = (rate / 100).max(1);
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let events = (n..n + per_tick)
            .map(|n| {
                let event = CartEvent::ItemAdded {
                    sku: format!("sku-{}", n % 50),
                    quantity: 1,
                    unit_price_cents: 100 + (n % 50) as u64,
                };
                match NewEvent::from_event(&event, Metadata::default()) {
                    Ok(event) => event,
                    Err(error) => panic!("cannot encode a cart event: {error}"),
                }
            })
            .collect();
        n += per_tick;
        let stream = format!("cart-live-{}", n % 50);
        let appended = match store.append(&stream, ExpectedVersion::Any, events).await {
            Ok(appended) => appended,
            Err(error) => panic!("a live append failed: {error}"),
        };
        let head = appended.positions.last().copied().unwrap_or(0);
        samples.push(head.saturating_sub(status.borrow().checkpoint));
    }
    let _ = stop.send(());
    let _ = running.await;
    samples.sort_unstable();
    let pick = |q: f64| {
        samples
            .get(((samples.len().max(1) - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    Lag {
        rate,
        p50: pick(0.5),
        p99: pick(0.99),
        max: samples.last().copied().unwrap_or(0),
    }
}
