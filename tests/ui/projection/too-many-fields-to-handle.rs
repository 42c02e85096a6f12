use cqrs_core::{DomainEvent, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum SheetEvent {
    RowAdded(u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8),
}

#[derive(Default, Projection)]
#[projection(event = SheetEvent, handles(RowAdded))]
struct Rows {
    count: u32,
}

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn on_row_added(
        &mut self,
        _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8,
    ) {
        self.count += 1;
    }
}

fn main() {}
