use cqrs_core::Query;

#[derive(Query)]
#[query(output = Vec<String>, handler = top)]
struct TopProducts {
    limit: usize,
}

fn main() {}
