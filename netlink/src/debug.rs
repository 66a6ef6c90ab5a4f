//! `KOKO_DEBUG=1`: prints every netlink message sent and received, field by field, to
//! stderr.

use crate::attr::AttrIter;
use crate::message::{Header, MessageIter};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Whether `KOKO_DEBUG` is set to a value other than empty or "0"; read once.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("KOKO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Prints the messages in `bytes` to stderr when debugging is enabled. Write errors are
/// ignored: a closed stderr must not stop a request half-way.
pub fn dump(direction: &str, bytes: &[u8]) {
    if enabled() {
        use std::io::Write;
        let _ = std::io::stderr().write_all(format(direction, bytes).as_bytes());
    }
}

fn message_name(kind: u16) -> &'static str {
    match kind {
        1 => "NLMSG_NOOP",
        2 => "NLMSG_ERROR",
        3 => "NLMSG_DONE",
        16 => "RTM_NEWLINK",
        17 => "RTM_DELLINK",
        18 => "RTM_GETLINK",
        20 => "RTM_NEWADDR",
        21 => "RTM_DELADDR",
        22 => "RTM_GETADDR",
        36 => "RTM_NEWQDISC",
        37 => "RTM_DELQDISC",
        38 => "RTM_GETQDISC",
        44 => "RTM_NEWTFILTER",
        45 => "RTM_DELTFILTER",
        46 => "RTM_GETTFILTER",
        _ => "",
    }
}

/// Size of the family header that follows the netlink header for each message type.
fn family_header_len(kind: u16) -> usize {
    match kind {
        16..=19 => 16, // ifinfomsg
        20..=23 => 8,  // ifaddrmsg
        36..=47 => 20, // tcmsg
        2 => 4,        // the error code; the echoed request follows
        _ => 0,
    }
}

/// Formats every message in `bytes`: the header, the family header in hex and the
/// attributes as a tree. An attribute is shown as nested when it carries `NLA_F_NESTED`
/// or its payload parses exactly as attributes, so the tree is a best guess.
pub fn format(direction: &str, bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut messages = MessageIter::new(bytes);
    for message in messages.by_ref() {
        let Header { len, kind, flags, seq, port } = message.header;
        let _ = writeln!(
            out,
            "koko: netlink {direction}: len {len} type {kind} {} flags {flags:#x} seq {seq} port {port}",
            message_name(kind)
        );
        let fixed = family_header_len(kind).min(message.payload.len());
        let _ = writeln!(out, "  header {}", hex(&message.payload[..fixed]));
        if kind == 2 {
            if let Some(request) = Header::parse(&message.payload[fixed..]) {
                let _ = writeln!(out, "  request type {} seq {}", request.kind, request.seq);
            }
            continue;
        }
        format_attrs(&mut out, &message.payload[fixed..], 1);
    }
    if messages.malformed() {
        let _ = writeln!(out, "koko: netlink {direction}: malformed tail ({} bytes total)", bytes.len());
    }
    out
}

fn format_attrs(out: &mut String, buf: &[u8], depth: usize) {
    let mut attrs = AttrIter::new(buf);
    for attr in attrs.by_ref() {
        let indent = "  ".repeat(depth + 1);
        let looks_nested = attr.payload.len() >= 4 && {
            let mut inner = AttrIter::new(attr.payload);
            inner.by_ref().count() > 0 && !inner.malformed()
        };
        if attr.nested || looks_nested {
            let flag = if attr.nested { " NLA_F_NESTED" } else { "" };
            let _ = writeln!(out, "{indent}attr {}{flag} len {} {{", attr.kind, attr.payload.len());
            if depth < 8 {
                format_attrs(out, attr.payload, depth + 1);
            }
            let _ = writeln!(out, "{indent}}}");
        } else {
            let _ = writeln!(out, "{indent}attr {} len {}: {}", attr.kind, attr.payload.len(), hex(attr.payload));
        }
    }
    if attrs.malformed() {
        let _ = writeln!(out, "{}malformed attribute", "  ".repeat(depth + 1));
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let _ = write!(text, "{byte:02x}");
    }
    text
}
