//! `cfg(postgres_tests)` when `DATABASE_URL` is set at build time: the tests that need
//! PostgreSQL are compiled as ignored without it, so `cargo test` lists them as
//! ignored instead of passing them. With `CQRS_REQUIRE_POSTGRES=1` and no
//! `DATABASE_URL` the build stops, so CI never ignores them.

pub(crate) fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CQRS_REQUIRE_POSTGRES");
    let url = std::env::var_os("DATABASE_URL").is_some_and(|url| !url.is_empty());
    let required = std::env::var("CQRS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if url {
        println!("cargo::rustc-cfg=postgres_tests");
    } else if required {
        println!(
            "cargo::error=CQRS_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the PostgreSQL tests cannot run"
        );
    }
}
