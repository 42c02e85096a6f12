//! Given/when/then fixtures for aggregates and projections.
//!
//! Both fixtures pass every event through the same encode and decode the stores
//! use, so an event that would not survive storage fails the test that made it.

mod aggregate;
mod projection;

pub use aggregate::{AggregateFixture, Then};
pub use projection::ProjectionFixture;
