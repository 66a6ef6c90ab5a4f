//! The one resolver: turns any endpoint designator into an open network namespace.

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::plan::Namespace;
use crate::runtime;
use std::thread;
use std::time::{Duration, Instant};

/// Maximum pause between two attempts while `--wait` polls for an endpoint.
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// First pause while polling. It doubles after each attempt up to [`MAX_POLL_INTERVAL`],
/// so an endpoint that appears at once is seen at once and a long wait makes about ten
/// attempts a second.
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The end of a `--wait` period. A command resolves all its endpoints against one
/// deadline, so `--wait 10` bounds the whole wait to 10 s, not 10 s per endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    wait: Duration,
}

impl Deadline {
    /// Starts a `--wait` period of `wait` from now.
    pub fn after(wait: Duration) -> Deadline {
        Deadline { at: Instant::now() + wait, wait }
    }
}

/// Opens the network namespace that `namespace` designates. With `wait`, an endpoint that
/// does not exist yet (namespace file, process or container) is polled for until `wait`
/// has passed, and other errors are returned at once. A command with several endpoints
/// calls [`resolve_until`] with one [`Deadline`] instead.
pub fn resolve(namespace: &Namespace, wait: Option<Duration>) -> Result<Netns> {
    resolve_until(namespace, wait.map(Deadline::after).as_ref())
}

/// Opens the network namespace that `namespace` designates, polling until `deadline` while
/// it does not exist yet. Without a deadline a missing endpoint is an error at once.
///
/// "Does not exist yet" covers a missing namespace file, process or container, a
/// container that is not running, and a namespace file that `ip netns add` has created
/// but not yet mounted the namespace on.
pub fn resolve_until(namespace: &Namespace, deadline: Option<&Deadline>) -> Result<Netns> {
    let Some(deadline) = deadline else {
        return resolve_once(namespace);
    };
    let mut interval = FIRST_POLL_INTERVAL;
    loop {
        match resolve_once(namespace) {
            Err(error) if error.is_not_found() => {
                let now = Instant::now();
                if now >= deadline.at {
                    return Err(Error::not_found(format!(
                        "{error}; timed out after --wait {} s",
                        deadline.wait.as_secs_f64()
                    )));
                }
                crate::signals::check_during(format_args!("waiting with --wait: {error}"))?;
                thread::sleep(interval.min(deadline.at - now));
                interval = (interval * 2).min(MAX_POLL_INTERVAL);
            }
            outcome => return outcome,
        }
    }
}

/// Checks, after koko changed `netns`, that the process or container behind `namespace`
/// still runs in it. When a container exits or restarts while koko works, its old
/// namespace and every link koko made there vanish once koko closes the descriptor, so
/// reporting success would be wrong.
///
/// A named namespace or namespace file that was deleted or replaced fails too: the links
/// would then live on only in a namespace that can no longer be reached by that name. koko's own
/// namespace always passes.
pub fn check_still_running(namespace: &Namespace, netns: &Netns) -> Result<()> {
    let (subject, gone, changed) = match namespace {
        Namespace::Current => return Ok(()),
        Namespace::Named(name) => (format!("netns \"{name}\""), "was deleted", "was replaced"),
        Namespace::Path(path) => {
            (format!("netns file {}", path.display()), "was removed", "was replaced")
        }
        Namespace::Pid(pid) => (format!("process {pid}"), "exited", "moved"),
        Namespace::Docker(name) => (format!("container \"{name}\""), "stopped", "restarted"),
        Namespace::Crio(id) => (format!("CRI-O container \"{id}\""), "stopped", "restarted"),
    };
    match resolve_once(namespace) {
        Ok(now) if now.same_as(netns) => Ok(()),
        Ok(_) => Err(Error::new(format!(
            "{subject} {changed} while koko was working: it is now in a new network namespace, not in the one koko changed"
        ))),
        Err(error) if error.is_not_found() => Err(Error::new(format!("{subject} {gone} while koko was working"))),
        Err(error) => Err(Error::new(format!(
            "failed to check that {subject} is still there after koko changed its network namespace: {error}"
        ))),
    }
}

fn resolve_once(namespace: &Namespace) -> Result<Netns> {
    match namespace {
        Namespace::Current => Netns::current(),
        Namespace::Named(name) => Netns::named(name),
        Namespace::Path(path) => Netns::open(path, format!("netns file {}", path.display())),
        Namespace::Pid(pid) => Netns::of_pid(*pid, format!("process {pid}")),
        Namespace::Docker(name) => {
            let pid = runtime::docker::container_pid(name).map_err(runtime_error)?;
            Netns::of_pid(pid, format!("container \"{name}\""))
        }
        Namespace::Crio(id) => {
            let pid = runtime::crio::container_pid(id).map_err(runtime_error)?;
            Netns::of_pid(pid, format!("CRI-O container \"{id}\""))
        }
    }
}

fn runtime_error(error: runtime::Error) -> Error {
    if error.is_not_found() {
        Error::not_found(error.to_string())
    } else {
        Error::new(error.to_string())
    }
}
