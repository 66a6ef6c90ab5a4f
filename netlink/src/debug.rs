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

use crate::addr::{
    IFADDRMSG_LEN, IFA_ADDRESS, IFA_BROADCAST, IFA_CACHEINFO, IFA_FLAGS, IFA_F_DADFAILED,
    IFA_F_NODAD, IFA_F_PERMANENT, IFA_F_TENTATIVE, IFA_LABEL, IFA_LOCAL, RTM_DELADDR, RTM_GETADDR,
    RTM_NEWADDR,
};
use crate::attr::{align, AttrIter};
use crate::error::{
    NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST, NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG,
    NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY,
};
use crate::link::macvlan::{
    IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU, MACVLAN_MODE_PRIVATE,
    MACVLAN_MODE_SOURCE, MACVLAN_MODE_VEPA,
};
use crate::link::veth::VETH_INFO_PEER;
use crate::link::vlan::{
    ETH_P_8021AD, ETH_P_8021Q, IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_FLAGS, IFLA_VLAN_ID,
    IFLA_VLAN_INGRESS_QOS, IFLA_VLAN_PROTOCOL,
};
use crate::link::vxlan::*;
use crate::link::{
    IfInfoMsg, IFF_LOWER_UP, IFF_UP, IFINFOMSG_LEN, IFLA_ADDRESS, IFLA_BROADCAST, IFLA_EXT_MASK,
    IFLA_GROUP, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINK, IFLA_LINKINFO,
    IFLA_LINK_NETNSID, IFLA_MASTER, IFLA_MTU, IFLA_NET_NS_FD, IFLA_NET_NS_PID, IFLA_NUM_RX_QUEUES,
    IFLA_NUM_TX_QUEUES, IFLA_OPERSTATE, IFLA_TXQLEN, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK,
    RTM_SETLINK,
};
use crate::message::{
    Header, MessageIter, HEADER_LEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK,
    NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_ECHO,
    NLM_F_EXCL, NLM_F_MATCH, NLM_F_MULTI, NLM_F_REPLACE, NLM_F_REQUEST, NLM_F_ROOT,
};
use crate::tc::*;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// Whether `KOKO_DEBUG` is set to a value other than empty or "0"; read once.
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
            if format_ifinfomsg(out, payload, depth) {
                format_attrs(out, &payload[IFINFOMSG_LEN..], Space::Link, depth);
            }
        }
        RTM_NEWADDR..=RTM_GETADDR => {
            if format_ifaddrmsg(out, payload, depth) {
                format_attrs(out, &payload[IFADDRMSG_LEN..], Space::Addr, depth);
            }
        }
        // Qdiscs, classes and filters share struct tcmsg.
        RTM_NEWQDISC..=RTM_GETTFILTER => {
            if format_tcmsg(out, header.kind, payload, depth) {
                format_attrs(out, &payload[TCMSG_LEN..], Space::Tc, depth);
            }
        }
        NLMSG_ERROR => format_error(out, header.flags, payload, depth),
        NLMSG_DONE => format_done(out, header.flags, payload, depth),
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

/// Writes `struct ifinfomsg`; returns whether `payload` was long enough to hold it.
fn format_ifinfomsg(out: &mut String, payload: &[u8], depth: usize) -> bool {
    let Some(header) = IfInfoMsg::parse(payload) else {
        return truncated_header(out, depth, "ifinfomsg", IFINFOMSG_LEN, payload);
    };
    line(
        out,
        depth,
        format_args!(
            "ifinfomsg family {} type {} index {} flags {} change {}",
            family_name(header.family),
            device_type_name(header.kind),
            header.index,
            flag_names(header.flags, INTERFACE_FLAGS),
            interface_change(header.change),
        ),
    );
    true
}

/// Writes `struct ifaddrmsg`; returns whether `payload` was long enough to hold it.
fn format_ifaddrmsg(out: &mut String, payload: &[u8], depth: usize) -> bool {
    let Some(bytes) = payload.get(..IFADDRMSG_LEN) else {
        return truncated_header(out, depth, "ifaddrmsg", IFADDRMSG_LEN, payload);
    };
    let index = u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    line(
        out,
        depth,
        format_args!(
            "ifaddrmsg family {} prefixlen {} flags {} scope {} index {index}",
            family_name(bytes[0]),
            bytes[1],
            flag_names(u32::from(bytes[2]), ADDRESS_FLAGS),
            scope_name(bytes[3]),
        ),
    );
    true
}

/// Writes `struct tcmsg`; returns whether `payload` was long enough to hold it. For
/// filters the `info` field is shown as the priority and protocol packed in it.
fn format_tcmsg(out: &mut String, kind: u16, payload: &[u8], depth: usize) -> bool {
    let Some(header) = TcMsg::parse(payload) else {
        return truncated_header(out, depth, "tcmsg", TCMSG_LEN, payload);
    };
    let info = if (RTM_NEWTFILTER..=RTM_GETTFILTER).contains(&kind) {
        format!("prio {} protocol {}", header.prio(), ethertype(header.protocol()))
    } else {
        format!("info {}", header.info)
    };
    line(
        out,
        depth,
        format_args!(
            "tcmsg family {} ifindex {} handle {} parent {} {info}",
            family_name(header.family),
            header.ifindex,
            tc_handle(header.handle),
            tc_parent(header.parent),
        ),
    );
    true
}

