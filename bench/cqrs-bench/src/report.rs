//! The table `cqrs-bench` prints for each store, and the ratios it compares across
//! rounds.

use crate::http_load::HotCartHttp;
use crate::stats::{Figure, Rounds};
use crate::workload::StoreFigures;

/// `figure` as a share of `ceiling` (1.0 is the ceiling), or any ratio of two
/// throughputs.
pub fn share(figure: &Figure, ceiling: &Figure) -> f64 {
    figure.per_second / ceiling.per_second.max(f64::MIN_POSITIVE)
}

/// The p50 time of a load of 100,000 events from a snapshot over that of a load of
/// 100 events without one.
fn snapshot_load_ratio(figures: &StoreFigures) -> f64 {
    figures.load_long_snapshot.p50_us / figures.load_short.p50_us.max(f64::MIN_POSITIVE)
}

/// The ratios the targets are written in, for one store's figures: W of the
/// single-row INSERT ceiling and E of the paged SELECT ceiling (where measured), the
/// cache's gain on the hot cart, and a long load with a snapshot against a short one.
pub fn target_ratios(figures: &StoreFigures) -> Vec<(&'static str, f64)> {
    let mut ratios = Vec::new();
    if let Some(ceiling) = &figures.w_ceiling {
        ratios.push(("W / single-row INSERT ceiling", share(&figures.w, ceiling)));
    }
    if let Some(ceiling) = &figures.e_ceiling {
        ratios.push(("E / paged SELECT ceiling", share(&figures.e, ceiling)));
    }
    ratios.push((
        "hot cart, cache / no cache",
        share(&figures.hot_cached, &figures.hot_uncached),
    ));
    ratios.push((
        "load time, 100k + snapshot / 100 (p50)",
        snapshot_load_ratio(figures),
    ));
    ratios
}

/// Records one round's [`target_ratios`] under the store's name.
pub fn record_round(rounds: &mut Rounds, figures: &StoreFigures) {
    for (label, value) in target_ratios(figures) {
        rounds.record(&format!("{}: {label}", figures.store), value);
    }
}

/// Prints each ratio's median and range after several rounds.
pub fn print_rounds(rounds: &Rounds, count: usize) {
    println!("{count} rounds, each store fresh every round:");
    for (label, spread) in rounds.spreads() {
        println!("  {label:<56} {spread}");
    }
}

/// Prints one store's figures, then its ratios to the ceilings.
pub fn print_figures(figures: &StoreFigures) {
    println!("{}:", figures.store);
    let rows = [
        ("W  commands/s", &figures.w),
        ("R  loads/s", &figures.r),
        ("E  events/s", &figures.e),
        ("Q  queries/s", &figures.q),
        ("hot cart, no cache, commands/s", &figures.hot_uncached),
        ("hot cart, cache, commands/s", &figures.hot_cached),
        ("load, 100 events, loads/s", &figures.load_short),
        ("load, 100k events + snapshot", &figures.load_long_snapshot),
    ];
    let elsewhere = [
        ("E  into a read database, events/s", &figures.e_read_db),
        ("Q  from the read database, q/s", &figures.q_read_db),
        ("R  from the replica, loads/s", &figures.r_replica),
        ("Q  from the replica, q/s", &figures.q_replica),
    ];
    let rows = rows.into_iter().chain(
        elsewhere
            .into_iter()
            .filter_map(|(label, f)| f.as_ref().map(|f| (label, f))),
    );
    for (label, figure) in rows {
        println!(
            "  {label:<32} {:>12.0}   p50 {:>9.1} us   p99 {:>9.1} us",
            figure.per_second, figure.p50_us, figure.p99_us
        );
    }
    if let Some(ceiling) = &figures.w_ceiling {
        println!(
            "  W ceiling: {:.0} single-row INSERTs/s over as many connections; W is {:.0}% of it",
            ceiling.per_second,
            100.0 * share(&figures.w, ceiling)
        );
    }
    if let Some(ceiling) = &figures.e_ceiling {
        println!(
            "  E ceiling: {:.0} rows/s by a plain paged SELECT; E is {:.0}% of it",
            ceiling.per_second,
            100.0 * share(&figures.e, ceiling)
        );
    }
    if let Some(lag) = &figures.live_lag {
        println!(
            "  live lag at {} events/s: p50 {} / p99 {} / max {} positions",
            lag.rate, lag.p50, lag.p99, lag.max
        );
    }
    println!(
        "  cache on the hot cart: {:.1}x the uncached commands/s",
        share(&figures.hot_cached, &figures.hot_uncached)
    );
    println!(
        "  load of 100k events with a snapshot: {:.2}x the time of 100 events (p50)",
        snapshot_load_ratio(figures)
    );
}

/// Prints the hot cart over HTTP.
pub fn print_http(load: &HotCartHttp) {
    println!(
        "  hot cart over HTTP, {} clients: {:.0} acknowledged adds/s (p50 {:.1} ms, p99 {:.1} ms), \
         {} answered 409, {} failed; {} units in the cart for {} acknowledged adds",
        load.clients,
        load.acknowledged_per_second,
        load.p50_us / 1000.0,
        load.p99_us / 1000.0,
        load.conflicts,
        load.failures,
        load.units_in_cart,
        load.acknowledged
    );
}
