//! Network namespaces as open file descriptors: opening them from a name, path or pid,
//! entering them with `setns(2)`, and opening netlink sockets inside them.

use crate::error::{Error, Result};
use koko_netlink::Socket;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// `NS_GET_NSTYPE` from `linux/nsfs.h`: `_IO(0xb7, 0x3)`, Linux 4.11+.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// Directories `ip netns` keeps named namespaces in, in the order koko looks.
pub const NAMED_NETNS_DIRS: [&str; 2] = ["/run/netns", "/var/run/netns"];

/// An open network namespace and a label for messages (`netns "red"`, `pid 42` ...).
#[derive(Debug)]
pub struct Netns {
    fd: OwnedFd,
    label: String,
}

fn open_readonly(path: &Path) -> io::Result<OwnedFd> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: c_path is a valid NUL-terminated string for the duration of the call.
    let raw = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

impl Netns {
    /// Opens the namespace file at `path` and checks that it is a network namespace.
    pub fn open(path: &Path, label: String) -> Result<Netns> {
        let described = shown_with_path(&label, path);
        let fd = match open_readonly(path) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && described == label => {
                return Err(Error::not_found(format!("{label} not found")))
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                return Err(Error::not_found(format!(
                    "{label} not found: {} does not exist",
                    path.display()
                )))
            }
            Err(e) => return Err(Error::io(format_args!("open {described}"), &e)),
        };
        // SAFETY: the ioctl takes no argument and only reads the descriptor.
        let kind = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
        if kind < 0 {
            let error = io::Error::last_os_error();
            if is_empty_regular_file(&fd) {
                // `ip netns add` creates an empty file and then bind-mounts the new
                // namespace on it. Opened in between, the file counts as a namespace that
                // does not exist yet, so `--wait` polls on instead of failing.
                return Err(Error::not_found(format!(
                    "{described} is not a namespace file: it is empty, as `ip netns add` leaves \
                     it until the namespace is mounted on it (--wait SECONDS waits for that)"
                )));
            }
            // The ioctl fails with ENOTTY on every file outside nsfs, such as regular
            // files and directories. Its text ("Inappropriate ioctl") would only confuse.
            if error.raw_os_error() == Some(libc::ENOTTY) {
                return Err(Error::new(format!(
                    "{described} is not a namespace file (expected a file such as /run/netns/NAME or /proc/PID/ns/net)"
                )));
            }
            return Err(Error::new(format!(
                "{described} is not a namespace file: {}",
                koko_netlink::error::describe_io_error(&error)
            )));
        }
        if kind != libc::CLONE_NEWNET {
            return Err(Error::new(format!("{described} is not a network namespace")));
        }
        Ok(Netns { fd, label })
    }

    /// Opens the namespace the calling thread is in now.
    pub fn current() -> Result<Netns> {
        Netns::open(Path::new("/proc/thread-self/ns/net"), "the current namespace".to_owned())
    }

    /// Opens a named namespace as made by `ip netns add NAME`.
    pub fn named(name: &str) -> Result<Netns> {
        let label = format!("netns \"{name}\"");
        for dir in NAMED_NETNS_DIRS {
            let path = Path::new(dir).join(name);
            if path.exists() {
                return Netns::open(&path, label);
            }
        }
        Err(Error::not_found(format!(
            "{label} not found (looked in {}; create it with `ip netns add {name}`)",
            NAMED_NETNS_DIRS.join(" and ")
        )))
    }

    /// Opens the namespace of process `pid`.
    pub fn of_pid(pid: u32, label: String) -> Result<Netns> {
        let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        match open_readonly(&path) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                let message = if label == format!("process {pid}") {
                    format!("{label} not found")
                } else {
                    format!("{label} not found: its process {pid} has exited")
                };
                Err(Error::not_found(message))
            }
            Err(e) => Err(Error::io(format_args!("open {label} ({})", path.display()), &e)),
            Ok(_) => Netns::open(&path, label),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Returns the descriptor as the `u32` that `IFLA_NET_NS_FD` carries.
    pub fn fd_u32(&self) -> u32 {
        self.fd.as_raw_fd() as u32
    }

    /// Checks whether both descriptors refer to the same namespace (same nsfs inode).
    pub fn same_as(&self, other: &Netns) -> bool {
        match (stat_id(&self.fd), stat_id(&other.fd)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// Switches the calling thread into this namespace until the guard is dropped.
    pub fn enter(&self) -> Result<NetnsGuard> {
        let previous = Netns::current()?;
        set_netns(&self.fd).map_err(|e| Error::io(format_args!("enter {}", self.label), &e))?;
        Ok(NetnsGuard { previous })
    }

    /// Opens a route netlink socket that belongs to this namespace. The calling thread
    /// enters the namespace for the `socket(2)` call only.
    pub fn socket(&self) -> Result<Socket> {
        let _guard = self.enter()?;
        let mut socket = Socket::open().map_err(|e| {
            Error::netlink(format_args!("open a netlink socket in {}", self.label), &e)
        })?;
        socket.set_label(format!("{} (port {})", self.label, socket.port()));
        Ok(socket)
    }
}

/// Returns `label (path)`, or `label` alone when the label already ends with the path,
/// as `netns file /some/path` does.
fn shown_with_path(label: &str, path: &Path) -> String {
    let path = path.display().to_string();
    if label.ends_with(&path) {
        label.to_owned()
    } else {
        format!("{label} ({path})")
    }
}

fn fstat(fd: &OwnedFd) -> Option<libc::stat> {
    // SAFETY: stat is plain data, so all-zero is valid; fstat fills it.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open and stat points at a live struct.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) } != 0 {
        return None;
    }
    Some(stat)
}

// The casts are no-ops on x86_64, but st_dev and st_ino are narrower on some 32-bit targets.
#[allow(clippy::unnecessary_cast)]
fn stat_id(fd: &OwnedFd) -> Option<(u64, u64)> {
    let stat = fstat(fd)?;
    Some((stat.st_dev as u64, stat.st_ino as u64))
}

fn is_empty_regular_file(fd: &OwnedFd) -> bool {
    fstat(fd).is_some_and(|stat| stat.st_mode & libc::S_IFMT == libc::S_IFREG && stat.st_size == 0)
}

fn set_netns(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: setns takes a descriptor and a flag; it affects only the calling thread.
    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Returns the calling thread to the namespace it was in before [`Netns::enter`].
#[derive(Debug)]
pub struct NetnsGuard {
    previous: Netns,
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        // If the thread cannot go back, every later request would reach the wrong
        // namespace; stopping the process is the only safe outcome.
        if let Err(error) = set_netns(&self.previous.fd) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "koko: failed to return to {}: {error}",
                self.previous.label
            );
            std::process::abort();
        }
    }
}

impl fmt::Display for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}
