//! The R, W, E, Q benchmark of the cart workload, as a library: the `cqrs-bench`
//! binary runs it on our stores, and the peer benchmark (`bench/peers`, its own
//! workspace) runs it beside the same workload on `cqrs-es`.

pub mod ceiling;
pub mod chart;
pub mod http_load;
pub mod lag;
pub mod read_side;
pub mod stats;
pub mod workload;
