//! koko: connect network namespaces and containers with virtual links.

pub mod bulk;
pub mod cli;
pub mod endpoint;
pub mod error;
pub mod exec;
pub mod netns;
pub mod ops;
pub mod plan;
pub mod resolve;
pub mod runtime;
pub mod signals;
