use cqrs_core::Command;

#[derive(Command)]
enum CartCommand {
    AddItem { sku: String },
}

fn main() {}