/// Writes an `NLMSG_ERROR` payload: the error code, the header of the request it
/// acknowledges (and the rest of that request unless the kernel capped it), then the
/// extended-ACK attributes.
fn format_error(out: &mut String, flags: u16, payload: &[u8], depth: usize) {
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
fn format_done(out: &mut String, flags: u16, payload: &[u8], depth: usize) {
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

/// Attribute namespaces: the kernel enum that gives an attribute type its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Link,
    LinkInfo,
    Veth,
    Vxlan,
    Macvlan,
    Vlan,
    Addr,
    Tc,
    U32,
    /// A `TCA_U32_ACT` list, whose members are numbered by their order.
    Actions,
    Action,
    Mirred,
    ExtAck,
    /// Attributes of a kind this module does not know, shown by number.
    Unknown,
}

/// Display format of an attribute's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    /// NUL-terminated or plain string, quoted.
    Str,
    U8,
    U16,
    U32,
    /// `NLA_UINT`: a `u32` or a `u64`, whichever the value needs.
    Uint,
    I32,
    /// `u32` in hexadecimal.
    Hex32,
    /// Port or other `__be16` number.
    Be16,
    /// `__be32` in hexadecimal, such as the vxlan flow label.
    Be32,
    /// `__be16` ethertype with its name.
    Ethertype,
    /// Hardware address as colon-separated hex of any length.
    Mac,
    /// IPv4 or IPv6 address, chosen by the payload length (4 or 16 bytes).
    Ip,
    /// Attribute whose presence is the value in requests. Replies may carry a `u8`
    /// instead (`IFLA_VXLAN_TTL_INHERIT` on Linux 6.18).
    Flag,
    /// tc handle as `major:minor`.
    Handle,
    OperState,
    MacvlanMode,
    AddressFlags,
    ClassifierFlags,
    VlanFlags,
    PortRange,
    CacheInfo,
    U32Selector,
    MirredParms,
    /// Shown by length only: statistics and other large blobs.
    Summary,
    /// First bytes in hex.
    Hex,
    Nested(Space),
    /// `IFLA_INFO_DATA`, whose layout depends on `IFLA_INFO_KIND`.
    LinkData,
    /// `TCA_OPTIONS`, whose layout depends on `TCA_KIND`.
    TcOptions,
    /// `TCA_ACT_OPTIONS`, whose layout depends on `TCA_ACT_KIND`.
    ActionOptions,
    /// `VETH_INFO_PEER`: a `struct ifinfomsg` followed by `IFLA_*` attributes.
    Peer,
}

