use std::fmt::Debug;

use crate::aggregate::Aggregate;
use crate::command::{Command, Decision};
use crate::repository::round_trip;

/// Tests an aggregate: given past events, when a command, then expected events or error.
///
/// ```
/// # use cqrs_core::doc_example::*;
/// use cqrs_core::testing::AggregateFixture;
///
/// AggregateFixture::<Cart>::given([CartEvent::ItemAdded { sku: "apple".into(), quantity: 1 }])
///     .when(CartCommand::AddItem { sku: "apple".into(), quantity: 2 })
///     .then_expect_events([CartEvent::ItemAdded { sku: "apple".into(), quantity: 2 }]);
///
/// AggregateFixture::<Cart>::given([])
///     .when(CartCommand::AddItem { sku: "apple".into(), quantity: 0 })
///     .then_expect_error(CartError::ZeroQuantity);
/// ```
///
/// In an async test, use [`when_async`](Self::when_async) instead of `when`.
pub struct AggregateFixture<A: Aggregate> {
    state: A,
    services: A::Services,
}

impl<A: Aggregate> AggregateFixture<A> {
    /// An aggregate that has recorded these events (each checked to survive storage).
    #[track_caller]
    pub fn given(events: impl IntoIterator<Item = A::Event>) -> Self
    where
        A::Services: Default,
    {
        let mut state = A::default();
        for event in events {
            state.apply(stored(event));
        }
        AggregateFixture {
            state,
            services: A::Services::default(),
        }
    }

    /// Uses these services for the command instead of the default ones.
    pub fn with_services(mut self, services: A::Services) -> Self {
        self.services = services;
        self
    }

    /// Decides a command, blocking on handlers that are async.
    pub fn when<C: Command<Aggregate = A>>(self, command: C) -> Then<A> {
        let result = pollster::block_on(command.handle(&self.state, &self.services));
        Then {
            state: self.state,
            result,
        }
    }

    /// Decides a command in an async test.
    pub async fn when_async<C: Command<Aggregate = A>>(self, command: C) -> Then<A> {
        let result = command.handle(&self.state, &self.services).await;
        Then {
            state: self.state,
            result,
        }
    }
}

/// The outcome of [`AggregateFixture::when`], to assert on.
pub struct Then<A: Aggregate> {
    state: A,
    result: Decision<A>,
}

impl<A: Aggregate> Then<A> {
    /// Asserts the command produced exactly these events, checks each survives
    /// storage, applies them, and returns the new state for further checks.
    #[track_caller]
    pub fn then_expect_events(self, expected: impl IntoIterator<Item = A::Event>) -> A
    where
        A::Event: PartialEq + Debug,
        A::Error: Debug,
    {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        let actual = match self.result {
            Ok(events) => events,
            Err(error) => {
                panic!("expected events {expected:#?}\nbut the command was rejected: {error:#?}")
            }
        };
        assert_eq!(
            actual, expected,
            "the command produced other events than expected"
        );
        let mut state = self.state;
        for event in actual {
            state.apply(stored(event));
        }
        state
    }

    /// Asserts the command was rejected with exactly this error.
    #[track_caller]
    pub fn then_expect_error(self, expected: A::Error)
    where
        A::Event: Debug,
        A::Error: PartialEq + Debug,
    {
        match self.result {
            Ok(events) => {
                panic!("expected the error {expected:#?}\nbut the command produced {events:#?}")
            }
            Err(error) => assert_eq!(
                error, expected,
                "the command was rejected with another error"
            ),
        }
    }

    /// Asserts the command was rejected with an error that passes `check`.
    #[track_caller]
    pub fn then_expect_error_matches(self, check: impl FnOnce(&A::Error) -> bool)
    where
        A::Event: Debug,
        A::Error: Debug,
    {
        match self.result {
            Ok(events) => panic!("expected an error but the command produced {events:#?}"),
            Err(error) => assert!(
                check(&error),
                "the command was rejected with an unexpected error: {error:#?}"
            ),
        }
    }

    /// The raw outcome, for assertions the methods above do not cover.
    pub fn into_result(self) -> Decision<A> {
        self.result
    }
}

/// The event as a store would hand it back; panics when it does not survive.
#[track_caller]
pub(super) fn stored<E: crate::DomainEvent>(event: E) -> E {
    match round_trip(&event) {
        Ok(back) => back,
        Err(reason) => panic!(
            "event `{}` does not survive storage: {reason}",
            event.event_type().name
        ),
    }
}
