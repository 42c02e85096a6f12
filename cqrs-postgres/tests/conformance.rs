//! The PostgreSQL store passes the shared conformance suite, each test in its own schema.

mod support;

cqrs_core::event_store_conformance!(support::fresh, support::drop_schema);
