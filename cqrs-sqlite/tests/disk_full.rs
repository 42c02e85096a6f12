//! A real full disk: the database on a small tmpfs. Needs root to mount it, so it is
//! ignored in a plain `cargo test`; CI (root) runs it with `--ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::{Path, PathBuf};
use std::process::Command;

use cqrs_core::conformance::{new_event, numbered_events};
use cqrs_core::{EventStore, ExpectedVersion};
use cqrs_sqlite::SqliteEventStore;

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cqrs-disk-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "cannot mount a tmpfs on {} (root needed)",
            dir.display()
        );
        SmallDisk(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn fill(path: &Path, bytes: usize) {
    std::fs::write(path, vec![0u8; bytes]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "mounts a tmpfs: needs root; CI runs it with --ignored"]
async fn appends_work_again_after_the_disk_was_full() {
    let disk = SmallDisk::mount("8m");
    // 2 MiB left for the database; 2 MiB to give back later (more than the database
    // holds, so the checkpoint that follows fits too).
    fill(&disk.path("kept"), 4 << 20);
    fill(&disk.path("ballast"), 2 << 20);
    let store = SqliteEventStore::open(disk.path("cart.db")).await.unwrap();
    store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 1))
        .await
        .unwrap();
    let blob = serde_json::json!({ "blob": "x".repeat(64 * 1024) });
    let mut failures = Vec::new();
    for i in 0..200 {
        let event = new_event("Big", blob.clone());
        match store
            .append(&format!("big-{i}"), ExpectedVersion::NoStream, vec![event])
            .await
        {
            Ok(_) => {}
            Err(error) => {
                assert!(error.is_transient(), "a full disk may pass: {error:?}");
                failures.push(format!("{error}: {:?}", std::error::Error::source(&error)));
                if failures.len() == 4 {
                    break;
                }
            }
        }
    }
    assert_eq!(failures.len(), 4, "the disk never filled up");
    assert!(
        failures.iter().all(|f| f.contains("full")),
        "a write failed for another reason than the full disk: {failures:?}"
    );

    std::fs::remove_file(disk.path("ballast")).unwrap();
    for i in 0..12 {
        store
            .append(
                &format!("after-{i}"),
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 1),
            )
            .await
            .unwrap_or_else(|e| {
                let files: Vec<_> = std::fs::read_dir(&disk.0)
                    .unwrap()
                    .map(|f| {
                        let f = f.unwrap();
                        (f.file_name(), f.metadata().unwrap().len())
                    })
                    .collect();
                let df = Command::new("df").arg(&disk.0).output().unwrap();
                panic!(
                    "append {i} after space came back: {e:?} {files:?} {}",
                    String::from_utf8_lossy(&df.stdout)
                )
            });
    }
    let together = futures_util::future::join_all((0..8).map(|i| {
        let store = store.clone();
        async move {
            store
                .append(
                    &format!("together-{i}"),
                    ExpectedVersion::NoStream,
                    numbered_events("N", 0, 1),
                )
                .await
        }
    }))
    .await;
    for result in together {
        result.unwrap();
    }
    store.pool().close().await;
}
