use std::collections::HashMap;
use std::fmt::Debug;

use super::FixtureLog;
use super::aggregate::stored;
use crate::event::DomainEvent;
use crate::process::{ProcessManager, Route, state_to_handle};
use crate::projection::HandlerError;

/// Tests a process manager: given events, when one more arrives, then the commands
/// it sends. Events are routed to their instances as the runner routes them (a
/// `Continue` without an instance and events for a finished instance are ignored),
/// and each is checked to survive storage. Async handlers are run to completion; a
/// handler that fails leaves its instance as it was, as the runner does.
///
/// ```
/// # use cqrs_core::doc_example::*;
/// use cqrs_core::process::{ProcessManager, Route};
/// use cqrs_core::testing::ProcessFixture;
/// use cqrs_core::{EventHeader, HandlerError};
///
/// /// Asks for a receipt once a cart is checked out, if it held anything.
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Receipts { items: u32 }
///
/// impl ProcessManager for Receipts {
///     const NAME: &'static str = "receipts";
///     type Event = CartEvent;
///     type Command = String;
///
///     fn route(header: &EventHeader, _: &CartEvent) -> Route {
///         Route::Start(header.stream_id.to_string())
///     }
///
///     async fn handle(
///         &mut self,
///         header: &EventHeader,
///         event: CartEvent,
///     ) -> Result<Vec<String>, HandlerError> {
///         Ok(match event {
///             CartEvent::ItemAdded { quantity, .. } => { self.items += quantity; Vec::new() }
///             CartEvent::CheckedOut if self.items > 0 => vec![format!("receipt for {}", header.stream_id)],
///             CartEvent::CheckedOut => Vec::new(),
///         })
///     }
/// }
///
/// ProcessFixture::<Receipts>::new()
///     .given_on("cart-1", [CartEvent::ItemAdded { sku: "apple".into(), quantity: 2 }])
///     .when_on("cart-1", CartEvent::CheckedOut)
///     .then_expect_commands(["receipt for cart-1".to_owned()]);
/// ProcessFixture::<Receipts>::new()
///     .when_on("cart-2", CartEvent::CheckedOut)
///     .then_expect_commands([]);
/// ```
pub struct ProcessFixture<P: ProcessManager> {
    instances: HashMap<String, (P, bool)>,
    log: FixtureLog,
    sent: Vec<P::Command>,
    failed: Option<HandlerError>,
}

impl<P: ProcessManager> Default for ProcessFixture<P> {
    fn default() -> Self {
        ProcessFixture {
            instances: HashMap::new(),
            log: FixtureLog::default(),
            sent: Vec::new(),
            failed: None,
        }
    }
}

impl<P: ProcessManager> ProcessFixture<P> {
    /// No instances yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events that happened before, in stream `stream_id`; their commands are dropped.
    /// Each may be of any type the manager's event converts from (for a derived
    /// manager that reads several event enums, any of them).
    ///
    /// # Panics
    ///
    /// When a handler fails.
    #[track_caller]
    pub fn given_on<E: Into<P::Event>>(
        mut self,
        stream_id: &str,
        events: impl IntoIterator<Item = E>,
    ) -> Self {
        for event in events {
            self.deliver(stream_id, event.into());
            if let Some(error) = self.failed.take() {
                panic!("a given event failed in process `{}`: {error}", P::NAME);
            }
        }
        self.sent.clear();
        self
    }

    /// The event under test, in stream `stream_id`.
    #[track_caller]
    pub fn when_on(mut self, stream_id: &str, event: impl Into<P::Event>) -> Self {
        self.sent.clear();
        self.failed = None;
        self.deliver(stream_id, event.into());
        self
    }

