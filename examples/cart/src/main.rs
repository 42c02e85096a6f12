//! `cart`: a shopping cart kept as events, from the terminal or over HTTP.

use std::process::ExitCode;

use cart::cli::{self, Cli, Command, ParkedAction, PaymentAction, ProjectionAction, StockAction};
use cart::domain::CartCommand;
use cart::http::OperatorAccess;
use cart::orders::cli as order_cli;
use cart::relay::{NatsArgs, follow, relay_runner};
use cart::service::{AppError, CartApp};
use clap::Parser;
use cqrs_core::Store;
use cqrs_core::StoreError;
use cqrs_core::runner::error_chain;
use cqrs_postgres::{PostgresEventStore, PostgresOptions};
use cqrs_sqlite::SqliteEventStore;

mod running;

use running::{RETRY, serve, stop_signal, work};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.database_url {
        Some(url) => match connect_postgres(url, &cli).await {
            Ok((store, replica)) => run(store, replica, &cli).await,
            Err(error) => Err(Failure::Store(error)),
        },
        None if cli.replica_url.is_some() => Err(Failure::ReplicaNeedsPostgres),
        None => match SqliteEventStore::open(&cli.db).await {
            Ok(store) => run(store, None, &cli).await,
            Err(error) => Err(Failure::Store(error)),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, kind) = failure.kind();
            if cli.json {
                let error = serde_json::json!({
                    "error": { "code": kind, "message": failure.to_string() }
                });
                eprintln!("{error}");
            } else {
                eprintln!("error: {failure}");
            }
            ExitCode::from(code)
        }
    }
}

impl Failure {
    /// The exit code and a machine-readable kind: 3 not found, 4 refused (a rule, a
    /// conflict, bad input), 5 unavailable for now (try again), 1 anything else.
    fn kind(&self) -> (u8, &'static str) {
        match self {
            Failure::App(
                AppError::UnknownCart(_)
                | AppError::UnknownOrder(_)
                | AppError::NoSuchVersion { .. }
                | AppError::UnknownProjection(_),
            ) => (3, "not_found"),
            Failure::App(
                AppError::Rejected(_)
                | AppError::Conflict { .. }
                | AppError::InvalidCartId(..)
                | AppError::Unstorable(_)
                | AppError::Stock(_)
                | AppError::Payment(_)
                | AppError::Invalid(_),
            )
            | Failure::ReplicaNeedsPostgres => (4, "refused"),
            Failure::App(
                AppError::Busy { .. } | AppError::Behind { .. } | AppError::Unavailable(_),
            ) => (5, "unavailable"),
            Failure::Store(error) if error.is_transient() => (5, "unavailable"),
            Failure::ReadDatabase(_) => (5, "unavailable"),
            _ => (1, "failed"),
        }
    }
}

/// The primary, and the streaming replica reads go to when `--replica-url` names one.
async fn connect_postgres(
    url: &str,
    cli: &Cli,
) -> Result<(PostgresEventStore, Option<PostgresEventStore>), StoreError> {
    let store = PostgresOptions::new(url)
        .schema(&cli.schema)
        .connect()
        .await?;
    let replica = match &cli.replica_url {
        Some(replica) => Some(
            PostgresOptions::new(replica)
                .schema(&cli.schema)
                .replica()
                .connect()
                .await?,
        ),
        None => None,
    };
    Ok((store, replica))
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("--replica-url reads from a PostgreSQL replica: give --database-url (the primary) too")]
    ReplicaNeedsPostgres,
    #[error("{}", error_chain(.0))]
    Store(StoreError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("cannot serve: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot print JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot open the read database: {0}")]
    ReadDatabase(String),
}

