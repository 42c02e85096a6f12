//! Commands of one process take turns per aggregate, on every store: they never
//! conflict with each other, whatever their number; only another process can cause
//! a conflict, and that is retried within a time bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/stores.rs"]
mod stores;

use std::sync::Arc;

use common::{Cart, CartCommand, CartError, Shop};
use cqrs_core::{CommandError, Repository, RetryPolicy, Store};
use futures_util::FutureExt;
use stores::on_every_store;

fn carts<S: Store>(store: &S) -> Repository<Cart, S> {
    Repository::with_services(store.clone(), Shop::with_prices(&[("apple", 30)]))
}

fn add() -> CartCommand {
    CartCommand::AddItem {
        sku: "apple".into(),
        quantity: 1,
    }
}

/// 64 commands at once on one aggregate through one repository that never retries:
/// not one conflict, every unit counted once.
async fn one_repository_never_conflicts_with_itself<S: Store>(store: S) {
    for cached in [false, true] {
        let stream = if cached { "hot-cached" } else { "hot" };
        let repository = carts(&store).retry_conflicts(RetryPolicy::NEVER);
        let repository = Arc::new(if cached {
            repository.with_cache(16)
        } else {
            repository
        });
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let repository = repository.clone();
                tokio::spawn(async move { repository.execute(stream, add()).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let cart = repository.load(stream).await.unwrap();
        assert_eq!(cart.version, 64);
        assert_eq!(cart.state.lines["apple"], 64);
    }
}

/// Two repositories stand for two processes: their commands can conflict, and with
/// the default policy each is retried until it lands.
async fn two_processes_retry_until_they_land<S: Store>(store: S) {
    let processes = [Arc::new(carts(&store)), Arc::new(carts(&store))];
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let repository = processes[i % 2].clone();
            tokio::spawn(async move { repository.execute("shared", add()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(store.stream_version("cart-shared").await.unwrap(), 32);
}

/// Without retry, a command that loses to another process gets the typed conflict;
/// none is lost or counted twice.
async fn without_retry_another_process_causes_a_conflict<S: Store>(store: S) {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let repository = carts(&store).retry_conflicts(RetryPolicy::NEVER);
            tokio::spawn(async move { repository.execute("contested", add()).await })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => {}
            Err(CommandError::Conflict { stream_id, .. }) => {
                assert_eq!(stream_id, "cart-contested");
                conflicts += 1;
            }
            Err(other) => panic!("{other}"),
        }
    }
    let version = store.stream_version("cart-contested").await.unwrap();
    assert!(version >= 1);
    assert_eq!(conflicts + version, 8, "every command landed or conflicted");
}

/// Commands that wait while another decides are decided by it, in order, on the
/// state its events leave, and written with its events in one append; each gets its
/// own outcome: events with its own causation, a refusal, or nothing.
async fn waiting_commands_are_decided_together_in_one_append<S: Store>(store: S) {
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let shop = Shop {
        barrier: Some(barrier.clone()),
        ..Shop::with_prices(&[("apple", 30)])
    };
    let repository = Repository::<Cart, S>::with_services(store.clone(), shop)
        .with_cache(8)
        .retry_conflicts(RetryPolicy::NEVER);
    // One poll takes the free aggregate: this command decides only once the test
    // passes the barrier.
    let mut holder = Box::pin(repository.execute(
        "batch",
        CartCommand::AddAfterBarrier {
            sku: "apple".into(),
        },
    ));
    assert!((&mut holder).now_or_never().is_none());
    // One poll each queues them behind it.
    let commands = [
        add(),
        CartCommand::AddItem {
            sku: "apple".into(),
            quantity: 0,
        },
        add(),
        CartCommand::Touch,
        add(),
    ];
    let mut waiting: Vec<_> = commands
        .into_iter()
        .map(|command| Box::pin(repository.execute("batch", command)))
        .collect();
    for command in &mut waiting {
        assert!(command.now_or_never().is_none(), "it must wait its turn");
    }
    let (held, outcomes, _) = tokio::join!(
        holder,
        futures_util::future::join_all(waiting),
        barrier.wait()
    );
    let held = held.unwrap();
    let [added_1, refused, added_2, touched, added_3]: [_; 5] = outcomes.try_into().unwrap();
    assert!(matches!(
        refused,
        Err(CommandError::Rejected(CartError::ZeroQuantity))
    ));
    assert_eq!(touched.unwrap(), []);
    let committed: Vec<_> = [held, added_1.unwrap(), added_2.unwrap(), added_3.unwrap()]
        .into_iter()
        .flatten()
        .collect();
    let versions: Vec<u64> = committed.iter().map(|e| e.header.stream_version).collect();
    assert_eq!(versions, [1, 2, 3, 4], "decided in arrival order");
    assert!(
        committed
            .iter()
            .all(|e| e.header.recorded_at == committed[0].header.recorded_at),
        "one append"
    );
    let causes: std::collections::BTreeSet<_> = committed
        .iter()
        .map(|e| e.header.metadata.causation_id)
        .collect();
    assert_eq!(causes.len(), 4, "each command is its events' cause");
    let cart = repository.load("batch").await.unwrap();
    assert_eq!((cart.version, cart.state.lines["apple"]), (4, 4));
    let stored = store.read_stream("cart-batch", 1, 10).await.unwrap();
    let positions: Vec<u64> = stored.iter().map(|e| e.header.position).collect();
    let first = positions[0];
    assert_eq!(positions, (first..first + 4).collect::<Vec<_>>());
}

on_every_store!(
    waiting_commands_are_decided_together_in_one_append,
    one_repository_never_conflicts_with_itself,
    two_processes_retry_until_they_land,
    without_retry_another_process_causes_a_conflict,
);

/// Commands whose callers give up while they wait for their turn pass it on: the
/// others all run, none is left waiting forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_given_up_while_waiting_pass_their_turn_on() {
    let store = cqrs_core::InMemoryEventStore::new();
    let repository = Arc::new(carts(&store).retry_conflicts(RetryPolicy::NEVER));
    for round in 0..20u64 {
        let stream = format!("round-{round}");
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (repository, stream) = (repository.clone(), stream.clone());
                tokio::spawn(async move { repository.execute(&stream, add()).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_micros(round * 50)).await;
        for task in tasks.iter().step_by(3) {
            task.abort();
        }
        let mut landed = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            // A hang-guard, not a measurement: a lost turn would wait forever.
            let outcome = tokio::time::timeout(std::time::Duration::from_secs(20), task)
                .await
                .unwrap_or_else(|_| panic!("round {round}: command {i} never got its turn"));
            match outcome {
                Ok(result) => {
                    result.unwrap();
                    landed += 1;
                }
                Err(error) => assert!(error.is_cancelled() && i % 3 == 0, "{error}"),
            }
        }
        let cart = repository.load(&stream).await.unwrap();
        assert!(cart.version >= landed, "round {round}");
        assert!(cart.version <= 16, "round {round}");
    }
}
