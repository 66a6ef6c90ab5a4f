//! SIGINT and SIGTERM: the handler only sets a flag. The long waits (duplicate address
//! detection, `--wait`) and bulk runs check it and fail, so the usual rollback runs
//! instead of the process dying half-way. Only the `koko` binary installs the handlers;
//! in a program that uses the library the flag stays clear.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that arrived, or 0.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    RECEIVED.store(signal, Ordering::Relaxed);
}

/// Installs the handlers for SIGINT and SIGTERM, without `SA_RESTART`, so that a blocked
/// read of standard input returns at once. koko's netlink and HTTP code retry `EINTR`.
pub fn install() -> Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain data, so all-zero is a valid value (no flags, empty
        // mask) before the handler is set.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `action` is a live struct; the handler only stores to an atomic, which
        // is async-signal-safe.
        if unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) } != 0 {
            let error = std::io::Error::last_os_error();
            return Err(Error::io("install the handler for SIGINT and SIGTERM", &error));
        }
    }
    Ok(())
}

/// Returns the error for a bulk run interrupted after line `number`, if a signal arrived.
pub fn check(number: u64) -> Result<()> {
    let Some(name) = received_name() else {
        return Ok(());
    };
    if number == 0 {
        return Err(Error::new(format!("interrupted before line 1 ({name})")));
    }
    Err(Error::new(format!("interrupted after line {number} ({name}); later lines did not run")))
}

/// Returns an error naming `what` koko was doing if a signal arrived.
pub fn check_during(what: std::fmt::Arguments<'_>) -> Result<()> {
    match received_name() {
        None => Ok(()),
        Some(name) => Err(Error::new(format!("interrupted ({name}) while {what}"))),
    }
}

/// Returns the error for a bulk run interrupted after its last line, while it was
/// finishing.
pub fn check_end() -> Result<()> {
    match received_name() {
        None => Ok(()),
        Some(name) => Err(Error::new(format!("interrupted while finishing the run ({name})"))),
    }
}

fn received_name() -> Option<&'static str> {
    match RECEIVED.load(Ordering::Relaxed) {
        0 => None,
        libc::SIGINT => Some("SIGINT"),
        _ => Some("SIGTERM"),
    }
}
