//! Bulk mode (`-f FILE`): many koko command lines in one process.
//!
//! The file is read line by line and never held whole. Namespaces are opened once and
//! kept in a bounded cache with one netlink socket each. Veth pairs are created down in
//! an interface group that no other link uses, and each namespace brings all of them up
//! with one request at the end, which the kernel handles far faster than one "up" per
//! link. Delete lines move links into a second unused group, deleted with one request
//! per namespace, so the kernel waits for one RCU grace period per namespace instead of
//! one per link. When the run ends, created links are back in group 0, so no trace of
//! the groups remains.

mod finish;
mod lines;
mod namespaces;
mod progress;

use crate::error::{Error, Result};
use crate::plan::{self, BulkSource, OnError, Options};
use lines::Counts;
use namespaces::Namespaces;
use progress::Progress;
use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// Namespaces touched before a run that may keep its work finishes what it has done so
/// far and drops its records. This bounds the memory for files that touch thousands of
/// namespaces. `--atomic` keeps every record, because undoing needs them.
const FINISH_EVERY_NAMESPACES: usize = 1024;

/// Runs every command line of `source`; `options` are the defaults from the command line.
///
/// A failed line leaves nothing of itself behind. [`OnError::Stop`] keeps the lines
/// before it, [`OnError::KeepGoing`] runs the rest and fails at the end with the count of
/// failed lines (each reported on stderr when it fails), and [`OnError::Atomic`] undoes
/// the whole file.
pub fn run(source: &BulkSource, on_error: OnError, options: &Options) -> Result<()> {
    let reader: Box<dyn BufRead> = match source {
        BulkSource::Stdin => Box::new(io::stdin().lock()),
        BulkSource::File(path) => {
            let file = File::open(path)
                .map_err(|e| Error::io(format_args!("open {}", path.display()), &e))?;
            Box::new(BufReader::new(file))
        }
    };
    let mut run = Run {
        spaces: Namespaces::new(),
        counts: Counts::default(),
        progress: Progress::new(),
        on_error,
        failed: 0,
        lines: 0,
    };
    let outcome = run.lines(reader, options);
    run.progress.clear();
    match outcome {
        Ok(()) => run.end(),
        Err(error) => Err(run.stop(error)),
    }
}

struct Run {
    spaces: Namespaces,
    counts: Counts,
    progress: Progress,
    on_error: OnError,
    /// Lines that failed under `--keep-going`.
    failed: u64,
    /// Lines that hold a command, so far.
    lines: u64,
}

impl Run {
    /// Runs the lines until the end of input, or until a line fails in a mode that stops
    /// there. Returns that line's error.
    fn lines(&mut self, mut reader: Box<dyn BufRead>, defaults: &Options) -> Result<()> {
        let mut buffer = Vec::new();
        let mut number: u64 = 0;
        loop {
            buffer.clear();
            let read = reader.read_until(b'\n', &mut buffer).map_err(|e| {
                Error::io(format_args!("read line {} of the bulk file", number + 1), &e)
            })?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            let outcome = match std::str::from_utf8(&buffer) {
                Ok(text) => {
                    self.line(text, defaults).map_err(|error| line_error(number, text, error))
                }
                Err(_) => Err(Error::new(format!(
                    "line {number}: invalid UTF-8 (expected a koko command line)"
                ))),
            };
            if let Err(error) = outcome {
                if self.on_error != OnError::KeepGoing {
                    return Err(error);
                }
                self.progress.clear();
                eprintln!("koko: {error}");
                self.failed += 1;
            }
            self.progress.update(number, &self.counts);
            if self.on_error != OnError::Atomic && self.spaces.recorded() >= FINISH_EVERY_NAMESPACES
            {
                let mut removed = 0;
                let finished = finish::finish(&mut self.spaces, None, &mut removed);
                self.failed += removed;
                finished?;
                self.spaces.forget();
            }
        }
    }

    fn line(&mut self, text: &str, defaults: &Options) -> Result<()> {
        let plan = match plan::from_line(text) {
            Ok(Some(plan)) => plan,
            Ok(None) => return Ok(()),
            Err(error) => return Err(Error::new(error.to_string())),
        };
        self.lines += 1;
        let options = defaults.overlay(&plan.options);
        let atomic = self.on_error == OnError::Atomic;
        lines::run_line(&mut self.spaces, &plan, &options, atomic, &mut self.counts)
    }

    /// Ends a run in which every line succeeded or `--keep-going` let it go on. Links
    /// removed again in the end phase count as failed lines.
    fn end(mut self) -> Result<()> {
        let mut removed = 0;
        if self.on_error == OnError::Atomic {
            let mut regrouped = Vec::new();
            if let Err(error) = finish::finish(&mut self.spaces, Some(&mut regrouped), &mut removed)
            {
                let undone = finish::remove_regrouped(&mut self.spaces, &regrouped)
                    .and(finish::roll_back(&mut self.spaces));
                return Err(undo_note(error, undone));
            }
        } else {
            let finished = finish::finish(&mut self.spaces, None, &mut removed);
            self.failed += removed;
            if let Err(error) = finished {
                if self.failed > 0 && self.on_error == OnError::KeepGoing {
                    return Err(error.with_note(self.failed_count()));
                }
                return Err(error);
            }
        }
        self.progress.summary(&self.counts);
        if self.failed > 0 {
            return Err(Error::new(self.failed_count()));
        }
        Ok(())
    }

    fn failed_count(&self) -> String {
        format!("{} of {} lines failed", self.failed, self.lines)
    }

    /// Ends a run that stopped at `error`: `--atomic` undoes everything, otherwise the
    /// lines before it are finished.
    fn stop(mut self, error: Error) -> Error {
        if self.on_error == OnError::Atomic {
            let undone = finish::roll_back(&mut self.spaces);
            return undo_note(error, undone);
        }
        let done = format!(
            "stopped there; the lines before it are done ({} links created, {} deleted)",
            self.counts.created, self.counts.deleted
        );
        let mut removed = 0;
        match finish::finish(&mut self.spaces, None, &mut removed) {
            Ok(()) => error.with_note(done),
            Err(finishing) => {
                error.with_note(done).with_note(format_args!("finishing them failed: {finishing}"))
            }
        }
    }
}

fn line_error(number: u64, text: &str, error: Error) -> Error {
    Error::new(format!("line {number}: {}: {error}", text.trim()))
}

/// Adds to `error` of an `--atomic` run whether undoing the file worked.
fn undo_note(error: Error, undone: Result<()>) -> Error {
    match undone {
        Ok(()) => error.with_note("nothing of the file was kept (--atomic)"),
        Err(rollback) => {
            error.with_note(format_args!("undoing the file (--atomic) failed: {rollback}"))
        }
    }
}
