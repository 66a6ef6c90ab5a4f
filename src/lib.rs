//! koko: connect network namespaces and containers with virtual links.
