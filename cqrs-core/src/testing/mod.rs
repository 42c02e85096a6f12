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
