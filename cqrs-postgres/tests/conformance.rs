//! The PostgreSQL store passes the shared conformance suite, each test in its own schema.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

cqrs_core::event_store_conformance!(support::fresh, support::drop_schema);
