use cqrs_core::Query;

#[derive(Default)]
struct Products {
    names: Vec<String>,
}

#[derive(Query)]
#[query(output = Vec<String>, read_model = Products)]
struct TopProducts {
    limit: usize,
}

fn main() {}
