use cqrs_core::DomainEvent;
use cqrs_sql::TableProjection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
}

const SCHEMA: &[&str] = &[];
const CLEAR: &[&str] = &[];

#[derive(TableProjection)]
#[table(event = CartEvent, handles(ItemAdded), schema = SCHEMA, clear = CLEAR)]
struct Added;

fn main() {}
