use serde_json::json;

use super::ConformingStore;
use super::append::must;
use crate::store::Snapshot;

/// The latest snapshot per stream is kept; a new one replaces it.
pub async fn snapshots_save_load_replace<S: ConformingStore>(store: &S) {
    assert_eq!(must(store.load_snapshot("cart-1").await), None);
    let first = Snapshot {
        stream_id: "cart-1".into(),
        version: 10,
        state: json!({ "items": { "apple": 2 }, "note": "ünïcødé" }),
    };
    must(store.save_snapshot(first.clone()).await);
    assert_eq!(must(store.load_snapshot("cart-1").await), Some(first));
    let second = Snapshot {
        stream_id: "cart-1".into(),
        version: 20,
        state: json!({ "items": {} }),
    };
    must(store.save_snapshot(second.clone()).await);
    assert_eq!(must(store.load_snapshot("cart-1").await), Some(second));
    assert_eq!(must(store.load_snapshot("cart-2").await), None);
}

/// A projection's checkpoint starts at 0 and keeps the last saved position.
pub async fn checkpoints_save_load_replace<S: ConformingStore>(store: &S) {
    assert_eq!(must(store.load_checkpoint("top_products").await), 0);
    must(store.save_checkpoint("top_products", 42).await);
    must(store.save_checkpoint("other", 7).await);
    assert_eq!(must(store.load_checkpoint("top_products").await), 42);
    must(store.save_checkpoint("top_products", 99).await);
    assert_eq!(must(store.load_checkpoint("top_products").await), 99);
    assert_eq!(must(store.load_checkpoint("other").await), 7);
}
