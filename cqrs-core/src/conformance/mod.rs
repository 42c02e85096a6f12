//! The conformance suite every event store runs (feature `conformance`).
//!
//! A store crate calls [`event_store_conformance!`](crate::event_store_conformance)
//! once in its tests with a factory that makes a fresh, empty store per test (and
//! optionally a teardown); the macro writes one `#[test]` per check below, so a
//! failure names the guarantee that broke.
//!
//! ```ignore
//! async fn fresh(test: &'static str) -> Option<MyStore> { Some(MyStore::open_temp(test).await) }
//! cqrs_core::event_store_conformance!(fresh);
//! ```

mod append;
mod concurrency;
mod idempotency;
mod inline;
mod payloads;
mod read_all;
mod side_stores;

use std::future::Future;

use serde_json::json;

pub use append::*;
pub use concurrency::*;
pub use idempotency::*;
pub use inline::*;
pub use payloads::*;
pub use read_all::*;
pub use side_stores::*;

use crate::envelope::NewEvent;

/// What the suite needs from a store: the one bound applications write.
pub use crate::store::Store as ConformingStore;

/// Runs one check on a fresh store in a multi-threaded runtime, then tears it down,
/// also when the check fails. A factory that returns `None` skips the check (it
/// should print why).
pub fn run<S, F, Fut, C, CFut, T, TFut>(factory: F, test: &'static str, check: C, teardown: T)
where
    S: ConformingStore,
    F: FnOnce(&'static str) -> Fut,
    Fut: Future<Output = Option<S>>,
    C: FnOnce(S) -> CFut,
    CFut: Future<Output = ()> + Send + 'static,
    T: FnOnce(S) -> TFut,
    TFut: Future<Output = ()>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("cannot start a tokio runtime for `{test}`: {error}"),
    };
    runtime.block_on(async move {
        let Some(store) = factory(test).await else {
            return;
        };
        let outcome = tokio::spawn(check(store.clone())).await;
        teardown(store).await;
        if let Err(error) = outcome {
            match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("check `{test}` did not finish: {error}"),
            }
        }
    });
}

/// A teardown that does nothing.
pub async fn no_teardown<S>(_: S) {}

/// One event with a JSON payload, a fresh id and default metadata.
pub fn new_event(name: &str, payload: serde_json::Value) -> NewEvent {
    NewEvent::new(name, 1, payload)
}

/// `count` events named `name`, with payloads `{"n": start..}`.
pub fn numbered_events(name: &str, start: u64, count: u64) -> Vec<NewEvent> {
    (start..start + count)
        .map(|n| new_event(name, json!({ "n": n })))
        .collect()
}

/// Writes one `#[test]` per conformance check for the store made by `$factory`.
///
/// `$factory` is an `async fn(&'static str) -> Option<Store>` given the test's name
/// (use it to isolate the test: a schema, a file); `$teardown`, if given, is an
/// `async fn(Store)` run after the check, pass or fail.
#[macro_export]
macro_rules! event_store_conformance {
    ($factory:path) => {
        $crate::event_store_conformance!($factory, $crate::conformance::no_teardown);
    };
    ($factory:path, $teardown:path) => {
        $crate::event_store_conformance!(@tests $factory, $teardown;
            append_and_read_back,
            read_stream_from_version_and_limit,
            empty_append_is_refused,
            expected_version_any,
            expected_version_no_stream,
            expected_version_stream_exists,
            expected_version_exact,
            conflict_leaves_no_partial_append,
            same_expected_version_exactly_one_wins,
            concurrent_writers_lose_no_update,
            a_burst_of_appends_fails_only_its_bad_members,
            many_streams_in_parallel,
            read_all_in_order_with_pagination,
            read_all_filters_by_event_name,
            head_position_follows_appends,
            idempotent_append_by_event_id,
            events_are_located_by_id,
            partially_repeated_event_ids_are_refused,
            event_id_reused_in_another_stream_is_refused,
            unicode_and_large_payloads,
            metadata_round_trips,
            hostile_stream_ids_are_stored_verbatim,
            hundred_thousand_events_read_back_in_order,
            snapshots_save_load_replace,
            views_save_load_replace,
            followers_wake_when_events_commit,
            inline_documents_change_with_the_append,
            a_refusing_inline_view_refuses_the_append,
            inline_documents_rebuild_from_the_log
        );
    };
    (@tests $factory:path, $teardown:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::run(
                    $factory,
                    stringify!($check),
                    |store| async move { $crate::conformance::$check(&store).await },
                    $teardown,
                );
            }
        )*
    };
}
