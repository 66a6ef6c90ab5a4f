//! Arbitrary `NLMSG_ERROR` payloads with arbitrary header flags (`NLM_F_CAPPED`,
//! `NLM_F_ACK_TLVS` and the rest): `Ack::parse` and the text of the resulting error.
#![no_main]

#[path = "../checks/netlink.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((flags, payload)) = data.split_first_chunk::<2>() else {
        return;
    };
    checks::check_error_payload(u16::from_ne_bytes(*flags), payload);
});
