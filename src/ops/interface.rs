//! Creating a vxlan, macvlan or vlan interface inside an endpoint's namespace.

use super::address::{add_addresses, wait_for_dad};
use super::veth::roll_back;
use super::{find_link, End, LinkOptions};
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::plan::{LinkKind, Macvlan, Vlan, Vxlan};
use koko_netlink::link::{
    macvlan, vlan, vxlan, LinkInfo, LinkSettings, IFF_LOOPBACK, IFF_LOWER_UP,
};
use koko_netlink::{MessageBuilder, Socket};

/// Creates the interface `kind` named `end.name` in `end.netns`, over a parent interface
/// in koko's own namespace, with its addresses.
///
/// One `RTM_NEWLINK`, sent from koko's own namespace, creates the interface with its final
/// name, already up, directly in the endpoint's namespace. The kernel resolves the parent
/// index and, for vxlan, opens the UDP socket in the namespace of the sending socket, so
/// the tunnel runs over koko's own namespace. Addresses go in through a socket inside the
/// endpoint's namespace. If that fails, the interface is deleted again.
pub fn create_interface(end: &End<'_>, kind: &LinkKind, options: &LinkOptions) -> Result<()> {
    let own = Netns::current()?;
    let mut own_socket = own.socket()?;
    let mut end_socket = end.netns.socket()?;

    let parent = lookup_parent(&mut own_socket, &own, kind)?;
    check_parent_fits(kind, &parent, options)?;
    check_parent_carrier(end, kind, &parent, options)?;

    let what = describe(end, kind);
    let mut request = build_request(end, kind, &parent, options)
        .map_err(|e| Error::new(format!("failed to encode the request to {what}: {e}")))?;
    if let Err(error) = own_socket.request(&mut request) {
        return Err(explain_create_error(&what, &error, end, kind, &mut end_socket));
    }

    if let Err(error) = finish_interface(end, options, &mut end_socket) {
        return Err(roll_back(error, end, &mut end_socket));
    }
    Ok(())
}

fn parent_name(kind: &LinkKind) -> &str {
    match kind {
        LinkKind::Vxlan(vxlan) => &vxlan.parent,
        LinkKind::Macvlan(macvlan) => &macvlan.parent,
        LinkKind::Vlan(vlan) => &vlan.parent,
    }
}

/// Returns the value of `IFLA_INFO_KIND`, which messages also use as the link's kind.
fn kind_name(kind: &LinkKind) -> &'static str {
    match kind {
        LinkKind::Vxlan(_) => "vxlan",
        LinkKind::Macvlan(_) => "macvlan",
        LinkKind::Vlan(_) => "vlan",
    }
}

/// Returns the kernel module that provides `kind` when it is not built in.
fn kind_module(kind: &LinkKind) -> &'static str {
    match kind {
        LinkKind::Vxlan(_) => "vxlan",
        LinkKind::Macvlan(_) => "macvlan",
        LinkKind::Vlan(_) => "8021q",
    }
}

/// Looks up the parent by name through `socket`, which belongs to koko's own namespace.
fn lookup_parent(socket: &mut Socket, own: &Netns, kind: &LinkKind) -> Result<LinkInfo> {
    let name = parent_name(kind);
    match find_link(socket, name) {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(Error::new(format!("parent interface \"{name}\" not found in {own}"))),
        Err(error) => Err(Error::netlink(
            format_args!("look up parent interface \"{name}\" in {own}"),
            &error,
        )),
    }
}

/// Rejects what the kernel would refuse with a bare `EINVAL` for a macvlan or vlan: a
/// loopback parent, and an MTU above the parent's.
fn check_parent_fits(kind: &LinkKind, parent: &LinkInfo, options: &LinkOptions) -> Result<()> {
    if matches!(kind, LinkKind::Vxlan(_)) {
        return Ok(());
    }
    if parent.flags & IFF_LOOPBACK != 0 {
        return Err(Error::new(format!(
            "parent interface \"{}\" is a loopback interface, which cannot carry a {}",
            parent.name,
            kind_name(kind)
        )));
    }
    if let (Some(mtu), Some(parent_mtu)) = (options.mtu, parent.mtu) {
        if mtu > parent_mtu {
            return Err(Error::new(format!(
                "MTU {mtu} is larger than the MTU {parent_mtu} of parent interface \"{}\" (a {} cannot exceed its parent's MTU)",
                parent.name,
                kind_name(kind)
            )));
        }
    }
    Ok(())
}

/// Rejects a macvlan or vlan over a parent without carrier when IPv6 addresses need
/// duplicate address detection. Such an interface has no carrier either, so its addresses
/// would stay tentative until [`wait_for_dad`] times out. A vxlan interface has carrier
/// whenever it is up, whatever its parent's state.
fn check_parent_carrier(
    end: &End<'_>,
    kind: &LinkKind,
    parent: &LinkInfo,
    options: &LinkOptions,
) -> Result<()> {
    if matches!(kind, LinkKind::Vxlan(_)) || options.nodad || parent.flags & IFF_LOWER_UP != 0 {
        return Ok(());
    }
    let Some((addr, _)) = end.addrs.iter().find(|(addr, _)| addr.is_ipv6()) else {
        return Ok(());
    };
    Err(Error::new(format!(
        "parent interface \"{}\" has no carrier (it is down or its peer is), so duplicate \
         address detection for {addr} on {} \"{}\" cannot finish: bring \"{}\" up or use --nodad",
        parent.name,
        kind_name(kind),
        end.name,
        parent.name
    )))
}

