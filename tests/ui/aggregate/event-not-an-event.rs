use cqrs_core::Aggregate;

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = String, error = CartError)]
struct Cart;

fn main() {}
