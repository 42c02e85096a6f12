use cqrs_core::{DomainEvent, EventHeader};
use cqrs_sql::TableProjection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
}

const SCHEMA: &[&str] = &[];
const CLEAR: &[&str] = &[];

#[derive(TableProjection)]
#[table(db = sqlx::Sqlite, event = CartEvent, handles(ItemAdded), schema = SCHEMA, clear = CLEAR)]
struct Added;

impl Added {
    async fn on_item_added(&self, _: &mut sqlx::SqliteConnection, _: &EventHeader, _: u32) {}
}

fn main() {}
