//! `cfg(nats_tests)` when `NATS_URL` is set at build time: the tests that need a
//! NATS server with JetStream are compiled as ignored without it, so `cargo test`
//! lists them as ignored instead of passing them. With `CQRS_REQUIRE_NATS=1` and no
//! `NATS_URL` the build stops, so CI never ignores them.

pub(crate) fn main() {
    println!("cargo::rustc-check-cfg=cfg(nats_tests)");
    println!("cargo::rerun-if-env-changed=NATS_URL");
    println!("cargo::rerun-if-env-changed=CQRS_REQUIRE_NATS");
    let url = std::env::var_os("NATS_URL").is_some_and(|url| !url.is_empty());
    let required = std::env::var("CQRS_REQUIRE_NATS").is_ok_and(|v| v == "1");
    if url {
        println!("cargo::rustc-cfg=nats_tests");
    } else if required {
        println!(
            "cargo::error=CQRS_REQUIRE_NATS=1 but NATS_URL is not set: the NATS tests cannot run"
        );
    }
}