/// Returns the name of attribute `kind` in `space` and the display format of its payload,
/// or `None` for a type this module has no name for.
fn describe(space: Space, kind: u16) -> Option<(&'static str, Value)> {
    let described = match space {
        Space::Link => return describe_link(kind),
        Space::LinkInfo => match kind {
            IFLA_INFO_KIND => ("IFLA_INFO_KIND", Value::Str),
            IFLA_INFO_DATA => ("IFLA_INFO_DATA", Value::LinkData),
            3 => ("IFLA_INFO_XSTATS", Value::Summary),
            4 => ("IFLA_INFO_SLAVE_KIND", Value::Str),
            5 => ("IFLA_INFO_SLAVE_DATA", Value::Summary),
            _ => return None,
        },
        Space::Veth => match kind {
            VETH_INFO_PEER => ("VETH_INFO_PEER", Value::Peer),
            _ => return None,
        },
        Space::Vxlan => return describe_vxlan(kind),
        Space::Macvlan => match kind {
            IFLA_MACVLAN_MODE => ("IFLA_MACVLAN_MODE", Value::MacvlanMode),
            2 => ("IFLA_MACVLAN_FLAGS", Value::U16),
            3 => ("IFLA_MACVLAN_MACADDR_MODE", Value::U32),
            4 => ("IFLA_MACVLAN_MACADDR", Value::Mac),
            5 => ("IFLA_MACVLAN_MACADDR_DATA", Value::Summary),
            6 => ("IFLA_MACVLAN_MACADDR_COUNT", Value::U32),
            7 => ("IFLA_MACVLAN_BC_QUEUE_LEN", Value::U32),
            8 => ("IFLA_MACVLAN_BC_QUEUE_LEN_USED", Value::U32),
            _ => return None,
        },
        Space::Vlan => match kind {
            IFLA_VLAN_ID => ("IFLA_VLAN_ID", Value::U16),
            IFLA_VLAN_FLAGS => ("IFLA_VLAN_FLAGS", Value::VlanFlags),
            IFLA_VLAN_EGRESS_QOS => ("IFLA_VLAN_EGRESS_QOS", Value::Summary),
            IFLA_VLAN_INGRESS_QOS => ("IFLA_VLAN_INGRESS_QOS", Value::Summary),
            IFLA_VLAN_PROTOCOL => ("IFLA_VLAN_PROTOCOL", Value::Ethertype),
            _ => return None,
        },
        Space::Addr => match kind {
            IFA_ADDRESS => ("IFA_ADDRESS", Value::Ip),
            IFA_LOCAL => ("IFA_LOCAL", Value::Ip),
            IFA_LABEL => ("IFA_LABEL", Value::Str),
            IFA_BROADCAST => ("IFA_BROADCAST", Value::Ip),
            5 => ("IFA_ANYCAST", Value::Ip),
            IFA_CACHEINFO => ("IFA_CACHEINFO", Value::CacheInfo),
            7 => ("IFA_MULTICAST", Value::Ip),
            IFA_FLAGS => ("IFA_FLAGS", Value::AddressFlags),
            9 => ("IFA_RT_PRIORITY", Value::U32),
            10 => ("IFA_TARGET_NETNSID", Value::I32),
            11 => ("IFA_PROTO", Value::U8),
            _ => return None,
        },
        Space::Tc => return describe_tc(kind),
        Space::U32 => match kind {
            TCA_U32_CLASSID => ("TCA_U32_CLASSID", Value::Handle),
            TCA_U32_HASH => ("TCA_U32_HASH", Value::Handle),
            TCA_U32_LINK => ("TCA_U32_LINK", Value::Handle),
            TCA_U32_DIVISOR => ("TCA_U32_DIVISOR", Value::U32),
            TCA_U32_SEL => ("TCA_U32_SEL", Value::U32Selector),
            TCA_U32_POLICE => ("TCA_U32_POLICE", Value::Summary),
            TCA_U32_ACT => ("TCA_U32_ACT", Value::Nested(Space::Actions)),
            TCA_U32_INDEV => ("TCA_U32_INDEV", Value::Str),
            TCA_U32_PCNT => ("TCA_U32_PCNT", Value::Summary),
            TCA_U32_MARK => ("TCA_U32_MARK", Value::Hex),
            TCA_U32_FLAGS => ("TCA_U32_FLAGS", Value::ClassifierFlags),
            _ => return None,
        },
        Space::Actions => ("action", Value::Nested(Space::Action)),
        Space::Action => match kind {
            TCA_ACT_KIND => ("TCA_ACT_KIND", Value::Str),
            TCA_ACT_OPTIONS => ("TCA_ACT_OPTIONS", Value::ActionOptions),
            TCA_ACT_INDEX => ("TCA_ACT_INDEX", Value::U32),
            TCA_ACT_STATS => ("TCA_ACT_STATS", Value::Summary),
            TCA_ACT_PAD => ("TCA_ACT_PAD", Value::Summary),
            TCA_ACT_COOKIE => ("TCA_ACT_COOKIE", Value::Hex),
            TCA_ACT_FLAGS => ("TCA_ACT_FLAGS", Value::Hex),
            8 => ("TCA_ACT_HW_STATS", Value::Hex),
            9 => ("TCA_ACT_USED_HW_STATS", Value::Hex),
            10 => ("TCA_ACT_IN_HW_COUNT", Value::U32),
            _ => return None,
        },
        Space::Mirred => match kind {
            TCA_MIRRED_TM => ("TCA_MIRRED_TM", Value::Summary),
            TCA_MIRRED_PARMS => ("TCA_MIRRED_PARMS", Value::MirredParms),
            3 => ("TCA_MIRRED_PAD", Value::Summary),
            4 => ("TCA_MIRRED_BLOCKID", Value::U32),
            _ => return None,
        },
        Space::ExtAck => match kind {
            NLMSGERR_ATTR_MSG => ("NLMSGERR_ATTR_MSG", Value::Str),
            NLMSGERR_ATTR_OFFS => ("NLMSGERR_ATTR_OFFS", Value::U32),
            NLMSGERR_ATTR_COOKIE => ("NLMSGERR_ATTR_COOKIE", Value::Hex),
            NLMSGERR_ATTR_POLICY => ("NLMSGERR_ATTR_POLICY", Value::Summary),
            NLMSGERR_ATTR_MISS_TYPE => ("NLMSGERR_ATTR_MISS_TYPE", Value::U32),
            NLMSGERR_ATTR_MISS_NEST => ("NLMSGERR_ATTR_MISS_NEST", Value::U32),
            _ => return None,
        },
        Space::Unknown => return None,
    };
    Some(described)
}

