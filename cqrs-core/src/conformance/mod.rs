//! The conformance suite every event store runs (feature `conformance`).
//!
//! A store crate calls [`event_store_conformance!`](crate::event_store_conformance)
//! once in its tests; the macro writes one `#[test]` per check below, so a failure
//! names the guarantee that broke. It takes four functions: a factory that makes a
//! fresh, empty store per test, a teardown, a second handle on the same storage (as
//! another process or node would open it), and a real fault that makes writes fail
//! until it is lifted (a full disk, a failing commit).
//!
//! ```ignore
//! async fn fresh(test: &'static str) -> Option<MyStore> { Some(MyStore::open_temp(test).await) }
//! async fn remove(store: MyStore) { store.remove_files().await }
//! async fn reopen(store: MyStore) -> MyStore { MyStore::open(store.path()).await.unwrap() }
//! async fn fill_disk(store: MyStore, full: bool) { store.set_size_limit(full).await }
//! cqrs_core::event_store_conformance! {
//!     fresh: fresh,
//!     teardown: remove,
//!     another_handle: reopen,
//!     fail_writes: fill_disk,
//! }
//! ```

mod append;
mod concurrency;
mod faults;
mod handles;
mod idempotency;
mod inline;
mod payloads;
mod read_all;
mod side_stores;

use std::future::Future;
use std::pin::Pin;

use serde_json::json;

pub use append::*;
pub use concurrency::*;
pub use faults::*;
pub use handles::*;
pub use idempotency::*;
pub use inline::*;
pub use payloads::*;
pub use read_all::*;
pub use side_stores::*;

use crate::envelope::NewEvent;

/// What the suite needs from a store: the one bound applications write.
pub use crate::store::Store as ConformingStore;

/// A boxed future, as the harness's functions return them.
pub type BoxedFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the suite needs beyond a store's own API, from the store's test crate.
#[derive(Clone, Copy)]
pub struct Harness<S> {
    /// Opens another handle on the storage of the given store: its own connections
    /// and no inline views registered, as another process would have.
    pub another_handle: fn(S) -> BoxedFuture<S>,
    /// `true`: from now on writes fail for a real reason (a full disk, a commit the
    /// database refuses); `false`: the reason is gone.
    pub fail_writes: fn(S, bool) -> BoxedFuture<()>,
}

impl<S: Clone> Harness<S> {
    /// Another handle on the same storage.
    pub async fn another_handle(&self, store: &S) -> S {
        (self.another_handle)(store.clone()).await
    }

    /// Makes writes fail, or work again.
    pub async fn fail_writes(&self, store: &S, fail: bool) {
        (self.fail_writes)(store.clone(), fail).await
    }
}

