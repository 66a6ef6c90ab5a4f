//! Link messages: `struct ifinfomsg`, the `IFLA_*` attributes, and the `IFLA_INFO_DATA`
//! attributes of the link kinds koko creates (veth, vxlan, macvlan, vlan).

use super::attrs::{exact, format_attrs, Space, Value};
use super::{family_name, flag_names, line, truncated_header, MAX_DEPTH};
use crate::link::macvlan::{
    IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU, MACVLAN_MODE_PRIVATE,
    MACVLAN_MODE_SOURCE, MACVLAN_MODE_VEPA,
};
use crate::link::veth::VETH_INFO_PEER;
use crate::link::vlan::{
    IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_FLAGS, IFLA_VLAN_ID, IFLA_VLAN_INGRESS_QOS, IFLA_VLAN_PROTOCOL,
};
use crate::link::vxlan::*;
use crate::link::{
    IfInfoMsg, IFF_LOWER_UP, IFF_UP, IFINFOMSG_LEN, IFLA_ADDRESS, IFLA_BROADCAST, IFLA_EXT_MASK,
    IFLA_GROUP, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINK, IFLA_LINKINFO,
    IFLA_LINK_NETNSID, IFLA_MASTER, IFLA_MTU, IFLA_NET_NS_FD, IFLA_NET_NS_PID, IFLA_NUM_RX_QUEUES,
    IFLA_NUM_TX_QUEUES, IFLA_OPERSTATE, IFLA_TXQLEN,
};

/// Writes `struct ifinfomsg`; returns whether `payload` was long enough to hold it.
pub(super) fn format_ifinfomsg(out: &mut String, payload: &[u8], depth: usize) -> bool {
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

/// Writes `VETH_INFO_PEER`: the peer's `ifinfomsg`, then its `IFLA_*` attributes.
pub(super) fn format_peer(out: &mut String, label: &str, payload: &[u8], depth: usize) {
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

/// `IFLA_*` names, numbered as in `linux/if_link.h`; the last four were checked against
/// the replies of Linux 6.18.
pub(super) fn describe_link(kind: u16) -> Option<(&'static str, Value)> {
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
pub(super) fn describe_vxlan(kind: u16) -> Option<(&'static str, Value)> {
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

/// Names an `IFLA_INFO_*` attribute, a member of `IFLA_LINKINFO` (`linux/if_link.h`).
pub(super) fn describe_link_info(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFLA_INFO_KIND => ("IFLA_INFO_KIND", Value::Str),
        IFLA_INFO_DATA => ("IFLA_INFO_DATA", Value::LinkData),
        3 => ("IFLA_INFO_XSTATS", Value::Summary),
        4 => ("IFLA_INFO_SLAVE_KIND", Value::Str),
        5 => ("IFLA_INFO_SLAVE_DATA", Value::Summary),
        _ => return None,
    };
    Some(described)
}

/// Names a `VETH_INFO_*` attribute (`linux/veth.h`).
pub(super) fn describe_veth(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        VETH_INFO_PEER => ("VETH_INFO_PEER", Value::Peer),
        _ => return None,
    };
    Some(described)
}

/// Names an `IFLA_MACVLAN_*` attribute and its display format (`linux/if_link.h`).
pub(super) fn describe_macvlan(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFLA_MACVLAN_MODE => ("IFLA_MACVLAN_MODE", Value::MacvlanMode),
        2 => ("IFLA_MACVLAN_FLAGS", Value::U16),
        3 => ("IFLA_MACVLAN_MACADDR_MODE", Value::U32),
        4 => ("IFLA_MACVLAN_MACADDR", Value::Mac),
        5 => ("IFLA_MACVLAN_MACADDR_DATA", Value::Summary),
        6 => ("IFLA_MACVLAN_MACADDR_COUNT", Value::U32),
        7 => ("IFLA_MACVLAN_BC_QUEUE_LEN", Value::U32),
        8 => ("IFLA_MACVLAN_BC_QUEUE_LEN_USED", Value::U32),
        _ => return None,
    };
    Some(described)
}

/// Names an `IFLA_VLAN_*` attribute and its display format (`linux/if_link.h`).
pub(super) fn describe_vlan(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFLA_VLAN_ID => ("IFLA_VLAN_ID", Value::U16),
        IFLA_VLAN_FLAGS => ("IFLA_VLAN_FLAGS", Value::VlanFlags),
        IFLA_VLAN_EGRESS_QOS => ("IFLA_VLAN_EGRESS_QOS", Value::Summary),
        IFLA_VLAN_INGRESS_QOS => ("IFLA_VLAN_INGRESS_QOS", Value::Summary),
        IFLA_VLAN_PROTOCOL => ("IFLA_VLAN_PROTOCOL", Value::Ethertype),
        _ => return None,
    };
    Some(described)
}

/// Formats `struct ifla_vlan_flags`: the flags and the mask of the bits they change.
pub(super) fn render_vlan_flags(payload: &[u8]) -> Option<String> {
    let bytes = exact::<8>(payload)?;
    let flags = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let mask = u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    Some(format!("flags {} mask {}", flag_names(flags, VLAN_FLAGS), flag_names(mask, VLAN_FLAGS)))
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

/// `IF_OPER_*` names (RFC 2863 states, `linux/if.h`).
pub(super) fn oper_state(state: u8) -> String {
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

pub(super) fn macvlan_mode(mode: u32) -> String {
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
