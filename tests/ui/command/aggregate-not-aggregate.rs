use cqrs_core::Command;

#[derive(Command)]
#[command(aggregate = String)]
enum CartCommand {
    AddItem { sku: String },
}

fn main() {}
