//! The one resolver: turns any endpoint designator into an open network namespace.

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::plan::Namespace;
use crate::runtime;
use std::thread;
use std::time::{Duration, Instant};

/// Longest pause between two attempts while `--wait` polls for an endpoint.
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Opens the network namespace that `namespace` designates. With `wait`, an endpoint that
/// does not exist yet (namespace file, process or container) is polled for until the
/// deadline; other errors are returned at once.
pub fn resolve(namespace: &Namespace, wait: Option<Duration>) -> Result<Netns> {
    let Some(wait) = wait else {
        return resolve_once(namespace);
    };
    let deadline = Instant::now() + wait;
    let mut interval = Duration::from_millis(5);
    loop {
        match resolve_once(namespace) {
            Err(error) if error.is_not_found() => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::not_found(format!(
                        "{error} (waited {:.1} s with --wait)",
                        wait.as_secs_f64()
                    )));
                }
                thread::sleep(interval.min(deadline - now));
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
/// Named namespaces, paths and koko's own namespace always pass, because a bind mount or
/// koko itself keeps them alive. A container or process that is gone, or that now runs in
/// another namespace, fails.
pub fn check_still_running(namespace: &Namespace, netns: &Netns) -> Result<()> {
    let subject = match namespace {
        Namespace::Current | Namespace::Named(_) | Namespace::Path(_) => return Ok(()),
        Namespace::Pid(pid) => format!("process {pid}"),
        Namespace::Docker(name) => format!("container \"{name}\""),
        Namespace::Crio(id) => format!("CRI-O container \"{id}\""),
    };
    match resolve_once(namespace) {
        Ok(now) if now.same_as(netns) => Ok(()),
        Ok(_) => Err(Error::new(format!(
            "{subject} restarted while koko was working: it runs in a new network namespace, not in the one koko changed"
        ))),
        Err(error) if error.is_not_found() => {
            Err(Error::new(format!("{subject} stopped while koko was working: {error}")))
        }
        Err(error) => Err(Error::new(format!(
            "failed to check that {subject} still runs after koko changed its network namespace: {error}"
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