/// Names the operation for messages, with the values a reader needs to tell two
/// interfaces apart: `create vxlan interface "vx0" (VNI 42, port 4789, parent "eth0") in netns "C1"`.
fn describe(end: &End<'_>, kind: &LinkKind) -> String {
    let detail = match kind {
        LinkKind::Vxlan(vxlan) => {
            format!("VNI {}, port {}, parent \"{}\"", vxlan.vni, vxlan.port, vxlan.parent)
        }
        LinkKind::Macvlan(macvlan) => format!("parent \"{}\"", macvlan.parent),
        LinkKind::Vlan(vlan) => format!("VLAN id {}, parent \"{}\"", vlan.vid, vlan.parent),
    };
    format!("create {} interface \"{}\" ({detail}) in {}", kind_name(kind), end.name, end.netns)
}

fn build_request(
    end: &End<'_>,
    kind: &LinkKind,
    parent: &LinkInfo,
    options: &LinkOptions,
) -> Result<MessageBuilder, koko_netlink::EncodeError> {
    let settings = LinkSettings {
        netns_fd: Some(end.netns.fd_u32()),
        up: true,
        mtu: options.mtu,
        mac: end.mac,
        ..LinkSettings::named(end.name)
    };
    // The kernel never reports a negative index, and it rejects index 0 as not found.
    let parent_index = u32::try_from(parent.index).unwrap_or(0);
    match kind {
        LinkKind::Vxlan(plan) => vxlan_request(settings, plan, parent_index),
        LinkKind::Macvlan(plan) => macvlan_request(settings, plan, parent_index),
        LinkKind::Vlan(plan) => vlan_request(settings, plan, parent_index),
    }
}

/// Builds the vxlan request. The parent goes only into `IFLA_VXLAN_LINK`, because the
/// vxlan driver ignores the top-level `IFLA_LINK`.
fn vxlan_request(
    settings: LinkSettings,
    plan: &Vxlan,
    parent_index: u32,
) -> Result<MessageBuilder, koko_netlink::EncodeError> {
    // The plan rejects `mtu=` together with `--mtu`, so at most one of them is set.
    let settings = LinkSettings { mtu: plan.mtu.or(settings.mtu), ..settings };
    let wire = vxlan::Vxlan {
        remote: Some(plan.remote),
        local: plan.local,
        parent_index: Some(parent_index),
        port: Some(plan.port),
        ttl: plan.ttl,
        tos: plan.tos,
        learning: plan.learning,
        port_range: plan.srcport,
        udp_checksum: plan.udpcsum,
        ..vxlan::Vxlan::new(plan.vni)
    };
    vxlan::create(&settings, &wire)
}

/// Without `--mtu` no `IFLA_MTU` is sent, and the kernel gives the macvlan its parent's MTU.
fn macvlan_request(
    settings: LinkSettings,
    plan: &Macvlan,
    parent_index: u32,
) -> Result<MessageBuilder, koko_netlink::EncodeError> {
    let settings = LinkSettings { parent_index: Some(parent_index), ..settings };
    macvlan::create(&settings, plan.mode.kernel_value())
}

fn vlan_request(
    settings: LinkSettings,
    plan: &Vlan,
    parent_index: u32,
) -> Result<MessageBuilder, koko_netlink::EncodeError> {
    let settings = LinkSettings { parent_index: Some(parent_index), ..settings };
    vlan::create(&settings, plan.vid)
}

/// Adds the addresses of the new interface and waits for their duplicate address
/// detection.
fn finish_interface(end: &End<'_>, options: &LinkOptions, socket: &mut Socket) -> Result<()> {
    if end.addrs.is_empty() {
        return Ok(());
    }
    let info = super::require_link(socket, end.netns, end.name)?;
    add_addresses(socket, end.netns, end.name, info.index, end.addrs, options.nodad)?;
    if !options.nodad {
        wait_for_dad(socket, end.netns, end.name, info.index, end.addrs)?;
    }
    Ok(())
}

/// Turns a failed creation into a message that explains what the kernel's text leaves
/// out: a missing driver names its module, and a bare `EEXIST` names the interface
/// that already exists.
fn explain_create_error(
    what: &str,
    error: &koko_netlink::Error,
    end: &End<'_>,
    kind: &LinkKind,
    end_socket: &mut Socket,
) -> Error {
    if is_unknown_device_type(error) {
        let module = kind_module(kind);
        return Error::new(format!(
            "failed to {what}: the kernel does not support {} links: load the {module} module (modprobe {module})",
            kind_name(kind)
        ));
    }
    if error.errno() == Some(libc::EEXIST) {
        if let Ok(Some(_)) = find_link(end_socket, end.name) {
            return Error::netlink(what, error)
                .with_note(format_args!("link \"{}\" already exists in {}", end.name, end.netns));
        }
    }
    Error::netlink(what, error)
}

/// Returns whether the kernel has no driver for the requested `IFLA_INFO_KIND`. Linux
/// returns `EOPNOTSUPP` with the extended-ACK message "Unknown device type" when it cannot
/// find or load the module. Without extended ACKs only the errno arrives.
fn is_unknown_device_type(error: &koko_netlink::Error) -> bool {
    match error {
        koko_netlink::Error::Kernel(kernel) if kernel.errno == libc::EOPNOTSUPP => {
            match &kernel.message {
                Some(message) => message.contains("Unknown device type"),
                None => true,
            }
        }
        _ => false,
    }
}
