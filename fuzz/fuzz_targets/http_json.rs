//! Container-engine replies: `http::parse_response`, `json::parse`, and the Docker and
//! CRI-O inspect readers on the reply and on its body.
#![no_main]

#[path = "../checks/koko.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_http_json(data);
});
