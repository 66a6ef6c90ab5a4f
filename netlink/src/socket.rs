//! A blocking `AF_NETLINK`/`NETLINK_ROUTE` socket that sends requests and matches every
//! reply to its request by sequence number.

use crate::debug;
use crate::error::{Ack, Error, KernelError};
use crate::message::{
    Message, MessageBuilder, MessageIter, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR,
};
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Large enough for any datagram the kernel sends on a route socket: dumps are cut into
/// datagrams of at most 32 KiB, and a bigger one is reported as truncated, not misread.
const RECEIVE_BUFFER_LEN: usize = 64 * 1024;

/// Requests that [`Socket::request_all`] sends before it reads their ACKs. A capped ACK
/// takes well under 1 KiB of the receive buffer (default about 208 KiB), so 64 always fit.
pub const PIPELINE_WINDOW: usize = 64;

/// A route netlink socket bound to a kernel-assigned port id.
///
/// A socket belongs to the network namespace that was current when it was opened, for its
/// whole life: open it inside a namespace to talk to that namespace.
#[derive(Debug)]
pub struct Socket {
    fd: OwnedFd,
    port: u32,
    seq: u32,
    buf: Vec<u8>,
    /// Name for `KOKO_DEBUG` dumps, such as the socket's namespace; port ids repeat across
    /// namespaces, so they cannot tell sockets apart.
    label: String,
}

fn last_error(call: &'static str) -> Error {
    Error::Io { call, source: io::Error::last_os_error() }
}

