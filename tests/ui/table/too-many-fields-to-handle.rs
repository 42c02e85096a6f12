use cqrs_core::{DomainEvent, EventHeader};
use cqrs_sql::TableProjection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum SheetEvent {
    RowAdded(u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8),
}

const SCHEMA: &[&str] = &[];
const CLEAR: &[&str] = &[];

#[derive(TableProjection)]
#[table(db = sqlx::Sqlite, event = SheetEvent, handles(RowAdded), schema = SCHEMA, clear = CLEAR)]
struct Rows;

impl Rows {
    #[allow(clippy::too_many_arguments)]
    async fn on_row_added(
        &self,
        _: &mut sqlx::SqliteConnection,
        _: &EventHeader,
        _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8, _: u8,
    ) {
    }
}

fn main() {}