/// Runs one check on a fresh store in a multi-threaded runtime, then tears it down,
/// also when the check fails. A factory that returns `None` skips the check (it
/// should print why).
pub fn run<S, F, Fut, C, CFut, T, TFut>(
    factory: F,
    test: &'static str,
    harness: Harness<S>,
    check: C,
    teardown: T,
) where
    S: ConformingStore,
    F: FnOnce(&'static str) -> Fut,
    Fut: Future<Output = Option<S>>,
    C: FnOnce(S, Harness<S>) -> CFut,
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
        let outcome = tokio::spawn(check(store.clone(), harness)).await;
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

/// The value under `key` in a stored payload (`Null` when absent or not JSON).
pub fn payload_field(payload: &crate::Payload, key: &str) -> serde_json::Value {
    payload
        .to_value()
        .ok()
        .and_then(|mut value| value.get_mut(key).map(serde_json::Value::take))
        .unwrap_or_default()
}

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

/// Writes one `#[test]` per conformance check for the store made by `fresh`.
///
/// `fresh` is an `async fn(&'static str) -> Option<Store>` given the test's name (use
/// it to isolate the test: a schema, a file); `teardown` an `async fn(Store)` run
/// after the check, pass or fail; `another_handle` an `async fn(Store) -> Store`
/// opening the same storage again; `fail_writes` an `async fn(Store, bool)`.
/// Attributes written before `fresh` go on every test, e.g.
/// `#[cfg_attr(not(postgres_tests), ignore = "set DATABASE_URL")]` for a store that
/// needs a server.
#[macro_export]
macro_rules! event_store_conformance {
    (
        $(#[$attr:meta])*
        fresh: $factory:path,
        teardown: $teardown:path,
        another_handle: $another:path,
        fail_writes: $fail:path $(,)?
    ) => {
        $crate::event_store_conformance!(@tests $factory, $teardown, $another, $fail;
            attrs: [$(#[$attr])*],
            plain: [
                append_and_read_back,
                read_stream_from_version_and_limit,
                streams_are_listed_by_prefix_in_id_order,
                empty_append_is_refused,
                expected_version_any,
                expected_version_no_stream,
                expected_version_stream_exists,
                expected_version_exact,
                conflict_leaves_no_partial_append,
                same_expected_version_exactly_one_wins,
                concurrent_writers_lose_no_update,
                a_burst_of_appends_fails_only_its_bad_members,
                callers_that_give_up_take_no_other_append_down,
                many_streams_in_parallel,
                read_all_in_order_with_pagination,
                read_all_filters_by_event_name,
                head_position_follows_appends,
                idempotent_append_by_event_id,
                events_are_located_by_id,
                partially_repeated_event_ids_are_refused,
                event_id_reused_in_another_stream_is_refused,
                an_event_id_twice_in_one_append_is_refused,
                event_versions_up_to_u32_max_round_trip,
                unicode_and_large_payloads,
                text_no_store_can_keep_is_refused_alike,
                metadata_round_trips,
                hostile_stream_ids_are_stored_verbatim,
                hundred_thousand_events_read_back_in_order,
                snapshots_save_load_replace,
                views_save_load_replace,
                followers_wake_when_events_commit,
                inline_documents_change_with_the_append,
                a_refusing_inline_view_refuses_the_append,
                inline_documents_rebuild_from_the_log,
                registering_an_inline_view_twice_counts_once,
            ],
            harness: [
                inline_documents_catch_up_with_appends_of_other_handles,
                writers_on_two_handles_lose_no_update,
                a_second_handle_sees_the_same_store,
                writes_work_again_after_failed_commits,
            ]
        );
    };
    (@test [$(#[$attr:meta])*] $name:ident $body:block) => {
        $(#[$attr])*
        #[test]
        fn $name() $body
    };
    (@harness $another:path, $fail:path) => {
        $crate::conformance::Harness {
            another_handle: |store| {
                ::std::boxed::Box::pin($another(store)) as $crate::conformance::BoxedFuture<_>
            },
            fail_writes: |store, fail| {
                ::std::boxed::Box::pin($fail(store, fail)) as $crate::conformance::BoxedFuture<()>
            },
        }
    };
    (@tests $factory:path, $teardown:path, $another:path, $fail:path;
        attrs: $attrs:tt,
        plain: [$($check:ident),* $(,)?],
        harness: [$($harnessed:ident),* $(,)?]
    ) => {
        $(
            $crate::event_store_conformance!(@test $attrs $check {
                $crate::conformance::run(
                    $factory,
                    stringify!($check),
                    $crate::event_store_conformance!(@harness $another, $fail),
                    |store, _| async move { $crate::conformance::$check(&store).await },
                    $teardown,
                );
            });
        )*
        $(
            $crate::event_store_conformance!(@test $attrs $harnessed {
                $crate::conformance::run(
                    $factory,
                    stringify!($harnessed),
                    $crate::event_store_conformance!(@harness $another, $fail),
                    |store, harness| async move {
                        $crate::conformance::$harnessed(&store, &harness).await
                    },
                    $teardown,
                );
            });
        )*
    };
}
