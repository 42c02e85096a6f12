//! A document projection that parks per stream, on every store: an event whose
//! handler keeps failing is set aside with the rest of its stream while the other
//! streams go on; an operator's retry (once the cause is fixed) applies them in
//! order, exactly once; an eviction drops them; a rebuild gives the same view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/stores.rs"]
mod stores;

use std::collections::{BTreeMap, HashSet};
use std::sync::{LazyLock, Mutex};

use cqrs_core::runner::parking::{parked_streams, request_evict, request_retry};
use cqrs_core::runner::{DocumentTarget, ProjectionRunner, error_chain, read_view};
use cqrs_core::{
    DomainEvent, EventHeader, EventStore, ExpectedVersion, HandlerError, Metadata, NewEvent,
    Projection, Store,
};
use serde::{Deserialize, Serialize};
use stores::on_every_store;

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum ShelfEvent {
    #[event(name = "shelf.stocked")]
    Stocked { sku: String, units: u32 },
}

/// Skus the handler refuses, per test (tests run at once on several stores).
static REFUSED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// Units per sku; refuses the skus in `REFUSED`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(name = "shelf", event = ShelfEvent, handles(Stocked))]
struct Shelf {
    units: BTreeMap<String, u32>,
}

impl Shelf {
    fn on_stocked(&mut self, _: &EventHeader, sku: String, units: u32) -> Result<(), HandlerError> {
        if REFUSED.lock().unwrap().contains(&sku) {
            return Err(format!("`{sku}` is refused").into());
        }
        *self.units.entry(sku).or_default() += units;
        Ok(())
    }
}

async fn stock<S: EventStore>(store: &S, stream: &str, sku: &str, units: u32) {
    let event = ShelfEvent::Stocked {
        sku: sku.into(),
        units,
    };
    let event = NewEvent::from_event(&event, Metadata::default()).unwrap();
    store
        .append(stream, ExpectedVersion::Any, vec![event])
        .await
        .unwrap();
}

on_every_store!(a_failing_stream_parks_alone_then_is_retried_or_evicted);

async fn a_failing_stream_parks_alone_then_is_retried_or_evicted<S: Store>(store: S) {
    let poison = format!("poison-{}", uuid::Uuid::new_v4());
    REFUSED.lock().unwrap().insert(poison.clone());
    stock(&store, "shelf-1", "apple", 1).await;
    stock(&store, "shelf-2", &poison, 5).await;
    stock(&store, "shelf-2", "pear", 2).await; // waits behind the poison
    stock(&store, "shelf-3", "apple", 4).await;
    let target = DocumentTarget::<Shelf, S>::new(store.clone()).park_failing_streams(2);
    let view = target.view();
    let mut runner = ProjectionRunner::new(store.clone(), target);

    // The first failure stops the projection, as without parking; the second parks.
    let error = error_chain(&runner.catch_up().await.unwrap_err());
    assert!(error.contains("is refused"), "{error}");
    runner.catch_up().await.unwrap();
    let units = |view: &Shelf| view.units.clone();
    assert_eq!(
        read_view(&view, units),
        BTreeMap::from([("apple".to_owned(), 5)]),
        "the other streams went on"
    );
    let parked = parked_streams(&store, Shelf::NAME).await.unwrap();
    assert_eq!(parked.keys().collect::<Vec<_>>(), ["shelf-2"]);
    let queue = &parked["shelf-2"];
    assert_eq!(queue.len(), 2);
    assert!(queue[0].error.contains("is refused"), "{}", queue[0].error);
    assert!(
        queue[1].error.starts_with("waits behind"),
        "{}",
        queue[1].error
    );
    assert_eq!(runner.status().waiting.parked, 2);
    // Later events of the parked stream queue too; others are applied.
    stock(&store, "shelf-2", "pear", 1).await;
    stock(&store, "shelf-1", "apple", 1).await;
    runner.catch_up().await.unwrap();
    assert_eq!(runner.status().waiting.parked, 3);
    assert_eq!(read_view(&view, units)["apple"], 6);

    // A retry while still refused keeps them parked, with the new error.
    request_retry(&store, Shelf::NAME, "shelf-2").await.unwrap();
    runner.catch_up().await.unwrap();
    assert_eq!(runner.status().waiting.parked, 3);
    // Fixed: the retry applies the stream's events in order, once.
    REFUSED.lock().unwrap().remove(&poison);
    request_retry(&store, Shelf::NAME, "shelf-2").await.unwrap();
    runner.catch_up().await.unwrap();
    assert_eq!(runner.status().waiting.parked, 0);
    assert!(
        parked_streams(&store, Shelf::NAME)
            .await
            .unwrap()
            .is_empty()
    );
    let expected = BTreeMap::from([
        ("apple".to_owned(), 6),
        ("pear".to_owned(), 3),
        (poison.clone(), 5),
    ]);
    assert_eq!(read_view(&view, units), expected);
    // A fresh worker reads the same document; a rebuild from position 0 gives the
    // same view (the retry requests are in the log, in order).
    let target = DocumentTarget::<Shelf, S>::new(store.clone()).park_failing_streams(2);
    let fresh = target.view();
    let mut restarted = ProjectionRunner::new(store.clone(), target);
    restarted.catch_up().await.unwrap();
    assert_eq!(read_view(&fresh, units), expected);
    restarted.rebuild(|_| {}).await.unwrap();
    assert_eq!(read_view(&fresh, units), expected);

    // Evicted: the parked event is dropped, the stream's later events apply.
    let other = format!("poison-{}", uuid::Uuid::new_v4());
    REFUSED.lock().unwrap().insert(other.clone());
    stock(&store, "shelf-4", &other, 7).await;
    for _ in 0..2 {
        let _ = restarted.catch_up().await;
    }
    assert_eq!(restarted.status().waiting.parked, 1);
    request_evict(&store, Shelf::NAME, "shelf-4").await.unwrap();
    stock(&store, "shelf-4", "plum", 1).await;
    restarted.catch_up().await.unwrap();
    assert_eq!(restarted.status().waiting.parked, 0);
    let after = read_view(&fresh, units);
    assert_eq!(after.get(&other), None, "evicted, never applied");
    assert_eq!(after["plum"], 1);
    REFUSED.lock().unwrap().remove(&other);
}
