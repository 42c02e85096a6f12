//! An SVG bar chart of the figures, one group per figure, one bar per store.
//!
//! Written by hand: a few rectangles and labels, where a plotting crate would bring
//! a font stack to the build.

use std::fmt::Write;

use crate::workload::StoreFigures;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 420.0;
const MARGIN: f64 = 60.0;
const COLOURS: [&str; 4] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"];

/// Reads one figure's operations per second.
type PerSecond = fn(&StoreFigures) -> f64;

/// Reads the machine's ceiling for a figure, where the run measured one.
type Ceiling = fn(&StoreFigures) -> Option<f64>;

/// A number as a bar's label: `950`, `12.3k`, `4.5M`.
fn compact(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if value >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// The chart: operations per second on a logarithmic axis, so figures that differ
/// by orders of magnitude stay readable; each bar labelled with its value, and the
/// machine's ceilings (W: single-row `INSERT`s, E: a plain paged `SELECT`) drawn
/// as dashed lines over their store's bar.
pub fn svg(results: &[StoreFigures], title: &str) -> String {
    let groups: [(&str, PerSecond); 6] = [
        ("W commands/s", |f| f.w.per_second),
        ("R loads/s", |f| f.r.per_second),
        ("E events/s", |f| f.e.per_second),
        ("Q queries/s", |f| f.q.per_second),
        ("hot cart, no cache", |f| f.hot_uncached.per_second),
        ("hot cart, cache", |f| f.hot_cached.per_second),
    ];
    let max = results
        .iter()
        .flat_map(|r| groups.iter().map(move |(_, get)| get(r)))
        .fold(10.0_f64, f64::max);
    let top = max.log10().ceil();
    let plot_height = HEIGHT - 2.0 * MARGIN;
    let y = |value: f64| {
        let scaled = if value > 1.0 {
            value.log10() / top
        } else {
            0.0
        };
        HEIGHT - MARGIN - scaled * plot_height
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="24" font-size="16" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    for power in 0..=top as i32 {
        let value = 10f64.powi(power);
        let line_y = y(value.max(1.0001));
        let _ = writeln!(
            out,
            r##"<line x1="{MARGIN}" x2="{}" y1="{line_y:.1}" y2="{line_y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">1e{power}</text>"##,
            WIDTH - 10.0,
            MARGIN - 6.0,
            line_y + 4.0
        );
    }
    let group_width = (WIDTH - MARGIN - 10.0) / groups.len() as f64;
    let bar_width = (group_width - 20.0) / results.len().max(1) as f64;
    let ceilings: [Option<Ceiling>; 6] = [
        Some(|f| f.w_ceiling.as_ref().map(|c| c.per_second)),
        None,
        Some(|f| f.e_ceiling.as_ref().map(|c| c.per_second)),
        None,
        None,
        None,
    ];
    for (g, (label, get)) in groups.iter().enumerate() {
        let x0 = MARGIN + g as f64 * group_width + 10.0;
        for (s, result) in results.iter().enumerate() {
            let value = get(result);
            let bar_y = y(value);
            let bar_x = x0 + s as f64 * bar_width;
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                bar_x + (bar_width - 2.0) / 2.0,
                bar_y - 3.0,
                compact(value)
            );
            if let Some(ceiling) = ceilings[g].and_then(|get| get(result)) {
                let line_y = y(ceiling);
                let _ = writeln!(
                    out,
                    r##"<line x1="{bar_x:.1}" x2="{:.1}" y1="{line_y:.1}" y2="{line_y:.1}" stroke="#222" stroke-dasharray="4 2"><title>{} ceiling: {ceiling:.0}</title></line>"##,
                    bar_x + bar_width - 2.0,
                    escape(&result.store)
                );
            }
            let _ = writeln!(
                out,
                r#"<rect x="{bar_x:.1}" y="{bar_y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {value:.0}</title></rect>"#,
                bar_width - 2.0,
                HEIGHT - MARGIN - bar_y,
                COLOURS[s % COLOURS.len()],
                escape(&result.store)
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x0 + (group_width - 20.0) / 2.0,
            HEIGHT - MARGIN + 18.0,
            escape(label)
        );
    }
    for (s, result) in results.iter().enumerate() {
        let x = MARGIN + 10.0 + s as f64 * 160.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            HEIGHT - 24.0,
            COLOURS[s % COLOURS.len()],
            x + 16.0,
            HEIGHT - 14.0,
            escape(&result.store)
        );
    }
    let _ = writeln!(
        out,
        r##"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#222" stroke-dasharray="4 2"/><text x="{}" y="{}">the machine's ceiling</text>"##,
        WIDTH - 230.0,
        WIDTH - 200.0,
        HEIGHT - 18.0,
        HEIGHT - 18.0,
        WIDTH - 194.0,
        HEIGHT - 14.0
    );
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn bar_labels_are_short() {
        assert_eq!(compact(950.4), "950");
        assert_eq!(compact(2_511.0), "2.5k");
        assert_eq!(compact(153_686.0), "154k");
        assert_eq!(compact(4_985_021.0), "5.0M");
    }
}
