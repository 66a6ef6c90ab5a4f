//! Command lines: NUL-separated arguments (any bytes, invalid UTF-8 included) through
//! `plan::from_args`, and the same input as a bulk-file line through `cli::split_line`
//! and `plan::from_line`.
#![no_main]

#[path = "../checks/koko.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_cli_input(data);
});
