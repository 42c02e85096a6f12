use std::fmt::Debug;

use super::FixtureLog;
use super::aggregate::stored;
use crate::event::DomainEvent;
use crate::projection::Projection;

/// Tests a projection: given events, then the expected read model.
///
/// Events it does not handle are skipped, as the runner skips them; each event is
/// checked to survive storage.
///
/// ```
/// # use cqrs_core::doc_example::*;
/// use cqrs_core::testing::ProjectionFixture;
///
/// ProjectionFixture::<ItemCount>::given([
///     CartEvent::ItemAdded { sku: "apple".into(), quantity: 2 },
///     CartEvent::CheckedOut,
/// ])
/// .given_on("cart-2", [CartEvent::ItemAdded { sku: "pear".into(), quantity: 1 }])
/// .then_expect_state(ItemCount { items: 3 });
/// ```
pub struct ProjectionFixture<P> {
    projection: P,
    log: FixtureLog,
}

impl<P: Projection> ProjectionFixture<P> {
    /// A fresh read model that has handled these events, all in stream `"stream-1"`.
    #[track_caller]
    pub fn given(events: impl IntoIterator<Item = P::Event>) -> Self
    where
        P: Default,
    {
        let fixture = ProjectionFixture {
            projection: P::default(),
            log: FixtureLog::default(),
        };
        fixture.given_on("stream-1", events)
    }

    /// Handles more events, in the given stream.
    #[track_caller]
    pub fn given_on(mut self, stream_id: &str, events: impl IntoIterator<Item = P::Event>) -> Self {
        for event in events {
            let event = stored(event);
            let event_type = event.event_type();
            let header = self.log.next(stream_id, event_type);
            if !P::handles(event_type.name) {
                continue;
            }
            if let Err(error) = self.projection.project(&header, event) {
                panic!(
                    "projection `{}` failed on event `{}` at position {}: {error}",
                    P::NAME,
                    event_type.name,
                    header.position
                );
            }
        }
        self
    }

    /// Asserts the read model equals `expected`.
    #[track_caller]
    pub fn then_expect_state(self, expected: P)
    where
        P: PartialEq + Debug,
    {
        assert_eq!(self.projection, expected, "the read model differs");
    }

    /// The read model, for assertions through its queries.
    pub fn state(&self) -> &P {
        &self.projection
    }

    /// Takes the read model.
    pub fn into_state(self) -> P {
        self.projection
    }
}
