//! The relay against the NATS server on this machine (`NATS_URL`): every event in
//! the JetStream stream exactly once and in log order, after a relay stopped in
//! the middle of a page and a stale relay that tried to publish again; two relays
//! with one active; a service reading the stream back builds the same read model as
//! one fed from the log, and a restarted feed goes on where it acknowledged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cqrs_core::runner::{
    CatchUpTarget, MemoryTarget, ProjectionRunner, RunState, RunnerOptions, read_view,
};
use cqrs_core::{
    DomainEvent, EventHeader, EventStore, ExpectedVersion, InMemoryEventStore, Metadata, NewEvent,
    Projection, ReadAll, RecordedEvent,
};
use cqrs_nats::{JetStreamFeed, Relay, RelayError, RelayOptions, SubjectTemplate, headers};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
enum ShopEvent {
    #[event(name = "shop.stocked")]
    Stocked { sku: String, units: u32 },
    #[event(name = "shop.sold")]
    Sold { sku: String, units: u32 },
}

/// Units per product.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = ShopEvent, handles(Stocked, Sold))]
struct Units {
    units: BTreeMap<String, i64>,
}

impl Units {
    fn on_stocked(&mut self, _: &EventHeader, sku: String, units: u32) {
        *self.units.entry(sku).or_default() += i64::from(units);
    }

    fn on_sold(&mut self, _: &EventHeader, sku: String, units: u32) {
        *self.units.entry(sku).or_default() -= i64::from(units);
    }
}

async fn client() -> async_nats::Client {
    let url = std::env::var("NATS_URL").unwrap();
    async_nats::connect(url).await.unwrap()
}

/// A stream and subjects of this test's own.
fn options() -> RelayOptions {
    let id = uuid::Uuid::new_v4().simple().to_string();
    RelayOptions {
        stream: format!("TEST_{id}"),
        subjects: SubjectTemplate::new(&format!("t{id}.{{aggregate}}.{{event_name}}")).unwrap(),
        ..RelayOptions::default()
    }
}

async fn delete_stream(name: &str) {
    let jetstream = async_nats::jetstream::new(client().await);
    jetstream.delete_stream(name).await.unwrap();
}

/// `count` events over shelves and tills, from `first`, correlated.
async fn append(store: &InMemoryEventStore, first: u32, count: u32) {
    for n in first..first + count {
        let (stream, event) = if n % 3 == 0 {
            let sku = format!("sku-{}", n % 4);
            (format!("till-{}", n % 2), ShopEvent::Sold { sku, units: 1 })
        } else {
            let sku = format!("sku-{}", n % 4);
            (
                format!("shelf-{}", n % 5),
                ShopEvent::Stocked { sku, units: n },
            )
        };
        let metadata = Metadata {
            correlation_id: Some(uuid::Uuid::new_v4()),
            ..Metadata::default()
        }
        .with("n", n);
        let event = NewEvent::from_event(&event, metadata).unwrap();
        store
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await
            .unwrap();
    }
}

/// Every message of the stream as the event it carries, in stream order.
async fn stream_contents(name: &str) -> Vec<RecordedEvent> {
    let jetstream = async_nats::jetstream::new(client().await);
    let mut stream = jetstream.get_stream(name).await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut events = Vec::new();
    for sequence in 1..=last {
        let message = stream.get_raw_message(sequence).await.unwrap();
        let event =
            headers::recorded_event(sequence, Some(&message.headers), &message.payload).unwrap();
        events.push(event);
    }
    events
}

async fn log(store: &InMemoryEventStore) -> Vec<RecordedEvent> {
    store
        .read_all(ReadAll::from_position(1).limit(100_000))
        .await
        .unwrap()
}

fn runner(store: &InMemoryEventStore, relay: Relay) -> ProjectionRunner<InMemoryEventStore, Relay> {
    let options = RunnerOptions {
        batch_size: 40,
        ..RunnerOptions::default()
    };
    ProjectionRunner::new(store.clone(), relay).with_options(options)
}

#[cfg_attr(not(nats_tests), ignore = "needs NATS with JetStream: set NATS_URL")]
#[tokio::test]
async fn every_event_once_in_order_after_a_stop_mid_page_and_a_stale_relay() {
    let options = options();
    let store = InMemoryEventStore::new();
    append(&store, 1, 100).await;

    // A relay that published 25 events of its first page of 40, then stopped.
    let mut stopped = Relay::new(client().await, options.clone()).await.unwrap();
    assert_eq!(stopped.checkpoint().await.unwrap(), 0);
    let first = log(&store).await.into_iter().take(25).collect::<Vec<_>>();
    stopped.apply(first, 25).await.unwrap();
    // Another that read the stream's state before the restart below.
    let mut stale = Relay::new(client().await, options.clone()).await.unwrap();
    assert_eq!(stale.checkpoint().await.unwrap(), 25);

    // The restarted relay goes on after the last stored message.
    let relay = Relay::new(client().await, options.clone()).await.unwrap();
    let mut restarted = runner(&store, relay);
    let progress = restarted.catch_up().await.unwrap();
    assert_eq!(
        (progress.from, progress.checkpoint, progress.events),
        (25, 100, 75)
    );

    // The stale one tries to publish 26..=40 again: JetStream refuses, nothing lands.
    let again = log(&store)
        .await
        .into_iter()
        .skip(25)
        .take(15)
        .collect::<Vec<_>>();
    let error = stale.apply(again, 40).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("publish the event at position 26"),
        "{error}"
    );

    append(&store, 101, 20).await;
    restarted.catch_up().await.unwrap();
    let relayed = stream_contents(&options.stream).await;
    assert_eq!(
        relayed,
        log(&store).await,
        "every event once, in log order, as stored"
    );
    // The stream checks out against this log, not against another one.
    let mut checking = Relay::new(client().await, options.clone()).await.unwrap();
    checking.check_log(&store).await.unwrap();
    let other = InMemoryEventStore::new();
    append(&other, 1, 130).await;
    let error = checking.check_log(&other).await.unwrap_err();
    assert!(
        matches!(error, RelayError::AnotherLog { position: 120, .. }),
        "{error}"
    );
    let subject_of = |position: u64| {
        let header = &relayed[position as usize - 1].header;
        options.subjects.subject(header)
    };
    assert!(
        subject_of(3).ends_with(".till.shop.sold"),
        "{}",
        subject_of(3)
    );
    delete_stream(&options.stream).await;
}

