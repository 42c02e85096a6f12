//! A read model as tables, derived, under `#![deny(warnings)]`.
#![deny(warnings)]

use cqrs_core::{DomainEvent, EventHeader};
use cqrs_sql::TableProjection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
pub enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
    Cleared,
}

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS added (sku TEXT, quantity BIGINT)"];
const CLEAR: &[&str] = &["DELETE FROM added"];

/// Every add, as a row.
#[derive(TableProjection)]
#[table(db = sqlx::Sqlite, event = CartEvent, handles(ItemAdded, Cleared = cleared), schema = SCHEMA, clear = CLEAR)]
pub struct Added;

impl Added {
    async fn on_item_added(
        &self,
        db: &mut sqlx::SqliteConnection,
        _: &EventHeader,
        sku: String,
        quantity: u32,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO added VALUES ($1, $2)")
            .bind(sku)
            .bind(i64::from(quantity))
            .execute(db)
            .await?;
        Ok(())
    }

    async fn cleared(&self, _: &mut sqlx::SqliteConnection, _: &EventHeader) {}
}

fn main() {
    assert_eq!(<Added as cqrs_sql::TableProjection<sqlx::Sqlite>>::NAME, "added");
}
