use cqrs_core::process::ProcessManager;
use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum SheetEvent {
    RowAdded(u64, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8),
}

#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(command = String, start(SheetEvent::RowAdded, by_stream))]
struct Rows;

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn on_row_added(
        &mut self,
        _: u64, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8,
    ) -> Vec<String> {
        Vec::new()
    }
}

fn main() {}
