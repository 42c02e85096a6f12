use cqrs_core::Projection;

#[derive(Default, Projection)]
#[projection(handles(ItemAdded))]
struct Added {
    count: u32,
}

fn main() {}
