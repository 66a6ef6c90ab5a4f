//! Arbitrary bytes as a datagram from the kernel: the message and attribute iterators,
//! the link, address and ACK parsers, and the `KOKO_DEBUG` formatter.
#![no_main]

#[path = "../checks/netlink.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_reply_parsers(data);
});