/// `IFLA_*` names, numbered as in `linux/if_link.h`; the last four were checked against
/// the replies of Linux 6.18.
fn describe_link(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFLA_ADDRESS => ("IFLA_ADDRESS", Value::Mac),
        IFLA_BROADCAST => ("IFLA_BROADCAST", Value::Mac),
        IFLA_IFNAME => ("IFLA_IFNAME", Value::Str),
        IFLA_MTU => ("IFLA_MTU", Value::U32),
        IFLA_LINK => ("IFLA_LINK", Value::U32),
        6 => ("IFLA_QDISC", Value::Str),
        7 => ("IFLA_STATS", Value::Summary),
        8 => ("IFLA_COST", Value::Hex),
        9 => ("IFLA_PRIORITY", Value::Hex),
        IFLA_MASTER => ("IFLA_MASTER", Value::U32),
        11 => ("IFLA_WIRELESS", Value::Summary),
        12 => ("IFLA_PROTINFO", Value::Summary),
        IFLA_TXQLEN => ("IFLA_TXQLEN", Value::U32),
        14 => ("IFLA_MAP", Value::Summary),
        15 => ("IFLA_WEIGHT", Value::U32),
        IFLA_OPERSTATE => ("IFLA_OPERSTATE", Value::OperState),
        17 => ("IFLA_LINKMODE", Value::U8),
        IFLA_LINKINFO => ("IFLA_LINKINFO", Value::Nested(Space::LinkInfo)),
        IFLA_NET_NS_PID => ("IFLA_NET_NS_PID", Value::U32),
        20 => ("IFLA_IFALIAS", Value::Str),
        21 => ("IFLA_NUM_VF", Value::U32),
        22 => ("IFLA_VFINFO_LIST", Value::Summary),
        23 => ("IFLA_STATS64", Value::Summary),
        24 => ("IFLA_VF_PORTS", Value::Summary),
        25 => ("IFLA_PORT_SELF", Value::Summary),
        26 => ("IFLA_AF_SPEC", Value::Summary),
        IFLA_GROUP => ("IFLA_GROUP", Value::U32),
        IFLA_NET_NS_FD => ("IFLA_NET_NS_FD", Value::U32),
        IFLA_EXT_MASK => ("IFLA_EXT_MASK", Value::Hex32),
        30 => ("IFLA_PROMISCUITY", Value::U32),
        IFLA_NUM_TX_QUEUES => ("IFLA_NUM_TX_QUEUES", Value::U32),
        IFLA_NUM_RX_QUEUES => ("IFLA_NUM_RX_QUEUES", Value::U32),
        33 => ("IFLA_CARRIER", Value::U8),
        34 => ("IFLA_PHYS_PORT_ID", Value::Hex),
        35 => ("IFLA_CARRIER_CHANGES", Value::U32),
        36 => ("IFLA_PHYS_SWITCH_ID", Value::Hex),
        IFLA_LINK_NETNSID => ("IFLA_LINK_NETNSID", Value::I32),
        38 => ("IFLA_PHYS_PORT_NAME", Value::Str),
        39 => ("IFLA_PROTO_DOWN", Value::U8),
        40 => ("IFLA_GSO_MAX_SEGS", Value::U32),
        41 => ("IFLA_GSO_MAX_SIZE", Value::U32),
        42 => ("IFLA_PAD", Value::Summary),
        43 => ("IFLA_XDP", Value::Summary),
        44 => ("IFLA_EVENT", Value::U32),
        45 => ("IFLA_NEW_NETNSID", Value::I32),
        46 => ("IFLA_TARGET_NETNSID", Value::I32),
        47 => ("IFLA_CARRIER_UP_COUNT", Value::U32),
        48 => ("IFLA_CARRIER_DOWN_COUNT", Value::U32),
        49 => ("IFLA_NEW_IFINDEX", Value::I32),
        50 => ("IFLA_MIN_MTU", Value::U32),
        51 => ("IFLA_MAX_MTU", Value::U32),
        52 => ("IFLA_PROP_LIST", Value::Summary),
        53 => ("IFLA_ALT_IFNAME", Value::Str),
        54 => ("IFLA_PERM_ADDRESS", Value::Mac),
        55 => ("IFLA_PROTO_DOWN_REASON", Value::Summary),
        56 => ("IFLA_PARENT_DEV_NAME", Value::Str),
        57 => ("IFLA_PARENT_DEV_BUS_NAME", Value::Str),
        58 => ("IFLA_GRO_MAX_SIZE", Value::U32),
        59 => ("IFLA_TSO_MAX_SIZE", Value::U32),
        60 => ("IFLA_TSO_MAX_SEGS", Value::U32),
        61 => ("IFLA_ALLMULTI", Value::U32),
        62 => ("IFLA_DEVLINK_PORT", Value::Summary),
        63 => ("IFLA_GSO_IPV4_MAX_SIZE", Value::U32),
        64 => ("IFLA_GRO_IPV4_MAX_SIZE", Value::U32),
        65 => ("IFLA_DPLL_PIN", Value::Summary),
        66 => ("IFLA_MAX_PACING_OFFLOAD_HORIZON", Value::Uint),
        67 => ("IFLA_NETNS_IMMUTABLE", Value::U8),
        68 => ("IFLA_HEADROOM", Value::U16),
        69 => ("IFLA_TAILROOM", Value::U16),
        _ => return None,
    };
    Some(described)
}

