//! The `koko` command: parse what was typed, build a plan, run it.

use koko::plan::{self, Action};
use std::process::ExitCode;

/// Exit status for a command line that does not parse or validate; 1 is for failures of
/// the operation itself.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let plan = match plan::from_args(std::env::args_os().skip(1)) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("koko: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match plan.action {
        Action::Help => {
            print!("{}", koko::cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Action::Version => {
            println!("koko {} (commit {})", env!("CARGO_PKG_VERSION"), env!("KOKO_COMMIT"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    match koko::exec::run(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("koko: {error}");
            ExitCode::FAILURE
        }
    }
}
