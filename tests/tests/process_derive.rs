//! `#[derive(ProcessManager)]` on a second domain, a money transfer between two
//! accounts: it reads the events of two aggregates (transfers and accounts), one
//! handler is `async` and one can fail, and it runs under the runner on every store.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![deny(warnings)]

#[path = "common/stores.rs"]
mod stores;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use cqrs_core::process::{CommandBus, ProcessManager, ProcessTarget};
use cqrs_core::runner::ProjectionRunner;
use cqrs_core::testing::ProcessFixture;
use cqrs_core::{
    Aggregate, Command, DomainEvent, EventHeader, ExecuteOptions, HandlerError, Repository, Store,
};
use serde::{Deserialize, Serialize};
use stores::on_every_store;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Transfer)]
enum TransferEvent {
    #[event(name = "transfer.requested")]
    Requested {
        from: String,
        to: String,
        cents: u64,
    },
    #[event(name = "transfer.abandoned")]
    Abandoned { transfer: String },
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Transfer)]
enum TransferCommand {
    Request {
        from: String,
        to: String,
        cents: u64,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("refused: {0}")]
struct Refused(String);

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "transfer", event = TransferEvent, error = Refused)]
struct Transfer;

impl Transfer {
    fn request(&self, from: String, to: String, cents: u64) -> Result<Vec<TransferEvent>, Refused> {
        Ok(vec![TransferEvent::Requested { from, to, cents }])
    }
    fn on_requested(&mut self, _: String, _: String, _: u64) {}
    fn on_abandoned(&mut self, _: String) {}
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Account)]
enum AccountEvent {
    #[event(name = "account.debited")]
    Debited { transfer: String, cents: u64 },
    #[event(name = "account.credited")]
    Credited { transfer: String, cents: u64 },
}

#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Account)]
enum AccountCommand {
    Debit { transfer: String, cents: u64 },
    Credit { transfer: String, cents: u64 },
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "account", event = AccountEvent, error = Refused)]
struct Account {
    balance: i64,
}

impl Account {
    fn debit(&self, transfer: String, cents: u64) -> Result<Vec<AccountEvent>, Refused> {
        Ok(vec![AccountEvent::Debited { transfer, cents }])
    }
    fn credit(&self, transfer: String, cents: u64) -> Result<Vec<AccountEvent>, Refused> {
        Ok(vec![AccountEvent::Credited { transfer, cents }])
    }
    fn on_debited(&mut self, _: String, cents: u64) {
        self.balance -= i64::try_from(cents).unwrap();
    }
    fn on_credited(&mut self, _: String, cents: u64) {
        self.balance += i64::try_from(cents).unwrap();
    }
}

/// What the transfer process sends: a command to one account.
#[derive(Debug, Clone, PartialEq)]
struct ToAccount(String, AccountCommand);

/// One instance per transfer: debit the source, then credit the target once the
/// debit is recorded; done when credited. A transfer above the limit fails its
/// handler (it parks); the limit is checked by an `async` handler.
#[derive(Debug, Default, Serialize, Deserialize, ProcessManager)]
#[process(name = "transfer-process", command = ToAccount, done = finished)]
#[process(start(TransferEvent::Requested, by_stream, async))]
#[process(on(AccountEvent::Debited, by = transfer, handler = debited))]
#[process(on(AccountEvent::Credited, by = transfer))]
#[process(on(TransferEvent::Abandoned, by = transfer))]
#[process(deadlines = pending, on_deadline = expired)]
struct TransferProcess {
    to: String,
    cents: u64,
    credited: bool,
    retry_at: Option<DateTime<Utc>>,
}

const LIMIT: u64 = 1_000;

impl TransferProcess {
    async fn on_requested(
        &mut self,
        header: &EventHeader,
        from: String,
        to: String,
        cents: u64,
    ) -> Result<Vec<ToAccount>, HandlerError> {
        std::future::ready(()).await;
        if cents > LIMIT {
            return Err(format!("{cents} cents is above the limit of {LIMIT}").into());
        }
        self.to = to;
        self.cents = cents;
        let transfer = header.stream_id.to_string();
        Ok(vec![ToAccount(
            from,
            AccountCommand::Debit { transfer, cents },
        )])
    }

    fn debited(&mut self, header: &EventHeader, transfer: String, _: u64) -> Vec<ToAccount> {
        self.retry_at = Some(header.recorded_at + chrono::Duration::hours(1));
        let cents = self.cents;
        vec![ToAccount(
            self.to.clone(),
            AccountCommand::Credit { transfer, cents },
        )]
    }

    fn on_credited(&mut self, _: &EventHeader, _: String, _: u64) -> Vec<ToAccount> {
        self.credited = true;
        self.retry_at = None;
        Vec::new()
    }

    fn on_abandoned(&mut self, _: &EventHeader, _: String) -> Vec<ToAccount> {
        Vec::new()
    }

    fn finished(&self) -> bool {
        self.credited
    }

    fn pending(&self) -> Vec<(String, DateTime<Utc>)> {
        self.retry_at
            .map(|at| ("credit".to_owned(), at))
            .into_iter()
            .collect()
    }

    fn expired(&mut self, name: &str, _: DateTime<Utc>) -> Result<Vec<ToAccount>, HandlerError> {
        Err(format!("deadline `{name}` has no remedy").into())
    }
}

