//! The shopping cart built on `cqrs-core`: the domain, its read models, and the
//! command-line tool and HTTP service in `main.rs`.

pub mod domain;
pub mod views;
