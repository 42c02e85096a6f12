use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Sheet)]
enum SheetEvent {
    RowAdded(u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8),
}

#[derive(Default)]
struct Sheet;

fn main() {}
