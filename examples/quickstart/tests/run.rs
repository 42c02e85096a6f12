//! The quickstart runs as the README says: twice in one folder, and the second run
//! sees the first run's list.

use std::process::Command;

fn run_in(dir: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .current_dir(dir)
        .output()
        .expect("the quickstart runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_second_run_sees_the_first() {
    let dir = std::env::temp_dir().join(format!("quickstart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    assert_eq!(run_in(&dir), "1 of 1 items open\n");
    // The second run adds one and finishes the first.
    assert_eq!(run_in(&dir), "1 of 2 items open\n");
    assert_eq!(run_in(&dir), "1 of 3 items open\n");
    let _ = std::fs::remove_dir_all(&dir);
}
