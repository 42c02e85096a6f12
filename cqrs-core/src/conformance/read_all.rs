use serde_json::json;

use super::append::must;
use super::{ConformingStore, new_event, numbered_events, payload_field};
use crate::envelope::RecordedEvent;
use crate::store::ReadAll;
use crate::version::ExpectedVersion;

async fn interleaved<S: ConformingStore>(store: &S) {
    for round in 0..5 {
        for stream in ["a", "b", "c"] {
            let name = if round % 2 == 0 { "Even" } else { "Odd" };
            let event = new_event(name, json!({ "stream": stream, "round": round }));
            must(
                store
                    .append(stream, ExpectedVersion::Any, vec![event])
                    .await,
            );
        }
    }
}

/// Reading the global log page by page yields every event once, in position order.
pub async fn read_all_in_order_with_pagination<S: ConformingStore>(store: &S) {
    interleaved(store).await;
    let everything = must(store.read_all(ReadAll::from_position(1).limit(1_000)).await);
    assert_eq!(everything.len(), 15);
    assert!(
        everything
            .windows(2)
            .all(|w| w[0].header.position < w[1].header.position)
    );
    let order: Vec<(String, u64)> = everything
        .iter()
        .map(|e| {
            (
                e.header.stream_id.to_string(),
                payload_field(&e.payload, "round").as_u64().unwrap_or(99),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = (0..5)
        .flat_map(|round| ["a", "b", "c"].map(|s| (s.to_owned(), round)))
        .collect();
    assert_eq!(order, expected, "the global log must keep commit order");

    let mut paged: Vec<RecordedEvent> = Vec::new();
    let mut from = 1;
    loop {
        let page = must(store.read_all(ReadAll::from_position(from).limit(4)).await);
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        from = last.header.position + 1;
        paged.extend(page);
    }
    assert_eq!(paged, everything);
    let tail = must(
        store
            .read_all(ReadAll::from_position(everything[10].header.position).limit(100))
            .await,
    );
    assert_eq!(tail, everything[10..]);
}

/// A name filter returns only those events, still in order, and pages by matching events.
pub async fn read_all_filters_by_event_name<S: ConformingStore>(store: &S) {
    interleaved(store).await;
    let odd = must(
        store
            .read_all(ReadAll::from_position(1).only(["Odd"]))
            .await,
    );
    assert_eq!(odd.len(), 6);
    assert!(odd.iter().all(|e| e.header.event_name == "Odd"));
    assert!(
        odd.windows(2)
            .all(|w| w[0].header.position < w[1].header.position)
    );
    let page = must(
        store
            .read_all(ReadAll::from_position(1).only(["Even"]).limit(2))
            .await,
    );
    assert_eq!(page.len(), 2);
    let both = must(
        store
            .read_all(ReadAll::from_position(1).only(["Odd", "Even"]))
            .await,
    );
    assert_eq!(both.len(), 15);
    let none = must(
        store
            .read_all(ReadAll::from_position(1).only(["Missing"]))
            .await,
    );
    assert!(none.is_empty());
}

/// The head position is 0 for an empty store and then the newest event's position.
pub async fn head_position_follows_appends<S: ConformingStore>(store: &S) {
    assert_eq!(must(store.head_position().await), 0);
    let result = must(
        store
            .append("s", ExpectedVersion::Any, numbered_events("N", 1, 3))
            .await,
    );
    assert_eq!(must(store.head_position().await), result.positions[2]);
}
