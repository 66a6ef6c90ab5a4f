//! `KOKO_DEBUG=1`: prints every netlink message sent and received, field by field, to
//! stderr.
//!
//! Each message shows its header with the flags by name, its family header decoded, and
//! its attributes as a tree named after the kernel's enums (`IFLA_*`, `IFA_*`, `TCA_*`
//! and each link kind's `IFLA_INFO_DATA` attributes). Attributes this module has no name
//! for appear by number with their first bytes in hex, and statistics blobs appear by
//! length only. The formatter reads through the same checked iterators as the parsers
//! and indexes only after a length check, because it is fed kernel replies and fuzz input.
//! The tests feed it truncated and mutated messages.
//!
//! This file contains the message loop and the value formats shared by every family. The
//! attribute walk is in `attrs`, and the names and layouts of each family are in `link`,
//! `addr`, `tc` and `error`.

mod addr;
mod attrs;
mod error;
mod link;
mod tc;

use crate::addr::{IFADDRMSG_LEN, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR};
use crate::attr::align;
use crate::link::vlan::{ETH_P_8021AD, ETH_P_8021Q};
use crate::link::{IFINFOMSG_LEN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK};
use crate::message::{
    Header, MessageIter, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK,
    NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_ECHO,
    NLM_F_EXCL, NLM_F_MATCH, NLM_F_MULTI, NLM_F_REPLACE, NLM_F_REQUEST, NLM_F_ROOT,
};
use crate::tc::{
    ETH_P_ALL, RTM_DELQDISC, RTM_DELTFILTER, RTM_GETQDISC, RTM_GETTFILTER, RTM_NEWQDISC,
    RTM_NEWTFILTER, TCMSG_LEN,
};
use attrs::{format_attrs, Space};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Checks whether `KOKO_DEBUG` is set to a value other than empty or "0". The variable
/// is read once.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED
        .get_or_init(|| std::env::var_os("KOKO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Prints the messages in `bytes` to stderr when debugging is enabled. Write errors are
/// ignored: a closed stderr must not stop a request half-way.
pub fn dump(direction: &str, bytes: &[u8]) {
    if enabled() {
        use std::io::Write;
        let _ = std::io::stderr().write_all(format(direction, bytes).as_bytes());
    }
}

/// Deepest nesting that is decoded. Nests below it are shown by length, which keeps the
/// recursion shallow on hostile input (every level costs only a 4-byte header).
const MAX_DEPTH: usize = 12;

/// Bytes of a payload shown in hex before the rest is cut to `...`.
const HEX_PREVIEW_LEN: usize = 16;

/// Formats every message in `bytes`: one line for the netlink header, then the family
/// header and the attribute tree, indented by two spaces per level.
pub fn format(direction: &str, bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut messages = MessageIter::new(bytes);
    let mut offset = 0usize;
    for message in messages.by_ref() {
        let _ = writeln!(out, "koko: netlink {direction}: {}", header_fields(&message.header));
        format_body(&mut out, &message.header, message.payload, 1);
        let len = message.header.len as usize;
        offset = offset.saturating_add(align(len).unwrap_or(len));
    }
    if messages.malformed() {
        let rest = bytes.get(offset..).unwrap_or_default();
        let _ = writeln!(
            out,
            "koko: netlink {direction}: malformed message at byte {offset} of {}: {}",
            bytes.len(),
            hex_preview(rest)
        );
    }
    out
}

/// Type name, length, flags, sequence number and port of a netlink header.
fn header_fields(header: &Header) -> String {
    let Header { len, kind, flags, seq, port } = *header;
    let kind_text = match message_name(kind) {
        Some(name) => name.to_owned(),
        None => format!("type {kind}"),
    };
    format!("{kind_text} len {len} flags {} seq {seq} port {port}", message_flags(kind, flags))
}

/// Writes the family header and attributes that follow a netlink header of `header.kind`.
fn format_body(out: &mut String, header: &Header, payload: &[u8], depth: usize) {
    match header.kind {
        RTM_NEWLINK..=RTM_SETLINK => {
            if link::format_ifinfomsg(out, payload, depth) {
                format_attrs(out, &payload[IFINFOMSG_LEN..], Space::Link, depth);
            }
        }
        RTM_NEWADDR..=RTM_GETADDR => {
            if addr::format_ifaddrmsg(out, payload, depth) {
                format_attrs(out, &payload[IFADDRMSG_LEN..], Space::Addr, depth);
            }
        }
        // Qdiscs, classes and filters share struct tcmsg.
        RTM_NEWQDISC..=RTM_GETTFILTER => {
            if tc::format_tcmsg(out, header.kind, payload, depth) {
                format_attrs(out, &payload[TCMSG_LEN..], Space::Tc, depth);
            }
        }
        NLMSG_ERROR => error::format_error(out, header.flags, payload, depth),
        NLMSG_DONE => error::format_done(out, header.flags, payload, depth),
        _ if payload.is_empty() => {}
        _ => line(
            out,
            depth,
            format_args!("payload len {}: {}", payload.len(), hex_preview(payload)),
        ),
    }
}

fn line(out: &mut String, depth: usize, text: std::fmt::Arguments<'_>) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    let _ = out.write_fmt(text);
    out.push('\n');
}

/// Writes a family header that is shorter than its struct, and returns false so the
/// caller stops there.
fn truncated_header(
    out: &mut String,
    depth: usize,
    name: &str,
    expected: usize,
    bytes: &[u8],
) -> bool {
    line(
        out,
        depth,
        format_args!(
            "{name} truncated ({} of {expected} bytes): {}",
            bytes.len(),
            hex_preview(bytes)
        ),
    );
    false
}

fn hex_preview(bytes: &[u8]) -> String {
    let preview = &bytes[..bytes.len().min(HEX_PREVIEW_LEN)];
    let mut text = String::with_capacity(preview.len() * 3 + 4);
    for (i, byte) in preview.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let _ = write!(text, "{byte:02x}");
    }
    if bytes.len() > preview.len() {
        text.push_str(" ...");
    }
    text
}

/// Joins the names of the bits set in `value`, in table order, and appends the bits left
/// over in hex. An entry of several bits matches only when all of them are set.
fn flag_names(value: u32, names: &[(u32, &str)]) -> String {
    if value == 0 {
        return "0".to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = value;
    for &(bits, name) in names {
        if bits != 0 && rest & bits == bits {
            parts.push(name.to_owned());
            rest &= !bits;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn message_name(kind: u16) -> Option<&'static str> {
    let name = match kind {
        NLMSG_NOOP => "NLMSG_NOOP",
        NLMSG_ERROR => "NLMSG_ERROR",
        NLMSG_DONE => "NLMSG_DONE",
        NLMSG_OVERRUN => "NLMSG_OVERRUN",
        RTM_NEWLINK => "RTM_NEWLINK",
        RTM_DELLINK => "RTM_DELLINK",
        RTM_GETLINK => "RTM_GETLINK",
        RTM_SETLINK => "RTM_SETLINK",
        RTM_NEWADDR => "RTM_NEWADDR",
        RTM_DELADDR => "RTM_DELADDR",
        RTM_GETADDR => "RTM_GETADDR",
        RTM_NEWQDISC => "RTM_NEWQDISC",
        RTM_DELQDISC => "RTM_DELQDISC",
        RTM_GETQDISC => "RTM_GETQDISC",
        40 => "RTM_NEWTCLASS",
        41 => "RTM_DELTCLASS",
        42 => "RTM_GETTCLASS",
        RTM_NEWTFILTER => "RTM_NEWTFILTER",
        RTM_DELTFILTER => "RTM_DELTFILTER",
        RTM_GETTFILTER => "RTM_GETTFILTER",
        _ => return None,
    };
    Some(name)
}

/// Names the flags of a message of type `kind`. The bits above 0xff mean different
/// things in new, delete and get requests and in error replies (`linux/netlink.h`).
fn message_flags(kind: u16, flags: u16) -> String {
    const COMMON: [(u32, &str); 6] = [
        (NLM_F_REQUEST as u32, "REQUEST"),
        (NLM_F_MULTI as u32, "MULTI"),
        (NLM_F_ACK as u32, "ACK"),
        (NLM_F_ECHO as u32, "ECHO"),
        (NLM_F_DUMP_INTR as u32, "DUMP_INTR"),
        (0x20, "DUMP_FILTERED"),
    ];
    const NEW: [(u32, &str); 4] = [
        (NLM_F_REPLACE as u32, "REPLACE"),
        (NLM_F_EXCL as u32, "EXCL"),
        (NLM_F_CREATE as u32, "CREATE"),
        (0x800, "APPEND"),
    ];
    const DELETE: [(u32, &str); 2] = [(0x100, "NONREC"), (0x200, "BULK")];
    const GET: [(u32, &str); 4] = [
        (NLM_F_DUMP as u32, "DUMP"),
        (NLM_F_ROOT as u32, "ROOT"),
        (NLM_F_MATCH as u32, "MATCH"),
        (0x400, "ATOMIC"),
    ];
    const ERROR: [(u32, &str); 2] =
        [(NLM_F_CAPPED as u32, "CAPPED"), (NLM_F_ACK_TLVS as u32, "ACK_TLVS")];

    // rtnetlink numbers its types in groups of four: new, delete, get, set.
    let specific: &[(u32, &str)] = match kind {
        NLMSG_ERROR => &ERROR,
        0..=15 => &[],
        _ => match kind % 4 {
            0 => &NEW,
            1 => &DELETE,
            2 => &GET,
            _ => &[],
        },
    };
    let names: Vec<(u32, &str)> = COMMON.iter().chain(specific).copied().collect();
    flag_names(u32::from(flags), &names)
}

fn family_name(family: u8) -> String {
    let name = match i32::from(family) {
        libc::AF_UNSPEC => "AF_UNSPEC",
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        libc::AF_BRIDGE => "AF_BRIDGE",
        libc::AF_PACKET => "AF_PACKET",
        libc::AF_MPLS => "AF_MPLS",
        _ => return family.to_string(),
    };
    name.to_owned()
}

/// Formats an ethertype in hex, with the name tc and ip use for the common ones.
fn ethertype(protocol: u16) -> String {
    let name = match protocol {
        ETH_P_ALL => "all",
        0x0800 => "ip",
        0x0806 => "arp",
        0x86dd => "ipv6",
        ETH_P_8021Q => "802.1Q",
        ETH_P_8021AD => "802.1ad",
        _ => return format!("{protocol:#06x}"),
    };
    format!("{protocol:#06x} ({name})")
}
