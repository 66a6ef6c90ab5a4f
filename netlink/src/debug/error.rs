//! `NLMSG_ERROR` and `NLMSG_DONE` payloads: error codes, the echoed request, and the
//! extended-ACK attributes (`NLMSGERR_ATTR_*`).

use super::attrs::{format_attrs, Space, Value};
use super::{format_body, header_fields, hex_preview, line, MAX_DEPTH};
use crate::attr::align;
use crate::error::{
    NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST, NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG,
    NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY,
};
use crate::message::{Header, HEADER_LEN, NLM_F_ACK_TLVS, NLM_F_CAPPED};

/// Writes an `NLMSG_ERROR` payload: the error code, the header of the request it
/// acknowledges (and the rest of that request unless the kernel capped it), then the
/// extended-ACK attributes.
pub(super) fn format_error(out: &mut String, flags: u16, payload: &[u8], depth: usize) {
    let Some(code) = read_i32(payload) else {
        line(out, depth, format_args!("error code truncated: {}", hex_preview(payload)));
        return;
    };
    if code == 0 {
        line(out, depth, format_args!("error 0 (ACK)"));
    } else {
        line(out, depth, format_args!("error {code} {}", errno_text(code)));
    }

    let echoed = &payload[4..];
    let Some(request) = Header::parse(echoed) else {
        if !echoed.is_empty() {
            line(out, depth, format_args!("request truncated: {}", hex_preview(echoed)));
        }
        return;
    };
    line(out, depth, format_args!("request {}", header_fields(&request)));
    let capped = flags & NLM_F_CAPPED != 0;
    let echoed_len = if capped { HEADER_LEN } else { request.len as usize };
    if !capped && depth < MAX_DEPTH {
        match echoed.get(HEADER_LEN..echoed_len) {
            Some(body) => format_body(out, &request, body, depth + 1),
            None => line(
                out,
                depth + 1,
                format_args!("echoed request shorter than its length {echoed_len}"),
            ),
        }
    }

    if flags & NLM_F_ACK_TLVS != 0 {
        match align(echoed_len).and_then(|start| echoed.get(start..)) {
            Some(tlvs) => format_attrs(out, tlvs, Space::ExtAck, depth),
            None => line(out, depth, format_args!("extended-ACK attributes missing")),
        }
    }
}

/// Writes an `NLMSG_DONE` payload: the dump's status code and any extended-ACK attributes.
pub(super) fn format_done(out: &mut String, flags: u16, payload: &[u8], depth: usize) {
    let Some(status) = read_i32(payload) else {
        if !payload.is_empty() {
            line(out, depth, format_args!("status truncated: {}", hex_preview(payload)));
        }
        return;
    };
    if status == 0 {
        line(out, depth, format_args!("status 0"));
    } else {
        line(out, depth, format_args!("status {status} {}", errno_text(status)));
    }
    if flags & NLM_F_ACK_TLVS != 0 {
        format_attrs(out, &payload[4..], Space::ExtAck, depth);
    }
}

fn read_i32(bytes: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// Names an `NLMSGERR_ATTR_*` attribute and its display format (`linux/netlink.h`).
pub(super) fn describe_ext_ack(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        NLMSGERR_ATTR_MSG => ("NLMSGERR_ATTR_MSG", Value::Str),
        NLMSGERR_ATTR_OFFS => ("NLMSGERR_ATTR_OFFS", Value::U32),
        NLMSGERR_ATTR_COOKIE => ("NLMSGERR_ATTR_COOKIE", Value::Hex),
        NLMSGERR_ATTR_POLICY => ("NLMSGERR_ATTR_POLICY", Value::Summary),
        NLMSGERR_ATTR_MISS_TYPE => ("NLMSGERR_ATTR_MISS_TYPE", Value::U32),
        NLMSGERR_ATTR_MISS_NEST => ("NLMSGERR_ATTR_MISS_NEST", Value::U32),
        _ => return None,
    };
    Some(described)
}

/// Names a negative errno code as `EEXIST (File exists)`; other codes get the C library's
/// text only.
fn errno_text(code: i32) -> String {
    let Some(errno) = code.checked_neg() else {
        return "(not an errno)".to_owned();
    };
    let description = crate::error::describe_io_error(&std::io::Error::from_raw_os_error(errno));
    match errno_name(errno) {
        Some(name) => format!("{name} ({description})"),
        None => format!("({description})"),
    }
}

/// Names of common errno values in rtnetlink replies (`asm-generic/errno*.h`).
fn errno_name(errno: i32) -> Option<&'static str> {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENETDOWN => "ENETDOWN",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ENOBUFS => "ENOBUFS",
        libc::ENOTCONN => "ENOTCONN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EMSGSIZE => "EMSGSIZE",
        // The kernel-internal ENOTSUPP, which some drivers let reach user space.
        524 => "ENOTSUPP",
        _ => return None,
    };
    Some(name)
}