/// `IFLA_VXLAN_*` names; the ones above `IFLA_VXLAN_DF` have no constant in
/// [`crate::link::vxlan`] because koko never sends them.
fn describe_vxlan(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFLA_VXLAN_ID => ("IFLA_VXLAN_ID", Value::U32),
        IFLA_VXLAN_GROUP => ("IFLA_VXLAN_GROUP", Value::Ip),
        IFLA_VXLAN_LINK => ("IFLA_VXLAN_LINK", Value::U32),
        IFLA_VXLAN_LOCAL => ("IFLA_VXLAN_LOCAL", Value::Ip),
        IFLA_VXLAN_TTL => ("IFLA_VXLAN_TTL", Value::U8),
        IFLA_VXLAN_TOS => ("IFLA_VXLAN_TOS", Value::U8),
        IFLA_VXLAN_LEARNING => ("IFLA_VXLAN_LEARNING", Value::U8),
        IFLA_VXLAN_AGEING => ("IFLA_VXLAN_AGEING", Value::U32),
        IFLA_VXLAN_LIMIT => ("IFLA_VXLAN_LIMIT", Value::U32),
        IFLA_VXLAN_PORT_RANGE => ("IFLA_VXLAN_PORT_RANGE", Value::PortRange),
        IFLA_VXLAN_PROXY => ("IFLA_VXLAN_PROXY", Value::U8),
        IFLA_VXLAN_RSC => ("IFLA_VXLAN_RSC", Value::U8),
        IFLA_VXLAN_L2MISS => ("IFLA_VXLAN_L2MISS", Value::U8),
        IFLA_VXLAN_L3MISS => ("IFLA_VXLAN_L3MISS", Value::U8),
        IFLA_VXLAN_PORT => ("IFLA_VXLAN_PORT", Value::Be16),
        IFLA_VXLAN_GROUP6 => ("IFLA_VXLAN_GROUP6", Value::Ip),
        IFLA_VXLAN_LOCAL6 => ("IFLA_VXLAN_LOCAL6", Value::Ip),
        IFLA_VXLAN_UDP_CSUM => ("IFLA_VXLAN_UDP_CSUM", Value::U8),
        IFLA_VXLAN_UDP_ZERO_CSUM6_TX => ("IFLA_VXLAN_UDP_ZERO_CSUM6_TX", Value::U8),
        IFLA_VXLAN_UDP_ZERO_CSUM6_RX => ("IFLA_VXLAN_UDP_ZERO_CSUM6_RX", Value::U8),
        IFLA_VXLAN_REMCSUM_TX => ("IFLA_VXLAN_REMCSUM_TX", Value::U8),
        IFLA_VXLAN_REMCSUM_RX => ("IFLA_VXLAN_REMCSUM_RX", Value::U8),
        IFLA_VXLAN_GBP => ("IFLA_VXLAN_GBP", Value::Flag),
        IFLA_VXLAN_REMCSUM_NOPARTIAL => ("IFLA_VXLAN_REMCSUM_NOPARTIAL", Value::Flag),
        IFLA_VXLAN_COLLECT_METADATA => ("IFLA_VXLAN_COLLECT_METADATA", Value::U8),
        IFLA_VXLAN_LABEL => ("IFLA_VXLAN_LABEL", Value::Be32),
        IFLA_VXLAN_GPE => ("IFLA_VXLAN_GPE", Value::Flag),
        IFLA_VXLAN_TTL_INHERIT => ("IFLA_VXLAN_TTL_INHERIT", Value::Flag),
        IFLA_VXLAN_DF => ("IFLA_VXLAN_DF", Value::U8),
        30 => ("IFLA_VXLAN_VNIFILTER", Value::U8),
        31 => ("IFLA_VXLAN_LOCALBYPASS", Value::U8),
        32 => ("IFLA_VXLAN_LABEL_POLICY", Value::U32),
        33 => ("IFLA_VXLAN_RESERVED_BITS", Value::Hex),
        _ => return None,
    };
    Some(described)
}

/// `TCA_*` names of qdisc, class and filter messages (`linux/rtnetlink.h`).
fn describe_tc(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        TCA_KIND => ("TCA_KIND", Value::Str),
        TCA_OPTIONS => ("TCA_OPTIONS", Value::TcOptions),
        TCA_STATS => ("TCA_STATS", Value::Summary),
        TCA_XSTATS => ("TCA_XSTATS", Value::Summary),
        TCA_RATE => ("TCA_RATE", Value::Summary),
        TCA_FCNT => ("TCA_FCNT", Value::U32),
        TCA_STATS2 => ("TCA_STATS2", Value::Summary),
        TCA_STAB => ("TCA_STAB", Value::Summary),
        TCA_PAD => ("TCA_PAD", Value::Summary),
        TCA_DUMP_INVISIBLE => ("TCA_DUMP_INVISIBLE", Value::Flag),
        TCA_CHAIN => ("TCA_CHAIN", Value::U32),
        TCA_HW_OFFLOAD => ("TCA_HW_OFFLOAD", Value::U8),
        TCA_INGRESS_BLOCK => ("TCA_INGRESS_BLOCK", Value::U32),
        TCA_EGRESS_BLOCK => ("TCA_EGRESS_BLOCK", Value::U32),
        15 => ("TCA_DUMP_FLAGS", Value::Hex),
        16 => ("TCA_EXT_WARN_MSG", Value::Str),
        _ => return None,
    };
    Some(described)
}

/// Finds the kind string that selects the layout of the data attribute in a run of
/// attributes of `space`: `IFLA_INFO_KIND`, `TCA_KIND` or `TCA_ACT_KIND`. The kernel sends
/// the kind first, but any order is accepted.
fn kind_of(space: Space, buf: &[u8]) -> Option<&[u8]> {
    let kind = match space {
        Space::LinkInfo => IFLA_INFO_KIND,
        Space::Tc => TCA_KIND,
        Space::Action => TCA_ACT_KIND,
        _ => return None,
    };
    let payload = AttrIter::find(buf, kind)?.payload;
    let end = payload.iter().position(|&byte| byte == 0).unwrap_or(payload.len());
    Some(&payload[..end])
}

/// Picks the space of a nested data attribute from a kind string found by [`kind_of`].
fn data_space(value: Value, kind: Option<&[u8]>) -> Space {
    match (value, kind) {
        (Value::LinkData, Some(b"veth")) => Space::Veth,
        (Value::LinkData, Some(b"vxlan")) => Space::Vxlan,
        (Value::LinkData, Some(b"macvlan" | b"macvtap")) => Space::Macvlan,
        (Value::LinkData, Some(b"vlan")) => Space::Vlan,
        (Value::TcOptions, Some(b"u32")) => Space::U32,
        (Value::ActionOptions, Some(b"mirred")) => Space::Mirred,
        _ => Space::Unknown,
    }
}

