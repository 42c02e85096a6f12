//! Raw identifiers, tuple and unit variants, and an event enum used only by projections.
#![deny(warnings)]

use cqrs_core::testing::ProjectionFixture;
use cqrs_core::{DomainEvent, EventHeader, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
pub enum AuditEvent {
    r#Type { r#match: String },
    Pair(u8, u8),
    Nothing,
}

#[derive(Debug, Default, PartialEq, Projection)]
#[projection(event = AuditEvent, handles(r#Type, Pair, Nothing))]
pub struct Log {
    lines: Vec<String>,
}

impl Log {
    fn on_type(&mut self, _: &EventHeader, r#match: String) {
        self.lines.push(r#match);
    }

    fn on_pair(&mut self, header: &EventHeader, a: u8, b: u8) {
        self.lines.push(format!("{}:{a}+{b}", header.position));
    }

    fn on_nothing(&mut self, _: &EventHeader) {}
}

fn main() {
    assert_eq!(AuditEvent::Nothing.event_type().name, "Nothing");
    assert_eq!(AuditEvent::r#Type { r#match: String::new() }.event_type().name, "Type");
    ProjectionFixture::<Log>::given([
        AuditEvent::r#Type { r#match: "m".into() },
        AuditEvent::Pair(1, 2),
        AuditEvent::Nothing,
    ])
    .then_expect_state(Log { lines: vec!["m".into(), "2:1+2".into()] });
}
