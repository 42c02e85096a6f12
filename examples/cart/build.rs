//! The cart's tests need PostgreSQL (`cfg(postgres_tests)`) and NATS
//! (`cfg(nats_tests)`); the build scripts of `cqrs-postgres` and `cqrs-nats` say
//! how each is switched on, and this one runs both.

#[path = "../../cqrs-postgres/build.rs"]
mod postgres;

#[path = "../../cqrs-nats/build.rs"]
mod nats;

fn main() {
    postgres::main();
    nats::main();
}
