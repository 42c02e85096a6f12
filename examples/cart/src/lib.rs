//! The shopping cart built on `cqrs-core`: the domain, its read models, the
//! application service, and the HTTP API; `main.rs` is the command-line tool.

pub mod cart_id;
pub mod cli;
pub mod domain;
pub mod error;
pub mod http;
pub mod orders;
pub mod relay;
pub mod service;
pub mod top_products;
pub mod views;