/// Writes each attribute in `buf` on its own line, nests as indented blocks, and stops
/// with a note at the first malformed attribute.
fn format_attrs(out: &mut String, buf: &[u8], space: Space, depth: usize) {
    let kind = kind_of(space, buf);
    let mut attrs = AttrIter::new(buf);
    for attr in attrs.by_ref() {
        let (label, value) = match describe(space, attr.kind) {
            Some(_) if space == Space::Actions => {
                (format!("action {}", attr.kind), Value::Nested(Space::Action))
            }
            Some((name, value)) => (name.to_owned(), value),
            None => (format!("attr {}", attr.kind), Value::Hex),
        };
        let label = if attr.nested { format!("{label} NLA_F_NESTED") } else { label };
        let payload = attr.payload;

        match value {
            Value::Nested(inner) => format_nest(out, &label, payload, inner, depth),
            Value::LinkData | Value::TcOptions | Value::ActionOptions => {
                format_nest(out, &label, payload, data_space(value, kind), depth)
            }
            Value::Peer => format_peer(out, &label, payload, depth),
            Value::U32Selector => format_u32_selector(out, &label, payload, depth),
            Value::Hex if attr.nested => format_nest(out, &label, payload, Space::Unknown, depth),
            Value::Hex => line(
                out,
                depth,
                format_args!("{label} len {}: {}", payload.len(), hex_preview(payload)),
            ),
            Value::Summary => line(out, depth, format_args!("{label} len {}", payload.len())),
            Value::Flag if payload.is_empty() => line(out, depth, format_args!("{label}")),
            _ => match render(value, payload) {
                Some(text) => line(out, depth, format_args!("{label} {text}")),
                None => line(
                    out,
                    depth,
                    format_args!(
                        "{label} len {} (unexpected length): {}",
                        payload.len(),
                        hex_preview(payload)
                    ),
                ),
            },
        }
    }
    if attrs.malformed() {
        line(out, depth, format_args!("malformed attribute (length field out of range)"));
    }
}

/// Writes a nested attribute as `label {`, its members one level deeper, and `}`.
fn format_nest(out: &mut String, label: &str, payload: &[u8], space: Space, depth: usize) {
    if depth >= MAX_DEPTH {
        line(out, depth, format_args!("{label} len {} (nested too deep to show)", payload.len()));
        return;
    }
    // An unknown kind's data may be a plain struct rather than attributes.
    if space == Space::Unknown && !parses_as_attrs(payload) {
        line(out, depth, format_args!("{label} len {}: {}", payload.len(), hex_preview(payload)));
        return;
    }
    line(out, depth, format_args!("{label} {{"));
    format_attrs(out, payload, space, depth + 1);
    line(out, depth, format_args!("}}"));
}

fn parses_as_attrs(buf: &[u8]) -> bool {
    let mut attrs = AttrIter::new(buf);
    attrs.by_ref().count() > 0 && !attrs.malformed()
}

/// Writes `VETH_INFO_PEER`: the peer's `ifinfomsg`, then its `IFLA_*` attributes.
fn format_peer(out: &mut String, label: &str, payload: &[u8], depth: usize) {
    if depth >= MAX_DEPTH {
        line(out, depth, format_args!("{label} len {} (nested too deep to show)", payload.len()));
        return;
    }
    line(out, depth, format_args!("{label} {{"));
    if format_ifinfomsg(out, payload, depth + 1) {
        format_attrs(out, &payload[IFINFOMSG_LEN..], Space::Link, depth + 1);
    }
    line(out, depth, format_args!("}}"));
}

/// Writes `struct tc_u32_sel` and its keys, one line each. Masks and values are in
/// network byte order, so they are shown as the bytes read on the wire.
fn format_u32_selector(out: &mut String, label: &str, payload: &[u8], depth: usize) {
    let Some(selector) = payload.get(..TC_U32_SEL_LEN) else {
        line(
            out,
            depth,
            format_args!(
                "{label} len {} (unexpected length): {}",
                payload.len(),
                hex_preview(payload)
            ),
        );
        return;
    };

    let nkeys = selector[2];
    let offmask = u16::from_be_bytes([selector[4], selector[5]]);
    let off = u16::from_ne_bytes([selector[6], selector[7]]);
    let offoff = i16::from_ne_bytes([selector[8], selector[9]]);
    let hoff = i16::from_ne_bytes([selector[10], selector[11]]);
    let hmask = u32::from_be_bytes([selector[12], selector[13], selector[14], selector[15]]);
    line(
        out,
        depth,
        format_args!(
            "{label} flags {} offshift {} nkeys {nkeys} offmask {offmask:#06x} off {off} offoff {offoff} hoff {hoff} hmask {hmask:#010x}",
            flag_names(u32::from(selector[0]), U32_SELECTOR_FLAGS),
            selector[1],
        ),
    );

    let keys = &payload[TC_U32_SEL_LEN..];
    for (i, key) in keys.chunks_exact(TC_U32_KEY_LEN).enumerate() {
        let mask = u32::from_be_bytes([key[0], key[1], key[2], key[3]]);
        let value = u32::from_be_bytes([key[4], key[5], key[6], key[7]]);
        let key_off = i32::from_ne_bytes([key[8], key[9], key[10], key[11]]);
        let key_offmask = i32::from_ne_bytes([key[12], key[13], key[14], key[15]]);
        line(
            out,
            depth + 1,
            format_args!(
                "key {i} mask {mask:#010x} val {value:#010x} off {key_off} offmask {key_offmask}"
            ),
        );
    }

    let present = keys.len() / TC_U32_KEY_LEN;
    if present != usize::from(nkeys) || keys.len() != present * TC_U32_KEY_LEN {
        line(
            out,
            depth + 1,
            format_args!("{present} complete keys in {} bytes, but nkeys is {nkeys}", keys.len()),
        );
    }
}