async fn run<S: Store>(store: S, replica: Option<S>, cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Serve {
            addr,
            operator_token,
            relay_nats,
        } => {
            let relay = match relay_nats {
                Some(url) => Some(relay_runner(&store, &NatsArgs::at(url), 1000).await?),
                None => None,
            };
            let app = app(store, replica, cli).await?;
            let access = operator_token
                .as_deref()
                .map_or_else(OperatorAccess::loopback_only, OperatorAccess::token);
            return serve(app, *addr, access, relay).await;
        }
        Command::Relay { nats, batch_size } => {
            let mut runner = relay_runner(&store, nats, *batch_size).await?;
            let printer = cli::spawn_status_printer(runner.watch_status(), cli.json);
            runner.run_exclusive(RETRY, stop_signal()).await;
            printer.abort();
            return Ok(());
        }
        Command::Follow {
            nats,
            durable,
            once,
        } => {
            let print = cart::relay::printer(cli.json);
            return Ok(follow(nats, durable, *once, print, stop_signal()).await?);
        }
        Command::Projections {
            action: Some(ProjectionAction::Run { batch_size }),
        } => {
            let tables = read_database(cli).await?;
            return work(store, *batch_size, payment_window(cli), tables, cli.json).await;
        }
        _ => {}
    }
    let app = app(store, replica, cli).await?;
    let json = cli.json;
    let write = |cart_id: &str, command: CartCommand, expected: Option<u64>| {
        let app = &app;
        let cart_id = cart_id.to_owned();
        let verb = match &command {
            CartCommand::AddItem { sku, quantity, .. } => format!("added {quantity} x {sku} to"),
            CartCommand::ChangeQuantity { sku, quantity } => format!("set {sku} to {quantity} in"),
            CartCommand::RemoveItem { sku } => format!("removed {sku} from"),
            CartCommand::ClearCart => "cleared".to_owned(),
            CartCommand::Checkout => "checked out".to_owned(),
            CartCommand::Reopen { .. } => "reopened".to_owned(),
        };
        async move {
            let committed = app.execute(&cart_id, command, expected).await?;
            if json {
                println!("{}", serde_json::to_string(&committed)?);
            } else if let Some(order) = &committed.order {
                println!(
                    "{verb} cart {cart_id} (version {}): order {order}",
                    committed.version
                );
            } else {
                println!("{verb} cart {cart_id} (version {})", committed.version);
            }
            Ok::<(), Failure>(())
        }
    };
    match &cli.command {
        Command::Add {
            cart_id,
            sku,
            quantity,
            price,
            expected_version,
        } => {
            let command = CartCommand::AddItem {
                sku: sku.clone(),
                quantity: *quantity,
                unit_price_cents: *price,
            };
            write(cart_id, command, *expected_version).await
        }
        Command::SetQuantity {
            cart_id,
            sku,
            quantity,
            expected_version,
        } => {
            let command = CartCommand::ChangeQuantity {
                sku: sku.clone(),
                quantity: *quantity,
            };
            write(cart_id, command, *expected_version).await
        }
        Command::Remove {
            cart_id,
            sku,
            expected_version,
        } => {
            write(
                cart_id,
                CartCommand::RemoveItem { sku: sku.clone() },
                *expected_version,
            )
            .await
        }
        Command::Clear {
            cart_id,
            expected_version,
        } => write(cart_id, CartCommand::ClearCart, *expected_version).await,
        Command::Checkout {
            cart_id,
            expected_version,
        } => write(cart_id, CartCommand::Checkout, *expected_version).await,
        Command::Show {
            cart_id,
            as_of_version,
        } => {
            let view = match as_of_version {
                Some(version) => app.cart_at(cart_id, *version).await?,
                None => app.cart(cart_id).await?,
            };
            print(json, &view, || cli::cart_table(&view))
        }
        Command::History { cart_id } => {
            let history = app.history(cart_id).await?;
            print(json, &history, || cli::history_table(cart_id, &history))
        }
        Command::TopProducts { limit } => {
            let top = app.top_products(*limit).await?;
            print(json, &top, || cli::top_table(&top))
        }
        Command::Projections {
            action: None | Some(ProjectionAction::Status),
        } => {
            let reports = app.projections().await?;
            print(json, &reports, || cli::projections_table(&reports))
        }
        Command::Projections {
            action: Some(ProjectionAction::Rebuild { name, shadow }),
        } => {
            let bar = progress_bar();
            let done = app
                .rebuild(name, *shadow, |p| {
                    bar.set_length(p.head.saturating_sub(p.from));
                    bar.set_position(p.checkpoint.saturating_sub(p.from));
                })
                .await?;
            bar.finish_and_clear();
            let (what, how) = match (name.as_str(), shadow) {
                // Inline documents are replaced in one transaction either way.
                ("cart_view", true) => ("documents", " (replaced in one transaction)"),
                ("cart_view", false) => ("documents", ""),
                (_, true) => ("events", " (built beside the old version, then swapped in)"),
                (_, false) => ("events", ""),
            };
            println!("rebuilt {name}: {done} {what}{how}");
            Ok(())
        }
        Command::Stock {
            action: StockAction::Set { sku, on_hand },
        } => {
            let level = app.orders().set_stock(sku, *on_hand).await?;
            print(json, &level, || order_cli::stock_line(&level))
        }
        Command::Orders => {
            let orders = app.orders().list().await?;
            print(json, &orders, || order_cli::orders_table(&orders))
        }
        Command::Order { order } => {
            let order = app.orders().get(order).await?;
            print(json, &order, || order_cli::order_table(&order))
        }
        Command::Payment { action } => {
            let (order, failed) = match action {
                PaymentAction::Confirm { order } => (order, None),
                PaymentAction::Fail { order, reason } => (order, Some(reason.clone())),
            };
            app.orders().settle_payment(order, failed).await?;
            let order = app.orders().get(order).await?;
            print(json, &order, || order_cli::order_table(&order))
        }
        Command::Parked {
            action: None | Some(ParkedAction::List),
        } => {
            let parked = app.orders().parked().await?;
            print(json, &parked, || order_cli::parked_table(&parked))
        }
        Command::Parked {
            action: Some(ParkedAction::Retry { order }),
        } => {
            let remaining = app.orders().retry_parked(order).await?;
            let outcome = serde_json::json!({ "order": order, "still_parked": remaining });
            print(json, &outcome, || {
                format!("retried order {order}: {remaining} events still parked\n")
            })
        }
        Command::Parked {
            action: Some(ParkedAction::Evict { order }),
        } => {
            let evicted = app.orders().evict_parked(order).await?;
            let outcome = serde_json::json!({ "order": order, "evicted": evicted });
            print(json, &outcome, || {
                format!("evicted {evicted} parked events of order {order}\n")
            })
        }
        Command::Serve { .. }
        | Command::Relay { .. }
        | Command::Follow { .. }
        | Command::Projections {
            action: Some(ProjectionAction::Run { .. }),
        } => Ok(()),
    }
}

