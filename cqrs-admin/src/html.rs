//! The pages as HTML text: a shared frame, escaping, and each page's body.

use std::fmt::Write;

use cqrs_core::{RecordedEvent, StreamSummary};

use crate::{ParkedRow, ProjectionRow};

/// Text made safe for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value, percent-encoded (every byte outside
/// `A-Z a-z 0-9 - _ . ~`).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:0;color:#1d2330}\
header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}\
header a{color:#cfe0ff;text-decoration:none}header strong{font-size:16px}\
main{padding:16px 24px}table{border-collapse:collapse;width:100%;margin-top:12px}\
th,td{border-bottom:1px solid #e3e6ee;padding:6px 8px;text-align:left;vertical-align:top}\
th{background:#f4f6fa}td.n{text-align:right;font-variant-numeric:tabular-nums}\
pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}\
form{display:flex;gap:8px}input{padding:4px 6px}.muted{color:#6b7385}\
.lag0{color:#1a7f37}.lagn{color:#b35900}svg{background:#f8f9fb;border:1px solid #e3e6ee}";

/// A whole page: title, navigation, body; `refresh` reloads it every that many
/// seconds (the projections page, so its chart moves without script).
pub(crate) fn page(base: &str, title: &str, body: &str, refresh: Option<u32>) -> String {
    let refresh = refresh
        .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">"))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{refresh}\
         <title>{title} - event store</title><style>{STYLE}</style></head><body>\
         <header><strong>Event store</strong><a href=\"{base}/streams\">Streams</a>\
         <a href=\"{base}/projections\">Projections</a><a href=\"{base}/parked\">Parked</a></header><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    )
}

/// The streams page: a search by prefix, one row per stream, a link to the next page.
pub(crate) fn streams(base: &str, prefix: &str, streams: &[StreamSummary], more: bool) -> String {
    let mut body = format!(
        "<form method=\"get\" action=\"{base}/streams\"><input name=\"prefix\" value=\"{}\" \
         placeholder=\"stream id starts with\" aria-label=\"stream id prefix\"><button>Search</button></form>",
        escape(prefix)
    );
    if streams.is_empty() {
        body.push_str("<p class=\"muted\">No stream matches.</p>");
        return body;
    }
    body.push_str("<table id=\"streams\"><tr><th>stream</th><th>version</th></tr>");
    for stream in streams {
        let _ = write!(
            body,
            "<tr><td><a href=\"{base}/streams/{}\">{}</a></td><td class=\"n\">{}</td></tr>",
            encode(&stream.stream_id),
            escape(&stream.stream_id),
            stream.version
        );
    }
    body.push_str("</table>");
    if let (true, Some(last)) = (more, streams.last()) {
        let _ = write!(
            body,
            "<p><a id=\"next\" href=\"{base}/streams?prefix={}&amp;after={}\">Next page</a></p>",
            encode(prefix),
            encode(&last.stream_id)
        );
    }
    body
}

fn id_link(base: &str, id: Option<cqrs_core::Uuid>) -> String {
    match id {
        Some(id) => format!("<a href=\"{base}/events/{id}\">{id}</a>"),
        None => "<span class=\"muted\">-</span>".to_owned(),
    }
}

/// A stream's events: where, when, what, and why (correlation and causation link
/// to the event they name, when it is an event).
pub(crate) fn events(
    base: &str,
    stream_id: &str,
    events: &[RecordedEvent],
    more: Option<u64>,
) -> String {
    if events.is_empty() {
        return "<p class=\"muted\">This stream has no events.</p>".to_owned();
    }
    let mut body = String::from(
        "<table id=\"events\"><tr><th>version</th><th>position</th><th>event</th><th>recorded (UTC)</th>\
         <th>event id</th><th>correlation</th><th>causation</th><th>payload</th></tr>",
    );
    for event in events {
        let h = &event.header;
        let pretty = serde_json::from_str::<serde_json::Value>(event.payload.as_str())
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| event.payload.as_str().to_owned());
        let _ = write!(
            body,
            "<tr id=\"v{version}\"><td class=\"n\">{version}</td><td class=\"n\">{position}</td>\
             <td>{name} <span class=\"muted\">v{event_version}</span></td><td>{recorded}</td>\
             <td><code>{id}</code></td><td>{correlation}</td><td>{causation}</td><td><pre>{payload}</pre></td></tr>",
            version = h.stream_version,
            position = h.position,
            name = escape(&h.event_name),
            event_version = h.event_version,
            recorded = h.recorded_at.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
            id = h.event_id,
            correlation = id_link(base, h.metadata.correlation_id),
            causation = id_link(base, h.metadata.causation_id),
            payload = escape(&pretty),
        );
    }
    body.push_str("</table>");
    if let Some(next) = more {
        let _ = write!(
            body,
            "<p><a id=\"next\" href=\"{base}/streams/{}?from={next}\">Later events</a></p>",
            encode(stream_id)
        );
    }
    body
}

/// The projections: where each is, how far behind, and its lag over the last
/// minutes as a line.
pub(crate) fn projections(rows: &[ProjectionRow], history: &dyn Fn(&str) -> Vec<u64>) -> String {
    if rows.is_empty() {
        return "<p class=\"muted\">No projection reports here.</p>".to_owned();
    }
    let mut body = String::from(
        "<table id=\"projections\"><tr><th>projection</th><th>state</th><th>checkpoint</th><th>head</th>\
         <th>lag</th><th>lag, last samples</th></tr>",
    );
    for row in rows {
        let lag = row.head.saturating_sub(row.checkpoint);
        let class = if lag == 0 { "lag0" } else { "lagn" };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n {class}\">{lag}</td><td>{}</td></tr>",
            escape(&row.name),
            escape(&row.state),
            row.checkpoint,
            row.head,
            sparkline(&history(&row.name)),
        );
    }
    body.push_str("</table><p class=\"muted\">The page reloads every 2 s.</p>");
    body
}