    /// The instance's pending deadline `name` comes due.
    ///
    /// # Panics
    ///
    /// When the instance has no such pending deadline (it was never scheduled, was
    /// cancelled, or the instance is done).
    #[track_caller]
    pub fn when_deadline(mut self, instance: &str, name: &str) -> Self {
        self.sent.clear();
        self.failed = None;
        let Some((state, false)) = self.instances.remove(instance) else {
            panic!("process `{}` has no running instance `{instance}`", P::NAME);
        };
        let Some((_, due)) = state.deadlines().into_iter().find(|(n, _)| n == name) else {
            panic!("instance `{instance}` has no pending deadline `{name}`");
        };
        self.step(instance.to_owned(), true, state, |state| {
            pollster::block_on(state.on_deadline(name, due))
        });
        self
    }

    /// The names of an instance's pending deadlines.
    pub fn deadlines(&self, instance: &str) -> Vec<String> {
        match self.instances.get(instance) {
            Some((state, false)) => state
                .deadlines()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Asserts the commands the last `when_on` or `when_deadline` sent, in order.
    #[track_caller]
    pub fn then_expect_commands(self, expected: impl IntoIterator<Item = P::Command>) -> Self
    where
        P::Command: PartialEq + Debug,
    {
        if let Some(error) = &self.failed {
            panic!("the handler failed: {error}");
        }
        let expected: Vec<P::Command> = expected.into_iter().collect();
        assert_eq!(self.sent, expected, "the commands sent differ");
        self
    }

    /// Asserts that the last `when_on` or `when_deadline` failed with this message;
    /// its instance stays as it was.
    #[track_caller]
    pub fn then_expect_error(self, message: &str) -> Self {
        match &self.failed {
            Some(error) => assert_eq!(error.to_string(), message, "the handler failed otherwise"),
            None => panic!("the handler succeeded; expected it to fail with `{message}`"),
        }
        self
    }

    /// The ids of every instance, finished ones included, in no particular order.
    pub fn instances(&self) -> impl Iterator<Item = &str> {
        self.instances.keys().map(String::as_str)
    }

    /// An instance's state, if it exists.
    pub fn instance(&self, id: &str) -> Option<&P> {
        self.instances.get(id).map(|(state, _)| state)
    }

    /// Whether an instance exists and is done.
    pub fn is_done(&self, id: &str) -> bool {
        self.instances.get(id).is_some_and(|(_, done)| *done)
    }

    fn deliver(&mut self, stream_id: &str, event: P::Event) {
        let event = stored(event);
        let header = self.log.next(stream_id, event.event_type());
        let (id, starts) = match P::route(&header, &event) {
            Route::Start(id) => (id, true),
            Route::Continue(id) => (id, false),
            Route::Ignore => return,
        };
        let stored = self.instances.remove(&id);
        let existed = stored.is_some();
        match state_to_handle(starts, stored) {
            Ok(state) => self.step(id, existed, state, |state| {
                pollster::block_on(state.handle(&header, event))
            }),
            // A finished instance stays as it is.
            Err(kept) => self.instances.extend(kept.map(|kept| (id, kept))),
        }
    }

    /// Runs a handler on an instance; on failure the instance stays as it was (and
    /// one it would have started is not created).
    #[track_caller]
    fn step(
        &mut self,
        id: String,
        existed: bool,
        state: P,
        run: impl FnOnce(&mut P) -> Result<Vec<P::Command>, HandlerError>,
    ) {
        let before = survive_storage(&state);
        let mut state = state;
        match run(&mut state) {
            Ok(commands) => {
                self.sent.extend(commands);
                let done = state.is_done();
                self.instances.insert(id, (survive_storage(&state), done));
            }
            Err(error) => {
                self.failed = Some(error);
                if existed {
                    self.instances.insert(id, (before, false));
                }
            }
        }
    }
}

/// The state as the target stores and reads it back.
#[track_caller]
fn survive_storage<P: ProcessManager>(state: &P) -> P {
    match serde_json::to_value(state).and_then(serde_json::from_value) {
        Ok(state) => state,
        Err(error) => panic!(
            "the state of process `{}` does not survive storage: {error}",
            P::NAME
        ),
    }
}
