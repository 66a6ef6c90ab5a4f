//! The `koko` command: parse what was typed, build a plan, run it.

use koko::plan::{self, Action};
use std::io::Write;
use std::process::ExitCode;

/// Exit status for a command line that does not parse or validate; 1 is for failures of
/// the operation itself.
const EXIT_USAGE: u8 = 2;

/// Writes one `koko: ` line to stderr. A closed or full stderr must not abort koko in
/// the middle of an operation, so write errors are ignored.
fn report(error: &dyn std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "koko: {error}");
}

/// Writes `text` to stdout; on failure (a closed pipe, a full disk) reports it and
/// returns the failure status instead of panicking as `print!` would.
fn print_out(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&format_args!("failed to write to standard output: {error}"));
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let plan = match plan::from_args(std::env::args_os().skip(1)) {
        Ok(plan) => plan,
        Err(error) => {
            report(&error);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match plan.action {
        Action::Help => return print_out(koko::cli::USAGE),
        Action::Version => {
            let version =
                format!("koko {} (commit {})\n", env!("CARGO_PKG_VERSION"), env!("KOKO_COMMIT"));
            return print_out(&version);
        }
        _ => {}
    }
    // Without handlers a signal would end koko between two requests and skip the
    // rollback; with them the long waits fail and undo what was made.
    if let Err(error) = koko::signals::install() {
        report(&error);
        return ExitCode::FAILURE;
    }
    match koko::exec::run(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}
