//! Command variants and queries whose snake-case names are Rust keywords: the derive
//! calls `r#move`, `r#return`, `r#type`, `r#match`, `r#loop`; `Super`, which cannot
//! be raw, calls `super_`.
#![deny(warnings)]

use cqrs_core::testing::AggregateFixture;
use cqrs_core::{Aggregate, Command, DomainEvent, Query, QueryHandler};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Piece)]
pub enum PieceEvent {
    Moved { to: u8 },
    Returned,
    Typed { kind: String },
    Matched,
    Looped,
    Promoted,
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Piece)]
pub enum PieceCommand {
    Move { to: u8 },
    Return,
    Type { kind: String },
    Match,
    Loop,
    Super,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("off the board")]
pub struct OffTheBoard;

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "piece", event = PieceEvent, error = OffTheBoard)]
pub struct Piece {
    square: u8,
    moves: u32,
}

impl Piece {
    fn r#move(&self, to: u8) -> Result<Vec<PieceEvent>, OffTheBoard> {
        if to > 63 {
            return Err(OffTheBoard);
        }
        Ok(vec![PieceEvent::Moved { to }])
    }

    fn r#return(&self) -> Result<Vec<PieceEvent>, OffTheBoard> {
        Ok(vec![PieceEvent::Returned])
    }

    fn r#type(&self, kind: String) -> Result<Vec<PieceEvent>, OffTheBoard> {
        Ok(vec![PieceEvent::Typed { kind }])
    }

    fn r#match(&self) -> Result<Vec<PieceEvent>, OffTheBoard> {
        Ok(vec![PieceEvent::Matched])
    }

    fn r#loop(&self) -> Result<Vec<PieceEvent>, OffTheBoard> {
        Ok(vec![PieceEvent::Looped])
    }

    fn super_(&self) -> Result<Vec<PieceEvent>, OffTheBoard> {
        Ok(vec![PieceEvent::Promoted])
    }

    fn on_moved(&mut self, to: u8) {
        self.square = to;
        self.moves += 1;
    }

    fn on_returned(&mut self) {
        self.square = 0;
    }

    fn on_typed(&mut self, _: String) {}

    fn on_matched(&mut self) {}

    fn on_looped(&mut self) {}

    fn on_promoted(&mut self) {}
}

/// A query named `Type`: its read model answers with `r#type`.
#[derive(Query)]
#[query(output = u32, read_model = Board)]
pub struct Type;

#[derive(Default)]
pub struct Board {
    moves: u32,
}

impl Board {
    fn r#type(&self) -> u32 {
        self.moves
    }
}

fn main() {
    AggregateFixture::<Piece>::given([])
        .when(PieceCommand::Move { to: 9 })
        .then_expect_events([PieceEvent::Moved { to: 9 }]);
    AggregateFixture::<Piece>::given([PieceEvent::Moved { to: 9 }])
        .when(PieceCommand::Move { to: 64 })
        .then_expect_error(OffTheBoard);
    for (command, event) in [
        (PieceCommand::Return, PieceEvent::Returned),
        (PieceCommand::Type { kind: "rook".into() }, PieceEvent::Typed { kind: "rook".into() }),
        (PieceCommand::Match, PieceEvent::Matched),
        (PieceCommand::Loop, PieceEvent::Looped),
        (PieceCommand::Super, PieceEvent::Promoted),
    ] {
        AggregateFixture::<Piece>::given([]).when(command).then_expect_events([event]);
    }
    assert_eq!(Board { moves: 3 }.query(Type), 3);
}