/// Parked events, each key with a retry and an evict button (plain forms).
pub(crate) fn parked(base: &str, rows: &[ParkedRow]) -> String {
    if rows.is_empty() {
        return "<p class=\"muted\">No event is parked.</p>".to_owned();
    }
    let mut body = String::from(
        "<table id=\"parked\"><tr><th>key</th><th>position</th><th>event</th><th>error</th><th></th></tr>",
    );
    let mut last_key: Option<&str> = None;
    for row in rows {
        let actions = if last_key == Some(row.key.as_str()) {
            String::new()
        } else {
            let key = encode(&row.key);
            format!(
                "<form method=\"post\" action=\"{base}/parked/{key}/retry\"><button>Retry</button></form>\
                 <form method=\"post\" action=\"{base}/parked/{key}/evict\"><button>Evict</button></form>"
            )
        };
        last_key = Some(&row.key);
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td><pre>{}</pre></td><td>{actions}</td></tr>",
            escape(&row.key),
            row.position,
            escape(&row.event_name),
            escape(&row.error),
        );
    }
    body.push_str("</table>");
    body
}

/// A small line chart of lag samples, oldest first, scaled to the largest.
fn sparkline(samples: &[u64]) -> String {
    const W: usize = 240;
    const H: u64 = 40;
    if samples.len() < 2 {
        return "<span class=\"muted\">collecting</span>".to_owned();
    }
    let top = samples.iter().copied().max().unwrap_or(0).max(1);
    let step = W as f64 / (samples.len() - 1) as f64;
    let points: Vec<String> = samples
        .iter()
        .enumerate()
        .map(|(i, lag)| {
            let x = i as f64 * step;
            let y = (H - 2) as f64 - (*lag as f64 / top as f64) * (H - 4) as f64;
            format!("{x:.1},{y:.1}")
        })
        .collect();
    format!(
        "<svg width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"lag, at most {top}\">\
         <polyline fill=\"none\" stroke=\"#3467d6\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        points.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_encoded() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(encode("cart-a b/ü?"), "cart-a%20b%2F%C3%BC%3F");
    }
}
