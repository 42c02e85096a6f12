//! Throughput and latency percentiles of one measured phase.

use std::time::Duration;

use serde::Serialize;

/// One figure: how many operations in how long, and how long each took.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Operations done (commands, loads, events or queries).
    pub operations: u64,
    /// Wall time of the whole phase, in seconds.
    pub seconds: f64,
    /// Operations per second over the phase.
    pub per_second: f64,
    /// Median latency of one operation (or one batch, for E), in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: f64,
}

impl Figure {
    /// The figure for `operations` done in `elapsed`, with per-operation `latencies`.
    pub fn new(operations: u64, elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let seconds = elapsed.as_secs_f64();
        Figure {
            operations,
            seconds,
            per_second: if seconds > 0.0 {
                operations as f64 / seconds
            } else {
                0.0
            },
            p50_us: percentile(&latencies, 0.50),
            p99_us: percentile(&latencies, 0.99),
        }
    }
}

/// The value at `q` (0..=1) of sorted latencies, in microseconds; 0 when empty.
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let latencies: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let figure = Figure::new(100, Duration::from_secs(2), latencies);
        assert_eq!(figure.per_second, 50.0);
        assert_eq!(figure.p50_us.round(), 51.0);
        assert_eq!(figure.p99_us.round(), 99.0);
    }
}
