//! The long-running modes of the `cart` binary (declared in `main.rs`, not part of
//! the library): the HTTP server with its workers and relay, and a worker on its own.

use std::sync::Arc;

use cart::cli;
use cart::http::OperatorAccess;
use cart::orders::service::fulfilment_runner;
use cart::service::CartApp;
use cart::top_products::TopRunner;
use cqrs_core::Store;
use cqrs_core::runner::{ProjectionRunner, RunnerOptions};
use cqrs_nats::Relay;

use crate::Failure;

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// A worker: runs `top_products` and the order fulfilment until stopped, printing
/// each change of state of `top_products`.
pub(crate) async fn work<S: Store>(
    store: S,
    batch_size: usize,
    payment_window: std::time::Duration,
    tables: Option<sqlx::AnyPool>,
    json: bool,
) -> Result<(), Failure> {
    let options = RunnerOptions {
        batch_size,
        ..RunnerOptions::default()
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut fulfilment = fulfilment_runner(
        &store,
        payment_window,
        RunnerOptions {
            poll_interval: std::time::Duration::from_millis(200),
            ..options.clone()
        },
    );
    let fulfilment = tokio::spawn(async move {
        let mut stopped = stopped;
        fulfilment
            .run_exclusive(RETRY, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
    });
    let mut runner = TopRunner::new(&store, tables.as_ref(), options);
    let printer = cli::spawn_status_printer(runner.watch_status(), json);
    runner.run_exclusive(RETRY, stop_signal()).await;
    let _ = stop.send(true);
    let _ = fulfilment.await;
    printer.abort();
    Ok(())
}

/// How often a standby worker tries to take over.
pub(crate) const RETRY: std::time::Duration = std::time::Duration::from_millis(200);

pub(crate) async fn serve<S: Store>(
    app: CartApp<S>,
    addr: std::net::SocketAddr,
    access: OperatorAccess,
    relay: Option<ProjectionRunner<S, Relay>>,
) -> Result<(), Failure> {
    // INFO by default (`RUST_LOG` to change it); colours only on a terminal, so a
    // redirected log holds plain text.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let (stop_relay, relay_stopped) = tokio::sync::watch::channel(false);
    let app = match &relay {
        Some(relay) => app.relay_status(relay.watch_status()),
        None => app,
    };
    if let Some(mut relay) = relay {
        let mut relay_stopped = relay_stopped;
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = relay_stopped.wait_for(|stop| *stop).await;
            };
            relay.run_exclusive(RETRY, shutdown).await;
        });
    }
    let app = app.spawn_workers(async move {
        let _ = worker_stopped.await;
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let shutdown = async move {
        stop_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop_worker.send(());
        let _ = stop_relay.send(true);
    };
    cart::http::serve_with(listener, Arc::new(app), access, shutdown).await?;
    Ok(())
}
