//! Telling followers on every node that appends committed: a `NOTIFY` in a statement
//! of its own after the commit, never inside the append's transaction (a transaction
//! that notifies holds a database-wide lock through its commit's flush, so notifying
//! appends would commit one at a time).

use std::sync::Mutex;
use std::sync::PoisonError;

use sqlx::PgPool;

/// The notifications of one store handle: at most one `NOTIFY` on its way at a time,
/// carrying the newest position committed meanwhile (followers only need the
/// newest), so a busy store sends one per round trip, not one per group.
#[derive(Debug)]
pub(crate) struct Notifier {
    channel: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// A newer position than the last one sent, waiting to be sent.
    waiting: Option<u64>,
    /// A task is sending.
    sending: bool,
}

impl Notifier {
    pub(crate) fn new(channel: &str) -> Notifier {
        Notifier {
            channel: channel.to_owned(),
            state: Mutex::default(),
        }
    }

    /// Sends `position` (or a newer one) to the channel, in a task. A notification
    /// lost to a crash is covered by the followers' polling.
    pub(crate) fn notify(self: &std::sync::Arc<Self>, pool: &PgPool, position: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.waiting = Some(state.waiting.map_or(position, |w| w.max(position)));
            if state.sending {
                return;
            }
            state.sending = true;
        }
        let (notifier, pool) = (self.clone(), pool.clone());
        runtime.spawn(async move {
            while let Some(position) = notifier.next() {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&notifier.channel)
                    .bind(position.to_string())
                    .execute(&pool)
                    .await;
                if let Err(error) = sent {
                    tracing::debug!(
                        channel = %notifier.channel,
                        "could not notify followers of position {position}: {error}"
                    );
                }
            }
        });
    }

    /// The position to send next; `None` ends the sending task.
    fn next(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let next = state.waiting.take();
        state.sending = next.is_some();
        next
    }
}
