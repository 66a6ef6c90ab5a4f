//! koko's error type: one sentence that names the operation, the value and, where the
//! kernel gave one, its extended-ACK message.

use std::fmt;

/// A failed koko operation. The `Display` text is complete; `main` prefixes `koko: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    /// errno behind the failure, when there is one, so callers can react to `EEXIST` and
    /// the like without parsing text.
    errno: Option<i32>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), errno: None }
    }

    /// Wraps a netlink failure. `what` names the operation that failed ("create veth pair ...").
    pub fn netlink(what: impl fmt::Display, error: &koko_netlink::Error) -> Self {
        Error { message: format!("failed to {what}: {error}"), errno: error.errno() }
    }

    /// Wraps an I/O failure. `what` names the operation that failed ("open /run/netns/red").
    pub fn io(what: impl fmt::Display, error: &std::io::Error) -> Self {
        let text = koko_netlink::error::describe_io_error(error);
        Error { message: format!("failed to {what}: {text}"), errno: error.raw_os_error() }
    }

    /// Creates an error for something that does not exist (yet): a namespace, process or
    /// container. `--wait` retries exactly these.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error { message: message.into(), errno: Some(libc::ENOENT) }
    }

    pub fn is_not_found(&self) -> bool {
        self.errno == Some(libc::ENOENT)
    }

    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// Appends a sentence, such as the outcome of a rollback.
    pub fn with_note(mut self, note: impl fmt::Display) -> Self {
        self.message = format!("{}; {note}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
