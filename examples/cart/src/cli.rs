//! The command line: arguments, and what is printed for people (tables) or scripts (`--json`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::orders::cli::{ParkedAction, PaymentAction, StockAction};
pub use crate::relay::NatsArgs;
use crate::service::{HistoryEntry, ProjectionReport};
use crate::views::{CartView, ProductCount};

/// A shopping cart kept as events. State survives between runs in `./cart.db`.
#[derive(Debug, Parser)]
#[command(
    name = "cart",
    version,
    after_help = "Try: cart add alice apple 3 0.40 && cart show alice\n\n\
Exit codes: 0 done; 1 failed; 2 bad usage; 3 not found (a cart, an order, a \
version, a projection); 4 refused (a rule, a conflicting version, bad input); \
5 unavailable for now (busy, behind, a database down: try again). With --json, \
errors are one JSON object on stderr: {\"error\":{\"code\":...,\"message\":...}}."
)]
pub struct Cli {
    /// The SQLite file holding the events (created if missing).
    #[arg(long, global = true, default_value = "cart.db", value_name = "PATH")]
    pub db: PathBuf,

    /// Use PostgreSQL instead of the SQLite file.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Read carts and histories from this PostgreSQL streaming replica of the
    /// `--database-url` database (writes still go to the primary).
    #[arg(long, global = true, value_name = "URL", hide_env_values = true)]
    pub replica_url: Option<String>,

