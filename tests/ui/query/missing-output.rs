use cqrs_core::Query;

#[derive(Query)]
struct TopProducts {
    limit: usize,
}

fn main() {}
