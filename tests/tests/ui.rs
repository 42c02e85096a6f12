//! The derives' compile errors, as a newcomer sees them, and code that must compile.
//!
//! The `.stderr` files were written with rustc 1.95 stable; rustc words its own
//! diagnostics differently between versions, so other toolchains skip this suite
//! (it shows as ignored, with the reason), except where `CQRS_REQUIRE_UI=1` (CI).

#[rustversion::attr(
    not(all(stable, since(1.95), before(1.96))),
    ignore = "the UI .stderr files were written with rustc 1.95 stable"
)]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    for group in [
        "event",
        "command",
        "aggregate",
        "projection",
        "query",
        "process",
        "table",
        "attr",
    ] {
        cases.compile_fail(format!("ui/{group}/*.rs"));
    }
}

/// CI sets `CQRS_REQUIRE_UI=1`: there the suite above must run, so a toolchain
/// upgrade fails here, naming what to do, instead of turning every diagnostic test
/// off without a word.
#[test]
fn the_ui_suite_runs_where_it_is_required() {
    let written_for_this_rustc = rustversion::cfg!(all(stable, since(1.95), before(1.96)));
    if std::env::var("CQRS_REQUIRE_UI").is_ok_and(|v| v == "1") {
        assert!(
            written_for_this_rustc,
            "CQRS_REQUIRE_UI=1, but the UI .stderr files were written with rustc 1.95 stable and this is another rustc: \
             review the new diagnostics, regenerate them with `TRYBUILD=overwrite cargo test -p cqrs-tests --test ui`, \
             and move the version in tests/tests/ui.rs"
        );
    }
}
