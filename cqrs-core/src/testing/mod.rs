//! Given/when/then fixtures for aggregates, projections and process managers.
//!
//! Both fixtures pass every event through the same encode and decode the stores
//! use, so an event that would not survive storage fails the test that made it.

mod aggregate;
mod process;
mod projection;

pub use aggregate::{AggregateFixture, Then};
pub use process::ProcessFixture;
pub use projection::ProjectionFixture;

/// The log a fixture pretends to append to: each event gets the next position and
/// the next version of its stream.
#[derive(Default)]
struct FixtureLog {
    versions: std::collections::HashMap<String, u64>,
    position: u64,
}

impl FixtureLog {
    /// The header of the next event, in `stream_id`.
    fn next(&mut self, stream_id: &str, event_type: &crate::EventType) -> crate::EventHeader {
        self.position += 1;
        let version = self.versions.entry(stream_id.to_owned()).or_default();
        *version += 1;
        crate::EventHeader {
            stream_id: stream_id.into(),
            stream_version: *version,
            position: self.position,
            event_id: uuid::Uuid::new_v4(),
            event_name: smol_str::SmolStr::new_static(event_type.name),
            event_version: event_type.version,
            recorded_at: chrono::Utc::now(),
            metadata: crate::Metadata::default(),
        }
    }
}
