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

/// The median and range of one ratio over several rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest value.
    pub low: f64,
    /// The largest value.
    pub high: f64,
}

impl Spread {
    /// The spread of `values`; `None` when there are none.
    ///
    /// ```
    /// use cqrs_bench::stats::Spread;
    ///
    /// let spread = Spread::of(&[1.2, 0.8, 1.0, 3.0]).unwrap();
    /// assert_eq!((spread.median, spread.low, spread.high), (1.1, 0.8, 3.0));
    /// assert!(Spread::of(&[]).is_none());
    /// ```
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (&low, &high) = (sorted.first()?, sorted.last()?);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(Spread { median, low, high })
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:>7.2}x   range {:.2}x - {:.2}x",
            self.median, self.low, self.high
        )
    }
}

/// Ratios taken once per round, by name, in the order first recorded.
#[derive(Debug, Default, Clone)]
pub struct Rounds {
    rows: Vec<(String, Vec<f64>)>,
}

impl Rounds {
    /// Adds this round's value of the ratio named `label`.
    pub fn record(&mut self, label: &str, value: f64) {
        match self.rows.iter_mut().find(|(name, _)| name == label) {
            Some((_, values)) => values.push(value),
            None => self.rows.push((label.to_owned(), vec![value])),
        }
    }

    /// Each ratio with its spread over the rounds.
    pub fn spreads(&self) -> Vec<(&str, Spread)> {
        self.rows
            .iter()
            .filter_map(|(label, values)| Some((label.as_str(), Spread::of(values)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_keep_each_ratio_apart() {
        let mut rounds = Rounds::default();
        for (w, e) in [(0.5, 0.9), (0.7, 0.6), (0.6, 0.8)] {
            rounds.record("W / ceiling", w);
            rounds.record("E / ceiling", e);
        }
        let spreads = rounds.spreads();
        assert_eq!(spreads[0].0, "W / ceiling");
        assert_eq!(spreads[0].1.median, 0.6);
        assert_eq!((spreads[1].1.low, spreads[1].1.high), (0.6, 0.9));
    }

    #[test]
    fn percentiles_of_a_known_spread() {
        let latencies: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let figure = Figure::new(100, Duration::from_secs(2), latencies);
        assert_eq!(figure.per_second, 50.0);
        assert_eq!(figure.p50_us.round(), 51.0);
        assert_eq!(figure.p99_us.round(), 99.0);
    }
}
