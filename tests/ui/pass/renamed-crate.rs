//! `#[cqrs(crate = "...")]` when cqrs-core is re-exported under another path.
#![deny(warnings)]

mod framework {
    pub use cqrs_core as inner;
}

use framework::inner::{DomainEvent, Query};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
#[cqrs(crate = "crate::framework::inner")]
pub enum PingEvent {
    Pinged,
}

#[derive(Query)]
#[cqrs(crate = crate::framework::inner)]
#[query(output = ())]
pub struct Ping;

fn main() {
    use framework::inner::DomainEvent as _;
    assert_eq!(PingEvent::Pinged.event_type().name, "Pinged");
}