#[test]
fn the_derived_manager_reads_both_enums_under_its_name() {
    assert_eq!(TransferProcess::NAME, "transfer-process");
    let names: Vec<&str> =
        <<TransferProcess as ProcessManager>::Event as DomainEvent>::event_names().collect();
    assert_eq!(
        names,
        [
            "transfer.requested",
            "transfer.abandoned",
            "account.debited",
            "account.credited"
        ]
    );
}

#[test]
fn each_transition_of_the_transfer() {
    let requested = TransferEvent::Requested {
        from: "a".into(),
        to: "b".into(),
        cents: 300,
    };
    let debited = AccountEvent::Debited {
        transfer: "transfer-1".into(),
        cents: 300,
    };
    let credited = AccountEvent::Credited {
        transfer: "transfer-1".into(),
        cents: 300,
    };
    let debit = AccountCommand::Debit {
        transfer: "transfer-1".into(),
        cents: 300,
    };
    let credit = AccountCommand::Credit {
        transfer: "transfer-1".into(),
        cents: 300,
    };
    // Started by the request (async handler), found by the stream id.
    ProcessFixture::<TransferProcess>::new()
        .when_on("transfer-1", requested.clone())
        .then_expect_commands([ToAccount("a".into(), debit)]);
    // The debit, from another aggregate's stream, found by its `transfer` field.
    let fixture = ProcessFixture::<TransferProcess>::new()
        .given_on("transfer-1", [requested.clone()])
        .when_on("account-a", debited.clone())
        .then_expect_commands([ToAccount("b".into(), credit)]);
    assert_eq!(fixture.deadlines("transfer-1"), ["credit"]);
    // The deadline handler fails: the instance stays as it was.
    let fixture = fixture
        .when_deadline("transfer-1", "credit")
        .then_expect_error("deadline `credit` has no remedy");
    assert_eq!(fixture.deadlines("transfer-1"), ["credit"]);
    // Credited: done, deadline cancelled, later events ignored.
    let fixture = fixture
        .when_on("account-b", credited)
        .then_expect_commands([]);
    assert!(fixture.is_done("transfer-1"));
    assert!(fixture.deadlines("transfer-1").is_empty());
    fixture
        .when_on("account-a", debited.clone())
        .then_expect_commands([]);
    // A debit for a transfer that never started is ignored.
    ProcessFixture::<TransferProcess>::new()
        .when_on("account-a", debited)
        .then_expect_commands([]);
    // Above the limit: the async handler fails and no instance is created.
    let fixture = ProcessFixture::<TransferProcess>::new()
        .when_on(
            "transfer-2",
            TransferEvent::Requested {
                from: "a".into(),
                to: "b".into(),
                cents: 5_000,
            },
        )
        .then_expect_error("5000 cents is above the limit of 1000");
    assert!(fixture.instance("transfer-2").is_none());
}

struct Accounts<S: Store> {
    accounts: Repository<Account, S>,
    down: Arc<AtomicBool>,
}

impl<S: Store> CommandBus<ToAccount> for Accounts<S> {
    async fn send(
        &self,
        ToAccount(id, command): ToAccount,
        options: ExecuteOptions,
    ) -> Result<(), HandlerError> {
        if self.down.load(Ordering::SeqCst) {
            return Err("the ledger is down".into());
        }
        self.accounts.execute_with(&id, command, options).await?;
        Ok(())
    }
}

on_every_store!(a_derived_transfer_runs_once_and_parks_only_the_transfer_over_the_limit);

/// Two transfers and one over the limit: the two complete, each account moved once
/// even after a rebuild from position 0; the one over the limit parks alone.
async fn a_derived_transfer_runs_once_and_parks_only_the_transfer_over_the_limit<S: Store>(
    store: S,
) {
    let transfers = Repository::<Transfer, S>::new(store.clone());
    let accounts = Repository::<Account, S>::new(store.clone());
    let request = |from: &str, to: &str, cents| TransferCommand::Request {
        from: from.into(),
        to: to.into(),
        cents,
    };
    transfers
        .execute("1", request("a", "b", 300))
        .await
        .unwrap();
    transfers
        .execute("2", request("b", "c", 5_000))
        .await
        .unwrap();
    transfers
        .execute("3", request("c", "a", 100))
        .await
        .unwrap();
    let bus = Accounts {
        accounts: Repository::new(store.clone()),
        down: Arc::default(),
    };
    let target = ProcessTarget::<TransferProcess, _, _>::new(store.clone(), bus).park_after(1);
    let mut runner = ProjectionRunner::new(store.clone(), target);
    // Each pass handles what the previous pass's commands recorded.
    for _ in 0..3 {
        runner.catch_up().await.unwrap();
    }
    runner.rebuild(|_| {}).await.unwrap();
    let balance = async |id: &str| accounts.load(id).await.unwrap().state.balance;
    assert_eq!(
        (balance("a").await, balance("b").await, balance("c").await),
        (-200, 300, -100)
    );
    let parked = runner.target().parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].0, "transfer-2");
    assert_eq!(
        parked[0].1[0].error,
        "5000 cents is above the limit of 1000"
    );
    assert_eq!(runner.status().waiting.parked, 1);
}
