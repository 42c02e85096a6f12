//! Projection handlers with and without the event's header, side by side: the
//! header parameter is optional, per method.
#![deny(warnings)]

use cqrs_core::{DomainEvent, EventHeader, HandlerError, Metadata, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
pub enum ShelfEvent {
    Stocked { sku: String, units: u32 },
    Sold { sku: String, units: u32 },
    Counted,
    Closed,
}

#[derive(Debug, Default, Projection)]
#[projection(event = ShelfEvent, handles(Stocked, Sold, Counted, Closed))]
pub struct Shelf {
    units: i64,
    counts: u32,
    last_position: u64,
    closed: bool,
}

impl Shelf {
    /// Fields only.
    fn on_stocked(&mut self, _sku: String, units: u32) {
        self.units += i64::from(units);
    }

    /// The header first, returning a `Result`.
    fn on_sold(&mut self, header: &EventHeader, _sku: String, units: u32) -> Result<(), HandlerError> {
        self.last_position = header.position;
        self.units -= i64::from(units);
        Ok(())
    }

    /// No fields, no header.
    fn on_counted(&mut self) {
        self.counts += 1;
    }

    /// No fields, the header.
    fn on_closed(&mut self, header: &EventHeader) {
        self.closed = header.position > 0;
    }
}

fn main() {
    let mut shelf = Shelf::default();
    let events = [
        ShelfEvent::Stocked { sku: "apple".into(), units: 5 },
        ShelfEvent::Sold { sku: "apple".into(), units: 2 },
        ShelfEvent::Counted,
        ShelfEvent::Closed,
    ];
    for (n, event) in (1..).zip(events) {
        let header = EventHeader {
            stream_id: "shelf-1".into(),
            stream_version: n,
            position: n,
            event_id: cqrs_core::Uuid::new_v4(),
            event_name: "shelf".into(),
            event_version: 1,
            recorded_at: chrono::Utc::now(),
            metadata: Metadata::default(),
        };
        shelf.project(&header, event).unwrap();
    }
    assert_eq!((shelf.units, shelf.counts, shelf.last_position, shelf.closed), (3, 1, 2, true));
}
