use chrono::{TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use super::append::must;
use super::{ConformingStore, new_event, numbered_events, payload_field};
use crate::metadata::Metadata;
use crate::store::{ReadAll, StoreError};
use crate::version::ExpectedVersion;

/// Unicode of every width and a 1 MiB payload come back byte for byte.
pub async fn unicode_and_large_payloads<S: ConformingStore>(store: &S) {
    let unicode = json!({
        "text": "🛒 Ünïcødé — 中文 — עִבְרִית — \\ backslash \"quotes\" \n\t control",
        "nested": { "emoji": ["👩‍👩‍👧", "🇨🇭"], "number": 1.5e300, "negative": -42 }
    });
    let large = json!({ "blob": "x".repeat(1024 * 1024) });
    let events = vec![
        new_event("Unicode", unicode.clone()),
        new_event("Large", large.clone()),
    ];
    must(
        store
            .append("payloads", ExpectedVersion::NoStream, events)
            .await,
    );
    let read = must(store.read_stream("payloads", 1, 10).await);
    assert_eq!(read[0].payload, unicode);
    assert_eq!(read[1].payload, large);
}

/// Correlation, causation, timestamp and application values come back unchanged.
pub async fn metadata_round_trips<S: ConformingStore>(store: &S) {
    let metadata = Metadata {
        correlation_id: Some(Uuid::new_v4()),
        causation_id: Some(Uuid::new_v4()),
        timestamp: Utc
            .with_ymd_and_hms(2026, 11, 26, 12, 30, 45)
            .single()
            .unwrap_or_default(),
        extra: [
            ("user".to_owned(), json!("ada")),
            ("ip".to_owned(), json!([127, 0, 0, 1])),
        ]
        .into(),
    };
    let mut event = new_event("WithMetadata", json!({}));
    event.metadata = metadata.clone();
    let before = Utc::now();
    must(
        store
            .append("meta", ExpectedVersion::NoStream, vec![event])
            .await,
    );
    let read = must(store.read_stream("meta", 1, 1).await);
    assert_eq!(read[0].header.metadata, metadata);
    let recorded = read[0].header.recorded_at;
    assert!(
        recorded >= before - chrono::Duration::seconds(5)
            && recorded <= Utc::now() + chrono::Duration::seconds(5),
        "recorded_at {recorded} is not the time of the append"
    );
}

/// Stream ids with quotes, `%`, `;`, SQL and unicode are stored as given, and a
/// pattern character in one id matches no other stream.
pub async fn hostile_stream_ids_are_stored_verbatim<S: ConformingStore>(store: &S) {
    let ids = [
        "it's",
        "\"double\"",
        "100%",
        "%",
        "_",
        "a;b",
        "'; DROP TABLE events; --",
        "SELECT * FROM streams",
        "back\\slash",
        "ünïcødé-🛒",
        " leading and trailing ",
    ];
    for (n, id) in ids.iter().enumerate() {
        must(
            store
                .append(
                    id,
                    ExpectedVersion::NoStream,
                    numbered_events("N", n as u64, 1),
                )
                .await,
        );
    }
    for (n, id) in ids.iter().enumerate() {
        let read = must(store.read_stream(id, 1, 10).await);
        assert_eq!(
            read.len(),
            1,
            "stream {id:?} must hold exactly its own event"
        );
        assert_eq!(read[0].header.stream_id, *id);
        assert_eq!(payload_field(&read[0].payload, "n"), n as u64);
        assert_eq!(must(store.stream_version(id).await), 1);
    }
    let all = must(store.read_all(ReadAll::from_position(1)).await);
    let stored: Vec<&str> = all.iter().map(|e| e.header.stream_id.as_str()).collect();
    assert_eq!(stored, ids);
}

/// 100,000 events read back, in pages, in exactly the order they were appended.
pub async fn hundred_thousand_events_read_back_in_order<S: ConformingStore>(store: &S) {
    const BATCH: u64 = 1_000;
    const TOTAL: u64 = 100_000;
    for batch in 0..TOTAL / BATCH {
        let stream = format!("bulk-{}", batch % 10);
        let events: Vec<_> = (batch * BATCH..(batch + 1) * BATCH)
            .map(|n| new_event("Bulk", json!({ "n": n })))
            .collect();
        must(store.append(&stream, ExpectedVersion::Any, events).await);
    }
    let mut next = 0;
    let mut from = 1;
    loop {
        let page = must(
            store
                .read_all(ReadAll::from_position(from).limit(5_000))
                .await,
        );
        let Some(last) = page.last() else { break };
        from = last.header.position + 1;
        for event in &page {
            assert_eq!(
                payload_field(&event.payload, "n"),
                next,
                "event {next} is out of order"
            );
            next += 1;
        }
    }
    assert_eq!(next, TOTAL);
    assert_eq!(must(store.stream_version("bulk-3").await), TOTAL / 10);
}

/// Text no store can keep (U+0000) is refused by every store alike, wherever it is:
/// stream id, event name, payload string or key, metadata; nothing is written.
pub async fn text_no_store_can_keep_is_refused_alike<S: ConformingStore>(store: &S) {
    let nul_in_key = serde_json::from_str::<serde_json::Value>(r#"{"a\u0000b": 1}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut in_metadata = new_event("Fine", json!({}));
    in_metadata.metadata = Metadata::default().with("note", "a\u{0}b");
    let appends = [
        ("nul\u{0}stream", new_event("Fine", json!({}))),
        ("s", new_event("Na\u{0}me", json!({}))),
        ("s", new_event("Fine", json!({ "text": "a\u{0}b" }))),
        ("s", new_event("Fine", json!([{ "deep": ["a\u{0}b"] }]))),
        ("s", new_event("Fine", nul_in_key)),
        ("s", in_metadata),
    ];
    for (stream, event) in appends {
        match store
            .append(stream, ExpectedVersion::Any, vec![event])
            .await
        {
            Err(StoreError::Unstorable { reason, .. }) => {
                assert!(reason.contains("U+0000"), "{reason}");
            }
            other => panic!("expected the append to {stream:?} to be refused, got {other:?}"),
        }
    }
    assert_eq!(must(store.head_position().await), 0);
    assert_eq!(must(store.stream_version("s").await), 0);
}
