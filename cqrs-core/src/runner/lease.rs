//! Several workers, one active: a lease per projection, and the loop that waits for it.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::FutureExt;

use super::{CatchUpTarget, ProjectionRunner};
use crate::store::{EventStore, Leases, LogFollower};

impl<S, T> ProjectionRunner<S, T>
where
    S: EventStore + LogFollower + Leases + Clone,
    T: CatchUpTarget,
{
    /// Runs the projection on one worker at a time until `shutdown`: on standby
    /// until it holds the lease (trying every `retry`), active while it holds it,
    /// back to standby if it loses it. A worker taking over continues from the
    /// projection's checkpoint.
    pub async fn run_exclusive(&mut self, retry: Duration, shutdown: impl Future<Output = ()>) {
        let name = self.target.name().to_owned();
        let mut shutdown = pin!(shutdown.fuse());
        loop {
            self.standby();
            let mut lease = loop {
                match self.store.try_lease(&name).await {
                    Ok(Some(lease)) => break lease,
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(projection = %name, "cannot take the lease: {error}")
                    }
                }
                tokio::select! {
                    _ = &mut shutdown => {
                        self.set_state(super::RunState::Stopped);
                        return;
                    }
                    _ = tokio::time::sleep(retry) => {}
                }
            };
            tracing::info!(projection = %name, "holding the lease: this worker is active");
            let mut stopping = false;
            self.run_until(async {
                tokio::select! {
                    _ = &mut shutdown => stopping = true,
                    _ = S::lost(&mut lease) => {}
                }
            })
            .await;
            S::release(lease).await;
            if stopping {
                return;
            }
        }
    }
}
