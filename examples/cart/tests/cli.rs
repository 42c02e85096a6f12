//! The built binary, run twice against one database file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::PathBuf;
use std::process::{Command, Output};

fn cart(db: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cart"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[test]
fn a_second_run_sees_the_first_runs_cart() {
    let db = TempDb(std::env::temp_dir().join(format!("cart-cli-{}.db", std::process::id())));
    drop(TempDb(db.0.clone()));

    let first = cart(&db.0, &["add", "alice", "apple", "3", "0.40"]);
    assert!(first.status.success(), "{first:?}");
    assert_eq!(
        stdout(&first),
        "added 3 x apple to cart alice (version 1)\n"
    );

    let second = cart(&db.0, &["show", "alice"]);
    assert!(second.status.success(), "{second:?}");
    let table = stdout(&second);
    assert!(table.starts_with("cart alice  version 1\n"), "{table}");
    assert!(
        table.contains("apple      3        0.40        1.20"),
        "{table}"
    );

    let json = cart(&db.0, &["--json", "show", "alice"]);
    let view: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(view["total_cents"], 120);

    let refused = cart(&db.0, &["checkout", "nobody"]);
    assert!(!refused.status.success());
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "error: cart `nobody` does not exist\n"
    );

    let stale = cart(
        &db.0,
        &[
            "add",
            "alice",
            "pear",
            "1",
            "0.65",
            "--expected-version",
            "0",
        ],
    );
    assert!(!stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("is at version 1, not 0"));
}

/// Scripts tell failures apart: an exit code per kind, and JSON on stderr under
/// `--json`.
#[test]
fn failures_have_an_exit_code_per_kind_and_json_under_json() {
    let db = TempDb(std::env::temp_dir().join(format!("cart-cli-codes-{}.db", std::process::id())));
    drop(TempDb(db.0.clone()));
    assert!(
        cart(&db.0, &["add", "alice", "apple", "1", "0.40"])
            .status
            .success()
    );

    let missing = cart(&db.0, &["--json", "show", "nobody"]);
    assert_eq!(missing.status.code(), Some(3), "not found");
    let error: serde_json::Value = serde_json::from_slice(&missing.stderr).unwrap();
    assert_eq!(error["error"]["code"], "not_found");
    assert_eq!(error["error"]["message"], "cart `nobody` does not exist");

    let refused = cart(&db.0, &["add", "alice", "apple", "0", "0.40"]);
    assert_eq!(refused.status.code(), Some(4), "refused by a rule");
    let conflict = cart(&db.0, &["clear", "alice", "--expected-version", "7"]);
    assert_eq!(conflict.status.code(), Some(4), "a stale version");
    let usage = cart(&db.0, &["add", "alice"]);
    assert_eq!(usage.status.code(), Some(2), "clap's usage error");
}
