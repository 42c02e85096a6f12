//! `cart`: a shopping cart you can drive from the terminal.

use cart::domain::{Cart, CartCommand};
use cart::views::{CartById, CartContents, ProductPopularity, TopProducts};
use cqrs_core::{EventStore, InMemoryEventStore, Projection, QueryHandler, ReadAll, Repository};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = InMemoryEventStore::new();
    let carts = Repository::<Cart, _>::new(store.clone());
    carts
        .execute(
            "alice",
            CartCommand::AddItem {
                sku: "apple".into(),
                quantity: 3,
                unit_price_cents: 40,
            },
        )
        .await?;
    carts
        .execute(
            "alice",
            CartCommand::AddItem {
                sku: "pear".into(),
                quantity: 1,
                unit_price_cents: 65,
            },
        )
        .await?;
    carts
        .execute(
            "bob",
            CartCommand::AddItem {
                sku: "apple".into(),
                quantity: 1,
                unit_price_cents: 40,
            },
        )
        .await?;
    carts.execute("alice", CartCommand::Checkout).await?;

    let mut contents = CartContents::default();
    let mut popularity = ProductPopularity::default();
    for recorded in store.read_all(ReadAll::from_position(1)).await? {
        let envelope = recorded.decode()?;
        contents.project(envelope.clone())?;
        popularity.project(envelope)?;
    }
    println!(
        "{:#?}",
        contents.query(CartById {
            cart_id: "alice".into()
        })
    );
    println!("{:#?}", popularity.query(TopProducts { limit: 3 }));
    Ok(())
}
