//! One active worker per projection: an exclusive lock on a file beside the
//! database, released by the operating system when the holder exits or dies.

use std::fs::{File, OpenOptions, TryLockError};

use cqrs_core::StoreError;
use cqrs_core::runner::Leases;

use crate::store::SqliteEventStore;

/// The right to run one projection, held while its lock file is open.
#[derive(Debug)]
pub struct FileLease {
    /// `None` for an in-memory database: nobody else can reach it.
    _file: Option<File>,
}

impl Leases for SqliteEventStore {
    type Lease = FileLease;

    async fn try_lease(&self, name: &str) -> Result<Option<FileLease>, StoreError> {
        if self.location() == ":memory:" {
            return Ok(Some(FileLease { _file: None }));
        }
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = format!("{}-{safe}.lease", self.location());
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::backend(format!("open the lease file {path}"), e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLease { _file: Some(file) })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(StoreError::backend(
                format!("lock the lease file {path}"),
                e,
            )),
        }
    }

    async fn lost(_: &mut FileLease) {
        // A file lock is only lost with the process.
        std::future::pending::<()>().await
    }

    async fn release(lease: FileLease) {
        drop(lease);
    }
}
