//! `cart relay` as a real process against the NATS server on this machine: killed
//! with SIGKILL while it publishes and restarted, it leaves the JetStream stream
//! with every event of the log exactly once and in log order; a second service
//! reading that stream builds `top_products` equal to one built from the log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cart::views::ProductPopularity;
use cqrs_core::runner::{MemoryTarget, ProjectionRunner, read_view};
use cqrs_core::{EventStore, LogFollower, ReadAll};
use cqrs_nats::JetStreamFeed;
use support::Backend;

#[cfg_attr(not(nats_tests), ignore = "needs NATS with JetStream: set NATS_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_relay_killed_mid_way() {
    let Some(backend) = Backend::sqlite("relay_killed") else {
        return;
    };
    let store = backend.sqlite_store().await;
    a_relay_killed_mid_way_leaves_every_event_once_in_order(&backend, store).await;
    backend.cleanup().await;
}

#[cfg_attr(
    not(all(nats_tests, postgres_tests)),
    ignore = "needs NATS with JetStream and PostgreSQL: set NATS_URL and DATABASE_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_relay_killed_mid_way() {
    let Some(backend) = Backend::postgres("relay_killed") else {
        return;
    };
    let store = backend.postgres_store().await;
    a_relay_killed_mid_way_leaves_every_event_once_in_order(&backend, store).await;
    backend.cleanup().await;
}

/// A `cart relay` process.
struct RelayProcess(Child);

impl RelayProcess {
    fn start(backend: &Backend, stream: &str, subjects: &str) -> RelayProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cart"));
        match backend {
            Backend::Sqlite(path) => command.arg("--db").arg(path).env_remove("DATABASE_URL"),
            Backend::Postgres { url, schema } => {
                command.args(["--database-url", url, "--schema", schema])
            }
        };
        let nats = std::env::var("NATS_URL").unwrap();
        let child = command
            .args(["relay", "--nats", &nats, "--stream", stream])
            .args(["--subjects", subjects, "--batch-size", "100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        RelayProcess(child)
    }

    /// SIGKILL: no clean-up, no released lease.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn jetstream() -> async_nats::jetstream::Context {
    let client = async_nats::connect(std::env::var("NATS_URL").unwrap())
        .await
        .unwrap();
    async_nats::jetstream::new(client)
}

/// Messages in the stream (0 before the relay created it).
async fn count(stream: &str) -> u64 {
    match jetstream().await.get_stream(stream).await {
        Ok(mut stream) => stream.info().await.unwrap().state.messages,
        Err(_) => 0,
    }
}

/// Waits until the stream holds `at_least` messages.
async fn wait_for(stream: &str, at_least: u64, patience: Duration, poll: Duration) -> u64 {
    let deadline = Instant::now() + patience;
    loop {
        let n = count(stream).await;
        if n >= at_least {
            return n;
        }
        assert!(Instant::now() < deadline, "{n} of {at_least} messages");
        tokio::time::sleep(poll).await;
    }
}

async fn a_relay_killed_mid_way_leaves_every_event_once_in_order<S>(backend: &Backend, store: S)
where
    S: EventStore + LogFollower + Clone,
{
    support::seed_carts(&store, 0, 200, 50).await;
    let log = store
        .read_all(ReadAll::from_position(1).limit(100_000))
        .await
        .unwrap();
    let total = log.len() as u64;
    let id = cqrs_core::Uuid::new_v4().simple().to_string();
    let stream = format!("CART_TEST_{id}");
    let subjects = format!("t{id}.{{aggregate}}.{{event_name}}");

    let relay = RelayProcess::start(backend, &stream, &subjects);
    wait_for(
        &stream,
        1,
        Duration::from_secs(60),
        Duration::from_millis(1),
    )
    .await;
    relay.kill();
    let at_kill = count(&stream).await;
    assert!(
        at_kill < total,
        "killed at {at_kill} of {total}: unfinished"
    );

    let relay = RelayProcess::start(backend, &stream, &subjects);
    wait_for(
        &stream,
        total,
        Duration::from_secs(120),
        Duration::from_millis(50),
    )
    .await;
    // Nothing more arrives: no event twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.kill();
    assert_eq!(count(&stream).await, total);

    let found = jetstream().await.get_stream(&stream).await.unwrap();
    for (sequence, event) in (1..).zip(&log) {
        let message = found.get_raw_message(sequence).await.unwrap();
        let relayed =
            cqrs_nats::headers::recorded_event(sequence, Some(&message.headers), &message.payload)
                .unwrap();
        assert_eq!(&relayed, event, "message {sequence}");
    }

    // Another service builds `top_products` from the stream: the same as from the log.
    let client = async_nats::connect(std::env::var("NATS_URL").unwrap())
        .await
        .unwrap();
    let mut feed = JetStreamFeed::new(client, &stream, "top_products")
        .await
        .unwrap();
    let mut from_stream = MemoryTarget::<ProductPopularity>::new();
    assert_eq!(feed.catch_up_into(&mut from_stream).await.unwrap(), total);
    let mut from_log =
        ProjectionRunner::new(store.clone(), MemoryTarget::<ProductPopularity>::new());
    from_log.catch_up().await.unwrap();
    let view = |t: &MemoryTarget<ProductPopularity>| read_view(&t.view(), Clone::clone);
    assert_eq!(view(&from_stream), view(from_log.target()));
    jetstream().await.delete_stream(&stream).await.unwrap();
}
