//! koko: connect network namespaces and containers with virtual links.

pub mod cli;
pub mod endpoint;
pub mod plan;
pub mod runtime;
