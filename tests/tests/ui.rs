//! The derives' compile errors, as a newcomer sees them, and code that must compile.
//!
//! The `.stderr` files were written with rustc 1.95 stable; rustc words its own
//! diagnostics differently between versions, so other toolchains skip this suite
//! (it shows as ignored, with the reason).

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
        "attr",
    ] {
        cases.compile_fail(format!("ui/{group}/*.rs"));
    }
}
