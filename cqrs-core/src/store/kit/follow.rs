//! Waking followers of the log in process.

use tokio::sync::watch;

/// Waits on a head-position channel until it passes `position` or `timeout` runs out.
pub async fn wait_past_head(
    mut head: watch::Receiver<u64>,
    position: u64,
    timeout: std::time::Duration,
) {
    let _ = tokio::time::timeout(timeout, head.wait_for(|h| *h > position)).await;
}

/// Moves a head-position channel forward to `position` (never back), waking its
/// waiters when it moved.
pub fn publish_head(head: &watch::Sender<u64>, position: u64) {
    head.send_if_modified(|current| {
        let moved = position > *current;
        *current = (*current).max(position);
        moved
    });
}