#[cfg_attr(not(nats_tests), ignore = "needs NATS with JetStream: set NATS_URL")]
#[tokio::test]
async fn two_relays_one_active() {
    let options = options();
    let store = InMemoryEventStore::new();
    append(&store, 1, 50).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut statuses = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let mut runner = runner(
            &store,
            Relay::new(client().await, options.clone()).await.unwrap(),
        );
        statuses.push(runner.watch_status());
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            runner
                .run_exclusive(Duration::from_millis(100), shutdown)
                .await;
        }));
    }
    append(&store, 51, 50).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while stream_contents(&options.stream).await.len() < 100 {
        assert!(
            Instant::now() < deadline,
            "the relays did not publish everything"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let states: Vec<RunState> = statuses.iter().map(|s| s.borrow().state.clone()).collect();
    let standby = states.iter().filter(|s| **s == RunState::Standby).count();
    assert_eq!(standby, 1, "{states:?}");
    stop.send(true).unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(stream_contents(&options.stream).await, log(&store).await);
    delete_stream(&options.stream).await;
}

#[cfg_attr(not(nats_tests), ignore = "needs NATS with JetStream: set NATS_URL")]
#[tokio::test]
async fn a_service_reading_the_stream_builds_what_the_log_builds() {
    let options = RelayOptions {
        // Only the shelves: a filter by aggregate.
        aggregates: Some(vec!["shelf".into()]),
        ..options()
    };
    let store = InMemoryEventStore::new();
    append(&store, 1, 90).await;
    let mut relay = runner(
        &store,
        Relay::new(client().await, options.clone()).await.unwrap(),
    );
    relay.catch_up().await.unwrap();

    // From the log, the shelves only.
    let shelves = InMemoryEventStore::new();
    for event in log(&store).await {
        if event.header.stream_id.starts_with("shelf-") {
            let header = &event.header;
            let new = NewEvent::new(
                &*header.event_name,
                header.event_version,
                event.payload.clone(),
            );
            shelves
                .append(&event.header.stream_id, ExpectedVersion::Any, vec![new])
                .await
                .unwrap();
        }
    }
    let mut from_log = ProjectionRunner::new(shelves.clone(), MemoryTarget::<Units>::new());
    from_log.catch_up().await.unwrap();

    let durable = format!("units_{}", uuid::Uuid::new_v4().simple());
    let mut feed = JetStreamFeed::new(client().await, &options.stream, &durable)
        .await
        .unwrap()
        .with_batch_size(16);
    let mut target = MemoryTarget::<Units>::new();
    let applied = feed.catch_up_into(&mut target).await.unwrap();
    assert_eq!(applied, 60, "the 60 shelf events of 90");
    let view = |t: &MemoryTarget<Units>| read_view(&t.view(), |v| v.units.clone());
    assert_eq!(view(&target), view(from_log.target()));

    // Typed, from a second durable consumer: headers and events as stored.
    let mut typed =
        JetStreamFeed::new(client().await, &options.stream, &format!("{durable}_typed"))
            .await
            .unwrap();
    let batch = typed.fetch::<ShopEvent>().await.unwrap();
    let stored = log(&store).await;
    let first = &batch.events[0];
    let original = stored
        .iter()
        .find(|e| e.header.position == first.header.position)
        .unwrap();
    assert_eq!(first.header, original.header);
    assert_eq!(
        first.event,
        original
            .header
            .decode_payload::<ShopEvent>(&original.payload)
            .unwrap()
    );
    batch.ack().await.unwrap();

    // More events; a restarted feed (same durable name) takes only the new ones.
    append(&store, 91, 30).await;
    relay.catch_up().await.unwrap();
    let mut restarted = JetStreamFeed::new(client().await, &options.stream, &durable)
        .await
        .unwrap();
    assert_eq!(restarted.catch_up_into(&mut target).await.unwrap(), 20);
    let expected: usize = log(&store)
        .await
        .iter()
        .filter(|e| e.header.stream_id.starts_with("shelf-"))
        .count();
    assert_eq!(expected, 80);
    delete_stream(&options.stream).await;
}
