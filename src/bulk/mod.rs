//! Bulk mode (`-f FILE`): many koko command lines in one process.

use crate::error::{Error, Result};
use crate::plan::{BulkSource, OnError, Options};

/// Runs every command line of `source`; `options` are the defaults from the command line.
pub fn run(source: &BulkSource, on_error: OnError, options: &Options) -> Result<()> {
    let _ = (source, on_error, options);
    Err(Error::new("bulk mode (-f) is not implemented yet"))
}
