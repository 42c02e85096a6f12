//! One active worker per projection across processes: a session advisory lock held
//! on a dedicated connection. When the holder dies its connection closes, PostgreSQL
//! releases the lock, and a waiting worker takes it on its next try: at once when
//! the process dies, within about 11 s (TCP keepalives) when its host vanishes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cqrs_core::StoreError;
use cqrs_core::runner::Leases;
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::backend;
use crate::store::PostgresEventStore;

/// How often the holder checks that its lock connection is alive.
const PING_EVERY: Duration = Duration::from_secs(1);

/// Server-side TCP keepalives for the lock's session: idle 5 s, then 3 probes 2 s apart.
const KEEPALIVES: &str =
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";

/// The lock key: the schema and the projection's name, hashed by PostgreSQL.
const KEY: &str = "hashtextextended(current_schema() || '/' || $1, 0)";

/// The right to run one projection, held by a task that owns the lock's connection.
#[derive(Debug)]
pub struct PgLease {
    release: Option<oneshot::Sender<()>>,
    lost: watch::Receiver<bool>,
    holder: JoinHandle<()>,
}

impl Drop for PgLease {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.send(());
        }
    }
}

impl Leases for PostgresEventStore {
    type Lease = PgLease;

    fn try_lease(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<PgLease>, StoreError>> + Send {
        let options = self.pool().connect_options();
        let set_path = format!(
            "SET search_path TO \"{}\"",
            self.schema().replace('"', "\"\"")
        );
        let name = name.to_owned();
        async move {
            let (granted, answer) = oneshot::channel();
            let (release, released) = oneshot::channel();
            let (lost_tx, lost) = watch::channel(false);
            let holder = tokio::spawn(hold(
                options,
                set_path,
                name.clone(),
                granted,
                released,
                lost_tx,
            ));
            match answer.await {
                Ok(Ok(true)) => Ok(Some(PgLease {
                    release: Some(release),
                    lost,
                    holder,
                })),
                Ok(Ok(false)) => Ok(None),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(StoreError::backend(
                    format!("take the lease for `{name}`"),
                    "the lease task ended before answering",
                )),
            }
        }
    }

    async fn lost(lease: &mut PgLease) {
        let _ = lease.lost.wait_for(|lost| *lost).await;
    }

    async fn release(mut lease: PgLease) {
        if let Some(release) = lease.release.take() {
            let _ = release.send(());
        }
        let _ = (&mut lease.holder).await;
    }
}

/// Connects, tries the lock, reports, and holds it until released or lost.
async fn hold(
    options: Arc<PgConnectOptions>,
    set_path: String,
    name: String,
    granted: oneshot::Sender<Result<bool, StoreError>>,
    mut released: oneshot::Receiver<()>,
    lost: watch::Sender<bool>,
) {
    // A pool of exactly one connection that never recycles it: the lock belongs to
    // that session. If the pool ever has to reconnect, the check below sees the new
    // session does not hold the lock.
    let connection = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                // If the holder's host vanishes without closing the connection, the
                // server finds out within about 11 s and releases the lock.
                conn.execute(KEEPALIVES).await?;
                Ok(())
            })
        })
        .connect_lazy_with((*options).clone());
    let answer = sqlx::query_scalar::<_, bool>(&format!("SELECT pg_try_advisory_lock({KEY})"))
        .bind(&name)
        .fetch_one(&connection)
        .await
        .map_err(|e| backend(format!("take the lease for `{name}`"), e));
    let held = matches!(answer, Ok(true));
    if granted.send(answer).is_err() || !held {
        connection.close().await;
        return;
    }
    let still_held = format!(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND pid = pg_backend_pid() AND objsubid = 1 \
         AND ((classid::bigint << 32) | objid::bigint) = {KEY})"
    );
    loop {
        tokio::select! {
            _ = &mut released => {
                let unlock = format!("SELECT pg_advisory_unlock({KEY})");
                let _ = sqlx::query(&unlock).bind(&name).execute(&connection).await;
                connection.close().await;
                return;
            }
            _ = tokio::time::sleep(PING_EVERY) => {
                let check = sqlx::query_scalar::<_, bool>(&still_held).bind(&name).fetch_one(&connection).await;
                if !matches!(check, Ok(true)) {
                    tracing::warn!(projection = %name, "lost the lease: its connection failed ({check:?})");
                    let _ = lost.send(true);
                    connection.close().await;
                    return;
                }
            }
        }
    }
}
