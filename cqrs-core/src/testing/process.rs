use std::collections::HashMap;
use std::fmt::Debug;

use super::FixtureLog;
use super::aggregate::stored;
use crate::event::DomainEvent;
use crate::process::{ProcessManager, Route, state_to_handle};

/// Tests a process manager: given events, when one more arrives, then the commands
/// it sends. Events are routed to their instances as the runner routes them (a
/// `Continue` without an instance and events for a finished instance are ignored),
/// and each is checked to survive storage.
///
/// ```
/// # use cqrs_core::doc_example::*;
/// use cqrs_core::process::{ProcessManager, Route};
/// use cqrs_core::testing::ProcessFixture;
/// use cqrs_core::EventHeader;
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
///     fn handle(&mut self, header: &EventHeader, event: CartEvent) -> Vec<String> {
///         match event {
///             CartEvent::ItemAdded { quantity, .. } => { self.items += quantity; Vec::new() }
///             CartEvent::CheckedOut if self.items > 0 => vec![format!("receipt for {}", header.stream_id)],
///             CartEvent::CheckedOut => Vec::new(),
///         }
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
}

impl<P: ProcessManager> Default for ProcessFixture<P> {
    fn default() -> Self {
        ProcessFixture {
            instances: HashMap::new(),
            log: FixtureLog::default(),
            sent: Vec::new(),
        }
    }
}

impl<P: ProcessManager> ProcessFixture<P> {
    /// No instances yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events that happened before, in stream `stream_id`; their commands are dropped.
    #[track_caller]
    pub fn given_on(mut self, stream_id: &str, events: impl IntoIterator<Item = P::Event>) -> Self {
        for event in events {
            self.deliver(stream_id, event);
        }
        self.sent.clear();
        self
    }

    /// The event under test, in stream `stream_id`.
    #[track_caller]
    pub fn when_on(mut self, stream_id: &str, event: P::Event) -> Self {
        self.sent.clear();
        self.deliver(stream_id, event);
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
        let Some((mut state, false)) = self.instances.remove(instance) else {
            panic!("process `{}` has no running instance `{instance}`", P::NAME);
        };
        let Some((_, due)) = state.deadlines().into_iter().find(|(n, _)| n == name) else {
            panic!("instance `{instance}` has no pending deadline `{name}`");
        };
        self.sent.extend(state.on_deadline(name, due));
        let done = state.is_done();
        self.instances.insert(instance.to_owned(), (state, done));
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
        let expected: Vec<P::Command> = expected.into_iter().collect();
        assert_eq!(self.sent, expected, "the commands sent differ");
        self
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
        let Some(mut state) = state_to_handle(starts, self.instances.remove(&id)) else {
            return;
        };
        self.sent.extend(state.handle(&header, event));
        let done = state.is_done();
        // A state that does not survive storage fails here, as the target would.
        let state: P = match serde_json::to_value(&state).and_then(serde_json::from_value) {
            Ok(state) => state,
            Err(error) => panic!(
                "the state of process `{}` does not survive storage: {error}",
                P::NAME
            ),
        };
        self.instances.insert(id, (state, done));
    }
}
