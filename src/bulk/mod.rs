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
    let (reader, name): (Box<dyn BufRead>, String) = match source {
        BulkSource::Stdin => {
            // Checked before koko opens anything: a closed descriptor 0 would be reused by
            // the next open, and koko would read its lines from that file.
            // SAFETY: F_GETFD takes no argument and reads no memory.
            if unsafe { libc::fcntl(libc::STDIN_FILENO, libc::F_GETFD) } == -1 {
                let error = io::Error::last_os_error();
                return Err(Error::io("read the bulk file from standard input (-f -)", &error)
                    .with_note("standard input is closed"));
            }
            (Box::new(io::stdin().lock()), "standard input".to_owned())
        }
        BulkSource::File(path) => {
            let file = File::open(path)
                .map_err(|e| Error::io(format_args!("open {}", path.display()), &e))?;
            (Box::new(BufReader::new(file)), path.display().to_string())
        }
    };
    let mut run = Run {
        name,
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
    /// The bulk file's path, or "standard input", for read errors.
    name: String,
    spaces: Namespaces,
    counts: Counts,
    progress: Progress,
    on_error: OnError,
    /// Lines that failed under `--keep-going`.
    failed: u64,
    /// Lines that hold a command (or fail to parse), so far.
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
            let read = match read_line(&mut *reader, &mut buffer) {
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    return crate::signals::check(number).and_then(|()| {
                        Err(Error::io(
                            format_args!("read line {} of {}", number + 1, self.name),
                            &e,
                        ))
                    })
                }
                Err(e) => {
                    return Err(Error::io(
                        format_args!("read line {} of {}", number + 1, self.name),
                        &e,
                    ))
                }
            };
            let Some(complete) = read else { return Ok(()) };
            number += 1;
            if number == 1 && buffer.starts_with(BOM) {
                buffer.drain(..BOM.len());
            }
            let outcome = if !complete {
                self.lines += 1;
                Err(Error::new(format!(
                    "line {number}: longer than the limit of {} bytes for a koko command line",
                    MAX_LINE
                )))
            } else {
                match std::str::from_utf8(&buffer) {
                    Ok(text) => {
                        self.line(text, defaults).map_err(|error| line_error(number, text, error))
                    }
                    Err(_) => {
                        self.lines += 1;
                        Err(Error::new(format!(
                            "line {number}: invalid UTF-8 (expected a koko command line)"
                        )))
                    }
                }
            };
            if let Err(error) = outcome {
                if self.on_error != OnError::KeepGoing {
                    return Err(error);
                }
                self.progress.clear();
                eprintln!("koko: {error}");
                self.failed += 1;
            }
            crate::signals::check(number)?;
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
            Err(error) => {
                self.lines += 1;
                return Err(Error::new(error.to_string()));
            }
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
            let finished = finish::finish(&mut self.spaces, None, &mut removed)
                .and_then(|()| crate::signals::check_end());
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
        if self.lines == 0 {
            return error;
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
    Error::new(format!("line {number}: {}: {error}", escape_controls(text.trim())))
}

/// Escapes the control characters of an echoed line, so that a stray escape sequence or
/// carriage return in the file cannot rewrite the terminal.
fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// UTF-8 byte order mark, which some editors put at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Maximum length of a line in bytes, newline included. Command lines are far shorter,
/// and longer lines fail without being held in memory.
const MAX_LINE: usize = 64 * 1024;

/// Reads one line, with its newline, into `buffer`. Returns `None` at the end of input,
/// and `Some(false)` for a line longer than [`MAX_LINE`], of which only the start is kept.
fn read_line(reader: &mut dyn BufRead, buffer: &mut Vec<u8>) -> io::Result<Option<bool>> {
    let mut any = false;
    let mut complete = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            // A signal ends the wait for input; other interruptions retry.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                if crate::signals::check(0).is_err() {
                    return Err(error);
                }
                continue;
            }
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(if any { Some(complete) } else { None });
        }
        any = true;
        let (chunk, end) = match available.iter().position(|&byte| byte == b'\n') {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        let used = chunk.len();
        let room = MAX_LINE.saturating_sub(buffer.len());
        if chunk.len() > room {
            complete = false;
        }
        buffer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        if end {
            return Ok(Some(complete));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{escape_controls, read_line, MAX_LINE};
    use std::io::BufReader;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape_controls("-n A,a\x1b[2J\r"), "-n A,a\\u{1b}[2J\\r");
    }

    #[test]
    fn long_lines_are_cut() {
        let mut text = vec![b'x'; MAX_LINE + 10];
        text.extend_from_slice(b"\nshort\nlast");
        let mut reader = BufReader::with_capacity(1000, &text[..]);
        let mut buffer = Vec::new();
        assert_eq!(read_line(&mut reader, &mut buffer).unwrap(), Some(false));
        assert_eq!(buffer.len(), MAX_LINE);
        buffer.clear();
        assert_eq!(read_line(&mut reader, &mut buffer).unwrap(), Some(true));
        assert_eq!(buffer, b"short\n");
        buffer.clear();
        assert_eq!(read_line(&mut reader, &mut buffer).unwrap(), Some(true));
        assert_eq!(buffer, b"last");
        buffer.clear();
        assert_eq!(read_line(&mut reader, &mut buffer).unwrap(), None);
    }
}