/// Renders a fixed-layout value, or returns `None` when the payload has the wrong length.
fn render(value: Value, payload: &[u8]) -> Option<String> {
    let text = match value {
        Value::Str => {
            let end = payload.iter().position(|&byte| byte == 0).unwrap_or(payload.len());
            format!("{:?}", String::from_utf8_lossy(&payload[..end]))
        }
        Value::U8 => exact::<1>(payload)?[0].to_string(),
        Value::U16 => u16::from_ne_bytes(exact(payload)?).to_string(),
        Value::U32 => u32::from_ne_bytes(exact(payload)?).to_string(),
        Value::Uint => match payload.len() {
            4 => u32::from_ne_bytes(exact(payload)?).to_string(),
            8 => u64::from_ne_bytes(exact(payload)?).to_string(),
            _ => return None,
        },
        Value::I32 => i32::from_ne_bytes(exact(payload)?).to_string(),
        Value::Hex32 => format!("{:#x}", u32::from_ne_bytes(exact(payload)?)),
        Value::Be16 => u16::from_be_bytes(exact(payload)?).to_string(),
        Value::Be32 => format!("{:#x}", u32::from_be_bytes(exact(payload)?)),
        Value::Ethertype => ethertype(u16::from_be_bytes(exact(payload)?)),
        Value::Flag => exact::<1>(payload)?[0].to_string(),
        Value::Mac if payload.is_empty() => return None,
        Value::Mac => {
            let parts: Vec<String> = payload.iter().map(|byte| format!("{byte:02x}")).collect();
            parts.join(":")
        }
        Value::Ip => match payload.len() {
            4 => Ipv4Addr::from(exact::<4>(payload)?).to_string(),
            16 => Ipv6Addr::from(exact::<16>(payload)?).to_string(),
            _ => return None,
        },
        Value::Handle => tc_handle(u32::from_ne_bytes(exact(payload)?)),
        Value::OperState => oper_state(exact::<1>(payload)?[0]),
        Value::MacvlanMode => macvlan_mode(u32::from_ne_bytes(exact(payload)?)),
        Value::AddressFlags => flag_names(u32::from_ne_bytes(exact(payload)?), ADDRESS_FLAGS),
        Value::ClassifierFlags => flag_names(u32::from_ne_bytes(exact(payload)?), CLASSIFIER_FLAGS),
        Value::VlanFlags => {
            let bytes = exact::<8>(payload)?;
            let flags = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let mask = u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            format!("flags {} mask {}", flag_names(flags, VLAN_FLAGS), flag_names(mask, VLAN_FLAGS))
        }
        Value::PortRange => {
            let bytes = exact::<4>(payload)?;
            let low = u16::from_be_bytes([bytes[0], bytes[1]]);
            let high = u16::from_be_bytes([bytes[2], bytes[3]]);
            format!("{low}-{high}")
        }
        Value::CacheInfo => {
            let bytes = exact::<16>(payload)?;
            let word = |at: usize| {
                u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
            };
            format!(
                "preferred {} valid {} cstamp {} tstamp {}",
                lifetime(word(0)),
                lifetime(word(4)),
                word(8),
                word(12)
            )
        }
        Value::MirredParms => {
            if payload.len() != TC_MIRRED_LEN {
                return None;
            }
            let parms = TcMirred::parse(payload)?;
            format!(
                "index {} capab {} action {} refcnt {} bindcnt {} eaction {} ifindex {}",
                parms.index,
                parms.capab,
                verdict_name(parms.action),
                parms.refcnt,
                parms.bindcnt,
                mirred_action_name(parms.eaction),
                parms.ifindex
            )
        }
        Value::Summary
        | Value::Hex
        | Value::Nested(_)
        | Value::LinkData
        | Value::TcOptions
        | Value::ActionOptions
        | Value::Peer
        | Value::U32Selector => return None,
    };
    Some(text)
}

