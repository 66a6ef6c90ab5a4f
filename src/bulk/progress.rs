//! Progress line and summary on stderr, shown only when stderr is a terminal.

use super::lines::Counts;
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Runs shorter than this finish without a progress line.
const QUIET_START: Duration = Duration::from_secs(1);
/// Minimum time between two updates of the progress line (at most 10 per second).
const UPDATE_INTERVAL: Duration = Duration::from_millis(100);

pub struct Progress {
    terminal: bool,
    start: Instant,
    next_update: Instant,
    shown: bool,
}

impl Progress {
    pub fn new() -> Progress {
        // SAFETY: isatty takes a descriptor number and reads no memory.
        let terminal = unsafe { libc::isatty(libc::STDERR_FILENO) } == 1;
        let start = Instant::now();
        Progress { terminal, start, next_update: start + QUIET_START, shown: false }
    }

    /// Redraws the progress line if it is due.
    pub fn update(&mut self, line: u64, counts: &Counts) {
        if !self.terminal {
            return;
        }
        let now = Instant::now();
        if now < self.next_update {
            return;
        }
        self.next_update = now + UPDATE_INTERVAL;
        self.shown = true;
        let mut stderr = io::stderr().lock();
        let _ = write!(
            stderr,
            "\rkoko: line {line}: {} links created, {} deleted\x1b[K",
            counts.created, counts.deleted
        );
        let _ = stderr.flush();
    }

    /// Clears the progress line, so that an error message starts on a clean line.
    pub fn clear(&mut self) {
        if self.shown {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
            self.shown = false;
        }
    }

    /// Prints the summary of the run.
    pub fn summary(&mut self, counts: &Counts) {
        self.clear();
        if !self.terminal {
            return;
        }
        let seconds = self.start.elapsed().as_secs_f64();
        let links = counts.created + counts.deleted;
        let rate = if seconds > 0.0 { links as f64 / seconds } else { 0.0 };
        eprintln!(
            "koko: {} links created, {} deleted in {seconds:.2} s ({rate:.0} links/s)",
            counts.created, counts.deleted
        );
    }
}