    /// The PostgreSQL schema to keep the tables in.
    #[arg(long, global = true, default_value = "public", value_name = "NAME")]
    pub schema: String,

    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// Keep `top_products` as tables in this SQLite file (created if missing), a
    /// read database of its own, instead of the event store's database.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "read_database_url"
    )]
    pub read_db: Option<PathBuf>,

    /// Keep `top_products` as tables in this database (`postgres://...` or
    /// `sqlite://...`) instead of the event store's database.
    #[arg(long, global = true, value_name = "URL")]
    pub read_database_url: Option<String>,

    /// Seconds a customer has to pay for an order before it is cancelled.
    #[arg(long, global = true, default_value_t = 900, value_name = "SECONDS")]
    pub payment_window: u64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Put units of a product in a cart (creating the cart).
    Add {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// The product.
        sku: String,
        /// Units to add.
        quantity: u32,
        /// Unit price in currency units, such as 1.99.
        #[arg(value_parser = parse_price)]
        price: u64,
        /// Refuse unless the cart is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Set a product's quantity (0 removes it).
    SetQuantity {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// The product.
        sku: String,
        /// The new quantity; 0 removes the product.
        quantity: u32,
        /// Refuse unless the cart is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Take a product out of a cart.
    Remove {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// The product.
        sku: String,
        /// Refuse unless the cart is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Take every product out of a cart.
    Clear {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// Refuse unless the cart is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Check a cart out; it no longer changes afterwards.
    Checkout {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// Refuse unless the cart is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Show a cart's contents and total.
    Show {
        /// The cart (any name: `alice`, `42`).
        cart_id: String,
        /// Show the cart as it was at this version.
        #[arg(long)]
        as_of_version: Option<u64>,
    },
    /// Show every event of a cart, with versions and times.
    History {
        /// The cart.
        cart_id: String,
    },
    /// The products most often added, across all carts.
    TopProducts {
        /// How many products.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Count a product's stock (orders reserve from it).
    Stock {
        #[command(subcommand)]
        action: StockAction,
    },
    /// Every order, newest first, with its status.
    Orders,
    /// One order: status, lines, payment due time or why it ended.
    Order {
        /// The order id (a checkout prints it).
        order: String,
    },
    /// The simulated payment provider: confirm or fail an order's payment.
    Payment {
        #[command(subcommand)]
        action: PaymentAction,
    },
    /// Orders whose events failed and wait for an operator: list, retry, evict.
    Parked {
        #[command(subcommand)]
        action: Option<ParkedAction>,
    },
    /// Serve the HTTP API (and keep `top_products` and the order fulfilment running).
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The token operators send (`Authorization: Bearer <token>`) for
        /// `/metrics` and for retrying or evicting parked events; without one, those
        /// answer callers on this machine only.
        #[arg(long, env = "CART_OPERATOR_TOKEN", hide_env_values = true)]
        operator_token: Option<String>,
        /// Also relay every event to this NATS server's JetStream (stream
        /// `CART_EVENTS`, as `cart relay` does; one relay per stream is active).
        #[arg(long, value_name = "URL")]
        relay_nats: Option<String>,
    },
    /// Publish every event to NATS JetStream, in log order and exactly once, until
    /// stopped; start several and one is active. Prints its state as it changes.
    Relay {
        #[command(flatten)]
        nats: NatsArgs,
        /// Events per batch: one publish round trip each.
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
    },
    /// Another service's view: the cart's events read back from JetStream with a
    /// durable consumer, decoded, one line each.
    Follow {
        #[command(flatten)]
        nats: NatsArgs,
        /// The durable consumer's name: a later run with the same name starts after
        /// the events this one received.
        #[arg(long, default_value = "cart-follow")]
        durable: String,
        /// Print what waits now and stop, instead of following.
        #[arg(long)]
        once: bool,
    },
    /// The read models: where each is in the log, and workers and rebuilds.
    Projections {
        #[command(subcommand)]
        action: Option<ProjectionAction>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionAction {
    /// Each projection's checkpoint, the log's head and the lag (the default).
    Status,
    /// Keep the catch-up projections and the order fulfilment running until stopped
    /// (Ctrl-C or SIGTERM).
    /// Several workers may run: one is active, the others wait to take over.
    Run {
        /// Events per batch; each batch commits with its checkpoint.
        #[arg(long, default_value_t = 1_000)]
        batch_size: usize,
    },
    /// Rebuild a projection from the start of the log.
    Rebuild {
        /// `top_products`, `orders` or `cart_view`.
        name: String,
        /// Build a new version beside the old one, which keeps serving, then swap.
        #[arg(long)]
        shadow: bool,
    },
}

/// `1.99` -> 199 cents; at most two decimals.
pub fn parse_price(text: &str) -> Result<u64, String> {
    let invalid =
        || format!("`{text}` is not a price: write units and at most two decimals, such as 1.99");
    let (units, cents) = match text.split_once('.') {
        Some((units, cents)) if !cents.is_empty() && cents.len() <= 2 => (units, cents),
        Some(_) => return Err(invalid()),
        None => (text, "0"),
    };
    if !units.chars().all(|c| c.is_ascii_digit()) || !cents.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let units: u64 = if units.is_empty() {
        0
    } else {
        units.parse().map_err(|_| invalid())?
    };
    let mut cents: u64 = cents.parse().map_err(|_| invalid())?;
    if text.split_once('.').is_some_and(|(_, c)| c.len() == 1) {
        cents *= 10;
    }
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(invalid)
}

/// Cents as `12.34`.
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub fn cart_table(view: &CartView) -> String {
    let mut out = format!(
        "cart {}  version {}{}\n",
        view.cart_id,
        view.version,
        if view.checked_out {
            "  (checked out)"
        } else {
            ""
        }
    );
    let width = view.lines.keys().map(String::len).max().unwrap_or(3).max(3);
    out.push_str(&format!(
        "{:<width$}  {:>5}  {:>10}  {:>10}\n",
        "SKU", "QTY", "UNIT", "SUBTOTAL"
    ));
    for (sku, line) in &view.lines {
        let subtotal = u64::from(line.quantity) * line.unit_price_cents;
        out.push_str(&format!(
            "{sku:<width$}  {:>5}  {:>10}  {:>10}\n",
            line.quantity,
            money(line.unit_price_cents),
            money(subtotal)
        ));
    }
    out.push_str(&format!(
        "{:<width$}  {:>5}  {:>10}  {:>10}\n",
        "TOTAL",
        "",
        "",
        money(view.total_cents)
    ));
    out
}

pub fn history_table(cart_id: &str, history: &[HistoryEntry]) -> String {
    let mut out = format!("history of cart {cart_id}\n");
    out.push_str(&format!(
        "{:>7}  {:>8}  {:<25}  {:<22}  {}\n",
        "VERSION", "POSITION", "RECORDED AT (UTC)", "EVENT", "DATA"
    ));
    for entry in history {
        out.push_str(&format!(
            "{:>7}  {:>8}  {:<25}  {:<22}  {}\n",
            entry.version,
            entry.position,
            entry.recorded_at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
            entry.event,
            entry.data
        ));
    }
    out
}

pub fn top_table(products: &[ProductCount]) -> String {
    let width = products
        .iter()
        .map(|p| p.sku.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut out = format!("{:<width$}  {:>8}  {:>11}\n", "SKU", "UNITS", "TIMES ADDED");
    for product in products {
        out.push_str(&format!(
            "{:<width$}  {:>8}  {:>11}\n",
            product.sku, product.units, product.times_added
        ));
    }
    out
}

pub fn projections_table(reports: &[ProjectionReport]) -> String {
    let mut out = format!(
        "{:<14}  {:<8}  {:>10}  {:>10}  {:>8}  {:<20}  {}\n",
        "PROJECTION", "KIND", "CHECKPOINT", "HEAD", "LAG", "WAITING", "WORKER"
    );
    for r in reports {
        let worker = r
            .worker
            .as_ref()
            .map_or("-".to_owned(), |w| format!("{w:?}"));
        let waiting = r.waiting.map_or("-".to_owned(), |w| {
            format!("{} parked, {} due", w.parked, w.deadlines)
        });
        out.push_str(&format!(
            "{:<14}  {:<8}  {:>10}  {:>10}  {:>8}  {waiting:<20}  {worker}\n",
            r.name, r.kind, r.checkpoint, r.head, r.lag
        ));
    }
    out
}

/// Prints a worker's status as it changes: a line when the state changes kind
/// or the checkpoint moves, nothing while it idles.
pub fn spawn_status_printer(
    mut status: tokio::sync::watch::Receiver<cqrs_core::runner::ProjectionStatus>,
    json: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = None;
        while status.changed().await.is_ok() {
            let current = status.borrow_and_update().clone();
            let seen = (std::mem::discriminant(&current.state), current.checkpoint);
            if last == Some(seen) {
                continue;
            }
            last = Some(seen);
            if json {
                println!("{}", serde_json::to_string(&current).unwrap_or_default());
            } else {
                println!(
                    "{}: {:?} at {} of {}",
                    current.name, current.state, current.checkpoint, current.head
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{Cli, parse_price};
    use clap::CommandFactory;

    /// Every argument and option of every command says what it is for, and the
    /// top-level help lists the exit codes.
    #[test]
    fn every_argument_has_help_and_the_exit_codes_are_documented() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            if command.get_about().is_none() && !path.is_empty() {
                missing.push(format!("`{path}` has no description"));
            }
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    missing.push(format!("`{path} {}` has no help", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                walk(sub, name.trim(), missing);
            }
        }
        let command = Cli::command();
        let mut missing = Vec::new();
        walk(&command, "", &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
        let help = Cli::command().render_long_help().to_string();
        for code in [
            "0 done",
            "2 bad usage",
            "3 not found",
            "4 refused",
            "5 unavailable",
        ] {
            assert!(help.contains(code), "{code} is not in --help:\n{help}");
        }
    }

    #[test]
    fn prices_are_read_as_cents() {
        assert_eq!(parse_price("1.99"), Ok(199));
        assert_eq!(parse_price("2"), Ok(200));
        assert_eq!(parse_price("0.5"), Ok(50));
        assert_eq!(parse_price(".25"), Ok(25));
        assert!(parse_price("1.999").is_err());
        assert!(parse_price("-1").is_err());
        assert!(parse_price("1,99").is_err());
        assert!(parse_price("abc").is_err());
        assert!(parse_price("1.").is_err());
    }
}
