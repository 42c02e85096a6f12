use cqrs_core::Query;

#[derive(Query)]
#[query(output = Vec<String>)]
enum TopProducts {
    ByCount,
}

fn main() {}
