use cqrs_core::runner::{MemoryTarget, ProjectionRunner};
use cqrs_core::{InMemoryEventStore, Projection};

#[derive(Default, Projection)]
#[projection(handles(ItemAdded))]
struct Added {
    count: u32,
}

fn main() {
    // Used as a projection after the mistake: still the one error, at the attribute.
    let _runner = ProjectionRunner::new(InMemoryEventStore::new(), MemoryTarget::<Added>::new());
}