/// Positions done / total, rate and time left; drawn only when stderr is a terminal.
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} positions  {per_sec}  ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The application as the command line configures it.
async fn app<S: Store>(store: S, replica: Option<S>, cli: &Cli) -> Result<CartApp<S>, Failure> {
    let mut app = CartApp::new(store).payment_window(payment_window(cli));
    if let Some(replica) = replica {
        app = app.replica(replica);
    }
    Ok(match read_database(cli).await? {
        Some(pool) => app.read_database(pool),
        None => app,
    })
}

/// The read database the command line names, if any.
async fn read_database(cli: &Cli) -> Result<Option<sqlx::AnyPool>, Failure> {
    let url = match (&cli.read_db, &cli.read_database_url) {
        (Some(path), _) => format!("sqlite://{}?mode=rwc", path.display()),
        (None, Some(url)) => url.clone(),
        (None, None) => return Ok(None),
    };
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url)
        .await
        .map(Some)
        .map_err(|e| Failure::ReadDatabase(e.to_string()))
}

/// The payment window the command line asked for.
fn payment_window(cli: &Cli) -> std::time::Duration {
    std::time::Duration::from_secs(cli.payment_window)
}

fn print<T: serde::Serialize>(
    json: bool,
    value: &T,
    table: impl FnOnce() -> String,
) -> Result<(), Failure> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", table());
    }
    Ok(())
}
