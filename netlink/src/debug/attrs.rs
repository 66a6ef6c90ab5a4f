//! The attribute tree: which kernel enum names each attribute, how its payload is shown,
//! and the walk through nests, which picks a kind-specific layout for data attributes.

use super::addr::{describe_addr, render_cache_info, ADDRESS_FLAGS};
use super::error::describe_ext_ack;
use super::link::{
    describe_link, describe_link_info, describe_macvlan, describe_veth, describe_vlan,
    describe_vxlan, format_peer, macvlan_mode, oper_state, render_vlan_flags,
};
use super::tc::{
    describe_action, describe_mirred, describe_tc, describe_u32, format_u32_selector,
    render_mirred_parms, tc_handle, CLASSIFIER_FLAGS,
};
use super::{ethertype, flag_names, hex_preview, line, MAX_DEPTH};
use crate::attr::AttrIter;
use crate::link::IFLA_INFO_KIND;
use crate::tc::{TCA_ACT_KIND, TCA_KIND};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Attribute namespaces: the kernel enum that gives an attribute type its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Space {
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
pub(super) enum Value {
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
    match space {
        Space::Link => describe_link(kind),
        Space::LinkInfo => describe_link_info(kind),
        Space::Veth => describe_veth(kind),
        Space::Vxlan => describe_vxlan(kind),
        Space::Macvlan => describe_macvlan(kind),
        Space::Vlan => describe_vlan(kind),
        Space::Addr => describe_addr(kind),
        Space::Tc => describe_tc(kind),
        Space::U32 => describe_u32(kind),
        Space::Actions => Some(("action", Value::Nested(Space::Action))),
        Space::Action => describe_action(kind),
        Space::Mirred => describe_mirred(kind),
        Space::ExtAck => describe_ext_ack(kind),
        Space::Unknown => None,
    }
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
pub(super) fn format_attrs(out: &mut String, buf: &[u8], space: Space, depth: usize) {
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
pub(super) fn format_nest(
    out: &mut String,
    label: &str,
    payload: &[u8],
    space: Space,
    depth: usize,
) {
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
        Value::VlanFlags => render_vlan_flags(payload)?,
        Value::PortRange => {
            let bytes = exact::<4>(payload)?;
            let low = u16::from_be_bytes([bytes[0], bytes[1]]);
            let high = u16::from_be_bytes([bytes[2], bytes[3]]);
            format!("{low}-{high}")
        }
        Value::CacheInfo => render_cache_info(payload)?,
        Value::MirredParms => render_mirred_parms(payload)?,
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
pub(super) fn exact<const N: usize>(payload: &[u8]) -> Option<[u8; N]> {
    payload.try_into().ok()
}
