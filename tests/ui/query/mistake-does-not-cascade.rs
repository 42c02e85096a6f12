use cqrs_core::{Query, QueryHandler};

#[derive(Default)]
struct Views;

impl Views {
    fn top(&self) -> u32 {
        1
    }
}

#[derive(Query)]
#[query(output = u32, read_model = Views, handler = top, colour = "red")]
struct Top;

fn main() {
    let answer: u32 = Views.query(Top);
    let _ = answer;
}