fn set_option(fd: &OwnedFd, option: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: the option value points at a live c_int and its exact size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_NETLINK,
            option,
            (&value as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Socket {
    /// Opens a socket in the calling thread's current network namespace, with extended
    /// ACKs and capped ACKs on.
    pub fn open() -> Result<Socket, Error> {
        // SAFETY: socket(2) takes no pointers; the returned fd is checked before use.
        let raw = unsafe {
            libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE)
        };
        if raw < 0 {
            return Err(last_error("socket"));
        }
        // SAFETY: `raw` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        set_option(&fd, libc::NETLINK_EXT_ACK, 1)
            .map_err(|source| Error::Io { call: "setsockopt(NETLINK_EXT_ACK)", source })?;
        // Capped ACKs echo only the request's header, so an error never costs a copy of a
        // large request. Kernels before 4.3 lack it, which only makes errors bigger.
        let _ = set_option(&fd, libc::NETLINK_CAP_ACK, 1);
        // Strict checking makes the kernel honour the filters in dump requests (4.20+).
        let _ = set_option(&fd, libc::NETLINK_GET_STRICT_CHK, 1);

        // SAFETY: sockaddr_nl is plain data, so all-zero is a valid value.
        let mut addr: libc::sockaddr_nl = unsafe { mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        let mut addr_len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: addr is a valid sockaddr_nl and addr_len is its size.
        let rc = unsafe {
            libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_nl).cast(), addr_len)
        };
        if rc != 0 {
            return Err(last_error("bind"));
        }
        // SAFETY: getsockname writes at most addr_len bytes into addr.
        let rc = unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&mut addr as *mut libc::sockaddr_nl).cast(),
                &mut addr_len,
            )
        };
        if rc != 0 {
            return Err(last_error("getsockname"));
        }
        let label = format!("port {}", addr.nl_pid);
        Ok(Socket { fd, port: addr.nl_pid, seq: 0, buf: vec![0; RECEIVE_BUFFER_LEN], label })
    }

    /// Names the socket in `KOKO_DEBUG` dumps, for example after its namespace.
    pub fn set_label(&mut self, label: impl Into<String>) {
        self.label = label.into();
    }

    /// Port id the kernel assigned to this socket.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Sets `SO_RCVBUF`, so that many pipelined replies fit before they are read.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<(), Error> {
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: the option value points at a live c_int and its exact size is passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&value as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(last_error("setsockopt(SO_RCVBUF)"));
        }
        Ok(())
    }

    /// Gives `msg` the next sequence number and sends it without waiting for a reply.
    /// Returns the sequence number, which the reply will carry.
    pub fn send(&mut self, msg: &mut MessageBuilder) -> Result<u32, Error> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = msg.finish(seq)?;
        if debug::enabled() {
            debug::dump(&format!("sent to {}", self.label), bytes);
        }

        // SAFETY: sockaddr_nl is plain data; nl_pid 0 addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        loop {
            // SAFETY: bytes and kernel are live for the call and their sizes are passed.
            let sent = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    0,
                    (&kernel as *const libc::sockaddr_nl).cast(),
                    mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if sent >= 0 {
                if sent as usize != bytes.len() {
                    return Err(Error::Malformed("sendto sent part of a request"));
                }
                return Ok(seq);
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(Error::Io { call: "sendto", source: error });
            }
        }
    }

    /// Receives one datagram from the kernel and returns its bytes.
    pub fn receive(&mut self) -> Result<&[u8], Error> {
        loop {
            // SAFETY: sockaddr_nl and msghdr are plain data, so all-zero values are valid.
            let mut from: libc::sockaddr_nl = unsafe { mem::zeroed() };
            let mut iov =
                libc::iovec { iov_base: self.buf.as_mut_ptr().cast(), iov_len: self.buf.len() };
            // SAFETY: as above.
            let mut header: libc::msghdr = unsafe { mem::zeroed() };
            header.msg_name = (&mut from as *mut libc::sockaddr_nl).cast();
            header.msg_namelen = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            header.msg_iov = &mut iov;
            header.msg_iovlen = 1;
            // SAFETY: every pointer in header refers to a live local or to self.buf, whose
            // length is in iov_len.
            let received = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut header, 0) };
            if received < 0 {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::Io { call: "recvmsg", source: error });
            }
            if header.msg_flags & libc::MSG_TRUNC != 0 {
                return Err(Error::Malformed("a datagram was larger than the receive buffer"));
            }
            // Only the kernel (port 0) sends replies, so datagrams from other processes are dropped.
            if from.nl_pid != 0 {
                continue;
            }
            let bytes = &self.buf[..received as usize];
            if debug::enabled() {
                debug::dump(&format!("received from {}", self.label), bytes);
            }
            return Ok(bytes);
        }
    }

    /// Receives the next `NLMSG_ERROR` (an ACK or an error) for any request, skipping
    /// other messages. Used when several requests are in flight.
    pub fn receive_ack(&mut self) -> Result<Ack, Error> {
        loop {
            let port = self.port;
            let bytes = self.receive()?;
            let mut found = None;
            let mut messages = MessageIter::new(bytes);
            for message in messages.by_ref() {
                if message.header.kind == NLMSG_ERROR && message.header.port == port {
                    found = Some(
                        Ack::parse(&message).ok_or(Error::Malformed("truncated error message"))?,
                    );
                    break;
                }
            }
            if messages.malformed() && found.is_none() {
                return Err(Error::Malformed("a message length does not match the datagram"));
            }
            if let Some(ack) = found {
                return Ok(ack);
            }
        }
    }

    /// Sends every request in `msgs` with `NLM_F_ACK`, up to [`PIPELINE_WINDOW`] before
    /// reading their ACKs, and waits for all of them. The kernel handles each request
    /// inside `sendto(2)`, in order, so a later request finds the effect of an earlier
    /// one in place. Only the reading of ACKs is deferred. Returns the position in `msgs` and
    /// the error of the first request that failed. Requests after a failed one are
    /// still sent and acknowledged, so callers must send together only requests that do
    /// not depend on each other.
    pub fn request_all(&mut self, msgs: &mut [MessageBuilder]) -> Result<(), (usize, Error)> {
        let mut first_error: Option<(usize, Error)> = None;
        for (chunk_index, chunk) in msgs.chunks_mut(PIPELINE_WINDOW).enumerate() {
            let base = chunk_index * PIPELINE_WINDOW;
            let mut first_seq = None;
            for msg in chunk.iter_mut() {
                msg.set_flags(msg.flags() | NLM_F_ACK);
                let seq = self.send(msg).map_err(|error| (base, error))?;
                first_seq.get_or_insert(seq);
            }
            let first_seq = first_seq.unwrap_or_default();
            let mut pending = chunk.len();
            while pending > 0 {
                let ack = self.receive_ack().map_err(|error| (base, error))?;
                let offset = ack.request.seq.wrapping_sub(first_seq) as usize;
                if offset >= chunk.len() {
                    continue; // a late ACK of an earlier request
                }
                pending -= 1;
                let earlier_failed = matches!(&first_error, Some((at, _)) if *at < base + offset);
                if ack.errno != 0 && !earlier_failed {
                    first_error = Some((base + offset, Error::Kernel(KernelError::from(ack))));
                }
            }
        }
        match first_error {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Sends `msg` with `NLM_F_ACK` and waits for its ACK. Returns the kernel's error,
    /// extended-ACK message included, if it rejected the request.
    pub fn request(&mut self, msg: &mut MessageBuilder) -> Result<(), Error> {
        self.request_with(msg, |_| Ok(()))
    }

    /// Like [`Socket::request`], and passes every reply that comes before the ACK to
    /// `on_reply` (a `RTM_GETLINK` by name returns one `RTM_NEWLINK` message, say).
    pub fn request_with<F>(
        &mut self,
        msg: &mut MessageBuilder,
        mut on_reply: F,
    ) -> Result<(), Error>
    where
        F: FnMut(&Message<'_>) -> Result<(), Error>,
    {
        msg.set_flags(msg.flags() | NLM_F_ACK);
        let seq = self.send(msg)?;
        self.collect(seq, false, &mut on_reply)
    }

    /// Sends a dump request (`NLM_F_DUMP`) and passes every message of the dump to
    /// `on_reply`. A dump that the kernel marks as interrupted returns
    /// [`Error::DumpInterrupted`] after the last message.
    pub fn dump<F>(&mut self, msg: &mut MessageBuilder, mut on_reply: F) -> Result<(), Error>
    where
        F: FnMut(&Message<'_>) -> Result<(), Error>,
    {
        msg.set_flags(msg.flags() | NLM_F_DUMP);
        let seq = self.send(msg)?;
        self.collect(seq, true, &mut on_reply)
    }

    fn collect(
        &mut self,
        seq: u32,
        dump: bool,
        on_reply: &mut dyn FnMut(&Message<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let port = self.port;
        let mut interrupted = false;
        loop {
            let bytes = self.receive()?;
            let mut messages = MessageIter::new(bytes);
            for message in messages.by_ref() {
                // Replies to earlier requests whose ACK was not awaited are skipped.
                if message.header.seq != seq || message.header.port != port {
                    continue;
                }
                if message.header.flags & NLM_F_DUMP_INTR != 0 {
                    interrupted = true;
                }
                match message.header.kind {
                    NLMSG_NOOP => {}
                    NLMSG_OVERRUN => {
                        return Err(Error::Malformed("the kernel reported an overrun"))
                    }
                    NLMSG_ERROR => {
                        let ack = Ack::parse(&message)
                            .ok_or(Error::Malformed("truncated error message"))?;
                        if ack.errno != 0 {
                            return Err(Error::Kernel(KernelError::from(ack)));
                        }
                        if !dump {
                            return Ok(());
                        }
                    }
                    NLMSG_DONE if dump => {
                        // The payload of NLMSG_DONE contains an error code for failed dumps.
                        let code = message
                            .payload
                            .get(..4)
                            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                        if let Some(code) = code.filter(|&code| code < 0) {
                            let ack = Ack {
                                errno: code.checked_neg().unwrap_or(i32::MAX),
                                ..Ack::default()
                            };
                            return Err(Error::Kernel(KernelError::from(ack)));
                        }
                        return if interrupted { Err(Error::DumpInterrupted) } else { Ok(()) };
                    }
                    _ => on_reply(&message)?,
                }
            }
            if messages.malformed() {
                return Err(Error::Malformed("a message length does not match the datagram"));
            }
        }
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