/// Returns the payload as an array when it is exactly `N` bytes long.
fn exact<const N: usize>(payload: &[u8]) -> Option<[u8; N]> {
    payload.try_into().ok()
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

/// `IFF_*` names (`linux/if.h`), without the prefix.
const INTERFACE_FLAGS: &[(u32, &str)] = &[
    (IFF_UP, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "NOTRAILERS"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1000, "MULTICAST"),
    (0x2000, "PORTSEL"),
    (0x4000, "AUTOMEDIA"),
    (0x8000, "DYNAMIC"),
    (IFF_LOWER_UP, "LOWER_UP"),
    (0x20000, "DORMANT"),
    (0x40000, "ECHO"),
];

/// `IFA_F_*` names (`linux/if_addr.h`), without the prefix.
const ADDRESS_FLAGS: &[(u32, &str)] = &[
    (0x01, "SECONDARY"),
    (IFA_F_NODAD, "NODAD"),
    (0x04, "OPTIMISTIC"),
    (IFA_F_DADFAILED, "DADFAILED"),
    (0x10, "HOMEADDRESS"),
    (0x20, "DEPRECATED"),
    (IFA_F_TENTATIVE, "TENTATIVE"),
    (IFA_F_PERMANENT, "PERMANENT"),
    (0x100, "MANAGETEMPADDR"),
    (0x200, "NOPREFIXROUTE"),
    (0x400, "MCAUTOJOIN"),
    (0x800, "STABLE_PRIVACY"),
];

/// `TCA_CLS_FLAGS_*` names (`linux/pkt_cls.h`), without the prefix.
const CLASSIFIER_FLAGS: &[(u32, &str)] =
    &[(0x1, "SKIP_HW"), (0x2, "SKIP_SW"), (0x4, "IN_HW"), (0x8, "NOT_IN_HW"), (0x10, "VERBOSE")];

/// `TC_U32_*` selector flags, without the prefix.
const U32_SELECTOR_FLAGS: &[(u32, &str)] = &[
    (TC_U32_TERMINAL as u32, "TERMINAL"),
    (TC_U32_OFFSET as u32, "OFFSET"),
    (TC_U32_VAROFFSET as u32, "VAROFFSET"),
    (TC_U32_EAT as u32, "EAT"),
];

/// `VLAN_FLAG_*` names (`linux/if_vlan.h`), without the prefix.
const VLAN_FLAGS: &[(u32, &str)] = &[
    (0x1, "REORDER_HDR"),
    (0x2, "GVRP"),
    (0x4, "LOOSE_BINDING"),
    (0x8, "MVRP"),
    (0x10, "BRIDGE_BINDING"),
];

/// Formats `ifi_change`. All bits set is printed in hex, not as every flag name plus the
/// leftover bits.
fn interface_change(change: u32) -> String {
    if change == u32::MAX {
        "0xffffffff".to_owned()
    } else {
        flag_names(change, INTERFACE_FLAGS)
    }
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

/// `ARPHRD_*` names of the device types koko meets (`linux/if_arp.h`).
fn device_type_name(kind: u16) -> String {
    let name = match kind {
        1 => "ARPHRD_ETHER",
        768 => "ARPHRD_TUNNEL",
        769 => "ARPHRD_TUNNEL6",
        772 => "ARPHRD_LOOPBACK",
        776 => "ARPHRD_SIT",
        778 => "ARPHRD_IPGRE",
        0xfffe => "ARPHRD_NONE",
        0xffff => "ARPHRD_VOID",
        _ => return kind.to_string(),
    };
    name.to_owned()
}

/// `RT_SCOPE_*` names (`linux/rtnetlink.h`).
fn scope_name(scope: u8) -> String {
    let name = match scope {
        0 => "RT_SCOPE_UNIVERSE",
        200 => "RT_SCOPE_SITE",
        253 => "RT_SCOPE_LINK",
        254 => "RT_SCOPE_HOST",
        255 => "RT_SCOPE_NOWHERE",
        _ => return scope.to_string(),
    };
    name.to_owned()
}

/// `IF_OPER_*` names (RFC 2863 states, `linux/if.h`).
fn oper_state(state: u8) -> String {
    let name = match state {
        0 => "UNKNOWN",
        1 => "NOTPRESENT",
        2 => "DOWN",
        3 => "LOWERLAYERDOWN",
        4 => "TESTING",
        5 => "DORMANT",
        6 => "UP",
        _ => return state.to_string(),
    };
    name.to_owned()
}

fn macvlan_mode(mode: u32) -> String {
    let name = match mode {
        MACVLAN_MODE_PRIVATE => "private",
        MACVLAN_MODE_VEPA => "vepa",
        MACVLAN_MODE_BRIDGE => "bridge",
        MACVLAN_MODE_PASSTHRU => "passthru",
        MACVLAN_MODE_SOURCE => "source",
        _ => return mode.to_string(),
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

/// Formats a tc handle as `major:minor` in hex, the notation tc uses.
fn tc_handle(handle: u32) -> String {
    format!("{:x}:{:x}", handle >> 16, handle & TC_H_MIN_MASK)
}

/// Formats a tc parent handle, with the name of the special parents.
fn tc_parent(parent: u32) -> String {
    let name = match parent {
        TC_H_ROOT => "root",
        TC_H_INGRESS => "ingress",
        _ if parent == tc_h_make(TC_H_CLSACT, TC_H_MIN_INGRESS) => "clsact ingress",
        _ if parent == tc_h_make(TC_H_CLSACT, TC_H_MIN_EGRESS) => "clsact egress",
        _ => return tc_handle(parent),
    };
    format!("{} ({name})", tc_handle(parent))
}

fn verdict_name(verdict: i32) -> String {
    let name = match verdict {
        TC_ACT_UNSPEC => "UNSPEC",
        TC_ACT_OK => "OK",
        TC_ACT_RECLASSIFY => "RECLASSIFY",
        TC_ACT_SHOT => "SHOT",
        TC_ACT_PIPE => "PIPE",
        TC_ACT_STOLEN => "STOLEN",
        TC_ACT_QUEUED => "QUEUED",
        TC_ACT_REPEAT => "REPEAT",
        TC_ACT_REDIRECT => "REDIRECT",
        TC_ACT_TRAP => "TRAP",
        _ => return verdict.to_string(),
    };
    name.to_owned()
}

fn mirred_action_name(eaction: i32) -> String {
    let name = match eaction {
        TCA_EGRESS_REDIR => "EGRESS_REDIR",
        TCA_EGRESS_MIRROR => "EGRESS_MIRROR",
        TCA_INGRESS_REDIR => "INGRESS_REDIR",
        TCA_INGRESS_MIRROR => "INGRESS_MIRROR",
        _ => return eaction.to_string(),
    };
    name.to_owned()
}

/// Formats an address lifetime in seconds, where all bits set means "forever".
fn lifetime(seconds: u32) -> String {
    if seconds == u32::MAX {
        "forever".to_owned()
    } else {
        seconds.to_string()
    }
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
