//! Following the log: `LISTEN` for appends committed by any node, with polling as
//! the fallback when a notification is missed or the listening connection drops.

use std::sync::Weak;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

/// Listens on `channel` and publishes the newest head position on `head`, until the
/// store (`alive`) is dropped. Reconnects after a failure.
pub(crate) async fn listen<T: Send + Sync + 'static>(
    pool: PgPool,
    channel: String,
    head: watch::Sender<u64>,
    alive: Weak<T>,
) {
    while alive.strong_count() > 0 {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%channel, "cannot listen for appends, polling until it can: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(&channel).await {
            tracing::warn!(%channel, "LISTEN failed, polling until it works: {error}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        while alive.strong_count() > 0 {
            match tokio::time::timeout(Duration::from_secs(5), listener.try_recv()).await {
                Err(_) => continue,
                Ok(Ok(Some(notification))) => {
                    if let Ok(position) = notification.payload().parse::<u64>() {
                        head.send_if_modified(|h| {
                            let moved = position > *h;
                            *h = (*h).max(position);
                            moved
                        });
                    }
                }
                // The connection dropped: notifications may have been missed, so wake
                // everyone to look at the log, then listen again.
                Ok(Ok(None)) | Ok(Err(_)) => {
                    head.send_modify(|_| {});
                    break;
                }
            }
        }
    }
}
