//! The R, W, E, Q benchmark of the cart workload, as a library: the `cqrs-bench`
//! binary runs it on our stores, and the peer benchmark (`bench/peers`, its own
//! workspace) runs it beside the same workload on `cqrs-es`.

pub mod ceiling;
pub mod chart;
pub mod http_load;
pub mod lag;
pub mod read_side;
pub mod relay;
pub mod report;
pub mod stats;
pub mod workload;

/// Where results go unless `--out` says: `bench` in Cargo's target directory
/// (`CARGO_TARGET_DIR` when set, else `target`).
pub fn default_out_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::PathBuf::from("target"), Into::into)
        .join("bench")
}
