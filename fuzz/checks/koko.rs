//! Invariants of koko's command-line and container-engine parsers, shared by the
//! cargo-fuzz targets and the deterministic mini-fuzz in `tests/minifuzz.rs`.
//!
//! Every function panics when an invariant fails. The parsers themselves must not panic
//! on any input, which is what the fuzzers test.

#![allow(dead_code)]

use koko::cli;
use koko::plan;
use koko::runtime::{crio, docker, http, json};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

/// Splits `bytes` at NUL into command-line arguments, as the kernel hands them to a
/// process, so an argument may hold any other byte, invalid UTF-8 included.
pub fn args_from_bytes(bytes: &[u8]) -> Vec<OsString> {
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes.split(|&b| b == 0).map(|arg| OsString::from_vec(arg.to_vec())).collect()
}

/// Quotes `word` for a bulk-file line so that `cli::split_line` returns it unchanged.
fn quote_word(word: &str) -> String {
    let mut quoted = String::from("'");
    for c in word.chars() {
        if c == '\'' {
            // Close the single quotes, add the quote in double quotes, and reopen.
            quoted.push_str("'\"'\"'");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// Validates `args` into a plan; an error must carry a message.
pub fn check_args(args: &[OsString]) {
    match plan::from_args(args.iter().cloned()) {
        Ok(plan) => assert_eq!(
            plan::from_args(args.iter().cloned()),
            Ok(plan),
            "validation is not deterministic"
        ),
        Err(error) => assert!(!error.message().is_empty(), "an argument error without a message"),
    }
}

/// Splits and validates `line` as a bulk-file line and checks that the words survive
/// quoting and splitting again, that a line that validates gives the same plan as its
/// words given as arguments, and that errors carry a message. Returns whether the line
/// validated into a plan.
pub fn check_line(line: &str) -> bool {
    match cli::split_line(line) {
        Ok(Some(words)) => {
            let requoted: Vec<String> = words.iter().map(|word| quote_word(word)).collect();
            let again = cli::split_line(&requoted.join(" "));
            assert_eq!(again, Ok(Some(words.clone())), "quoted words did not split back unchanged");

            match plan::from_line(line) {
                Ok(Some(plan)) => {
                    assert_eq!(plan::from_args(words), Ok(plan));
                    true
                }
                Ok(None) => panic!("from_line found no command in a line with words"),
                Err(error) => {
                    assert!(!error.message().is_empty());
                    false
                }
            }
        }
        Ok(None) => {
            assert_eq!(plan::from_line(line), Ok(None));
            false
        }
        Err(error) => {
            assert!(!error.message().is_empty());
            assert!(plan::from_line(line).is_err(), "from_line accepted a line split_line rejects");
            false
        }
    }
}

/// Runs the command-line parsers on one fuzz input: as NUL-separated arguments and, when
/// it is UTF-8, as a bulk-file line.
pub fn check_cli_input(bytes: &[u8]) {
    check_args(&args_from_bytes(bytes));
    if let Ok(line) = std::str::from_utf8(bytes) {
        let _ = check_line(line);
    }
}

/// Reads a PID from `body` with the Docker and the CRI-O inspect readers. A PID they
/// return must be a valid process ID, and an error must carry a message.
pub fn check_inspect_readers(body: &[u8]) {
    let socket = Path::new("/run/fuzz.sock");
    for pid in
        [docker::pid_from_inspect(socket, "c", body), crio::pid_from_inspect(socket, "c", body)]
    {
        match pid {
            Ok(pid) => assert!((1..=0x7fff_ffff).contains(&pid), "pid {pid} is out of range"),
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}

/// Runs the HTTP and JSON readers on `bytes` as an engine's reply and as a reply body.
pub fn check_http_json(bytes: &[u8]) {
    match http::parse_response(bytes) {
        Ok(response) => {
            assert!((100..=999).contains(&response.status), "status {} accepted", response.status);
            assert!(!(100..200).contains(&response.status), "an interim response was returned");
            assert!(response.body.len() <= bytes.len(), "the body grew past the reply");
            check_inspect_readers(&response.body);
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    match json::parse(bytes) {
        Ok(value) => assert_eq!(json::parse(bytes), Ok(value)),
        Err(error) => assert!(error.offset <= bytes.len(), "error offset past the end"),
    }
    check_inspect_readers(bytes);
}
