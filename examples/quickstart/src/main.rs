//! A to-do list kept as events in `todo.db`: run it twice and the list grows.

use std::collections::BTreeMap;

use cqrs_core::runner::{MemoryTarget, ProjectionRunner, read_view};
use cqrs_core::{Aggregate, Command, DomainEvent, Projection, Query, QueryHandler, Repository};
use cqrs_sqlite::SqliteEventStore;
use serde::{Deserialize, Serialize};

/// What happened to a list: the facts, stored forever.
#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = TodoList)]
enum TodoEvent {
    #[event(name = "todo.added")]
    Added { title: String },
    #[event(name = "todo.done")]
    Done { title: String },
}

/// What a user asks of a list.
#[derive(Debug, Clone, Command)]
#[command(aggregate = TodoList)]
enum TodoCommand {
    Add { title: String },
    Finish { title: String },
}

/// Why a list refuses a command.
#[derive(Debug, thiserror::Error)]
enum TodoError {
    #[error("`{0}` is already on the list")]
    Duplicate(String),
    #[error("`{0}` is not an open item")]
    NotOpen(String),
}

/// A list's state: what its rules need, rebuilt from its events.
#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "todo", event = TodoEvent, error = TodoError)]
struct TodoList {
    open: BTreeMap<String, bool>,
}

impl TodoList {
    // Decide: one method per command, fields as arguments.
    fn add(&self, title: String) -> Result<Vec<TodoEvent>, TodoError> {
        if self.open.contains_key(&title) {
            return Err(TodoError::Duplicate(title));
        }
        Ok(vec![TodoEvent::Added { title }])
    }

    fn finish(&self, title: String) -> Result<Vec<TodoEvent>, TodoError> {
        match self.open.get(&title) {
            Some(false) => Ok(vec![TodoEvent::Done { title }]),
            _ => Err(TodoError::NotOpen(title)),
        }
    }

    // Apply: one method per event, `on_` + its name in snake case.
    fn on_added(&mut self, title: String) {
        self.open.insert(title, false);
    }

    fn on_done(&mut self, title: String) {
        self.open.insert(title, true);
    }
}

/// A read model across every list: items added, and how many are still open.
#[derive(Debug, Default, Clone, Projection)]
#[projection(event = TodoEvent, handles(Added, Done))]
struct Items {
    added: u64,
    done: u64,
}

impl Items {
    fn on_added(&mut self, _title: String) {
        self.added += 1;
    }

    fn on_done(&mut self, _title: String) {
        self.done += 1;
    }

    fn count_open(&self) -> (u64, u64) {
        (self.added - self.done, self.added)
    }
}

/// A query the read model answers: (open, added).
#[derive(Debug, Query)]
#[query(output = (u64, u64), read_model = Items)]
struct CountOpen;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = SqliteEventStore::open("todo.db").await?;
    let lists = Repository::<TodoList, _>::new(store.clone());

    // Commands: load the list, decide, append with optimistic concurrency.
    let run = lists.load("home").await?.state.open.len() + 1;
    lists
        .execute(
            "home",
            TodoCommand::Add {
                title: format!("chore {run}"),
            },
        )
        .await?;
    if run > 1 {
        let title = format!("chore {}", run - 1);
        lists.execute("home", TodoCommand::Finish { title }).await?;
    }

    // Queries: from a read model that follows the log.
    let target = MemoryTarget::<Items>::new();
    let view = target.view();
    ProjectionRunner::new(store, target).catch_up().await?;
    let (open, added) = read_view(&view, |items| items.query(CountOpen));
    println!("{open} of {added} items open");
    Ok(())
}
