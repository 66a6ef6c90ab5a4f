//! Invariants of the netlink crate, shared by the cargo-fuzz targets and the deterministic
//! mini-fuzz in `netlink/tests/minifuzz.rs`, so that both check the same properties.
//!
//! Every function panics when an invariant fails. The parsers themselves must not panic
//! on any input, which is what the fuzzers test. Requests are checked against a reference encoder written here from the rules of
//! `linux/netlink.h` (4-byte alignment, zero padding, an attribute length that excludes
//! its padding, a nest length that includes it), and then parsed back field by field.

#![allow(dead_code)]

use koko_netlink::addr::{
    self, AddressInfo, IfAddrMsg, IFA_ADDRESS, IFA_FLAGS, IFA_LOCAL, RTM_GETADDR, RTM_NEWADDR,
};
use koko_netlink::attr::{Attr, AttrIter, NLA_F_NESTED};
use koko_netlink::debug;
use koko_netlink::error::{Ack, KernelError};
use koko_netlink::link::{
    self, macvlan, veth, vlan, vxlan, IfInfoMsg, LinkInfo, LinkRef, LinkSettings, IFINFOMSG_LEN,
};
use koko_netlink::message::{
    EncodeError, Header, Message, MessageBuilder, MessageIter, HEADER_LEN, NLMSG_ERROR,
    NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use koko_netlink::tc::{self, Direction, FilterInfo, QdiscInfo, TcMirred, TcMsg, TCMSG_LEN};
use koko_netlink::Error;
use std::net::IpAddr;

/// Largest value of a `u16` attribute length.
const MAX_ATTR_LEN: usize = u16::MAX as usize;

/// Family-header sizes to try when walking attributes of an unknown message: none,
/// the error code, `ifaddrmsg`, `ifinfomsg` and `tcmsg`.
const FAMILY_HEADER_LENS: [usize; 5] = [0, 4, 8, 16, 20];

/// Depth at which the recursive attribute walk stops, as a kernel reply nests far less.
const MAX_WALK_DEPTH: usize = 16;

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// Offset of `inner` within `outer`; `inner` must be a sub-slice of `outer`.
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    let offset = inner.as_ptr() as usize - outer.as_ptr() as usize;
    assert!(offset + inner.len() <= outer.len(), "slice lies outside its buffer");
    offset
}

/// Walks a run of attributes and checks that each one lies where the previous one's
/// aligned end puts it, inside the buffer, and that a run without a malformed attribute
/// covers the whole buffer. Recurses into every payload that may hold attributes.
fn walk_attrs(buf: &[u8], depth: usize) -> usize {
    let mut iter = AttrIter::new(buf);
    let mut expected_start = 0;
    let mut count = 0;
    for attr in iter.by_ref() {
        let payload_at = offset_in(buf, attr.payload);
        assert_eq!(
            payload_at,
            expected_start + 4,
            "attribute payload is not right after its header"
        );
        let raw_len = u16::from_ne_bytes([buf[expected_start], buf[expected_start + 1]]) as usize;
        assert_eq!(raw_len, attr.payload.len() + 4, "payload length differs from the length field");
        let raw_kind = u16::from_ne_bytes([buf[expected_start + 2], buf[expected_start + 3]]);
        assert_eq!(attr.kind, raw_kind & 0x3fff);
        assert_eq!(attr.nested, raw_kind & 0x8000 != 0);

        let _ = (attr.as_u8(), attr.as_u16(), attr.as_u32(), attr.as_i32(), attr.as_str());
        if let Some(text) = attr.as_str() {
            assert!(!text.contains('\0'));
            assert!(text.len() <= attr.payload.len());
        }
        if depth < MAX_WALK_DEPTH {
            walk_attrs(attr.payload, depth + 1);
        }
        expected_start = align4(payload_at + attr.payload.len());
        count += 1;
    }
    if !iter.malformed() {
        assert!(
            expected_start >= buf.len(),
            "iteration ended early without reporting malformed input"
        );
        assert!(expected_start < buf.len() + 4);
    }
    count
}

/// Runs every reply parser on `bytes` as if the kernel had sent them and checks that the
/// parsers agree with the framing they were given.
pub fn check_reply_parsers(bytes: &[u8]) {
    let mut messages = MessageIter::new(bytes);
    let mut expected_start = 0;
    for message in messages.by_ref() {
        let header = message.header;
        assert!(header.len as usize >= HEADER_LEN);
        assert_eq!(message.payload.len(), header.len as usize - HEADER_LEN);
        assert_eq!(offset_in(bytes, message.payload), expected_start + HEADER_LEN);
        assert_eq!(Header::parse(&bytes[expected_start..]), Some(header));
        expected_start = align4(expected_start + header.len as usize);

        check_message_parsers(&message);
        for family_len in FAMILY_HEADER_LENS {
            if let Some(attrs) = message.payload.get(family_len..) {
                walk_attrs(attrs, 0);
            }
        }
    }
    if !messages.malformed() {
        assert!(
            expected_start >= bytes.len(),
            "message iteration ended early without reporting it"
        );
    }

    let text = debug::format("received", bytes);
    assert_eq!(
        text.is_empty(),
        bytes.is_empty(),
        "debug output is empty exactly when the input is"
    );
}

/// Runs the link, address and ACK parsers on one message, whatever its type.
pub fn check_message_parsers(message: &Message<'_>) {
    let payload = message.payload;

    let link = LinkInfo::parse(message);
    assert_eq!(link.is_some(), payload.len() >= IFINFOMSG_LEN);
    if let Some(link) = link {
        let header = IfInfoMsg::parse(payload).unwrap();
        assert_eq!(link.index, header.index);
        assert_eq!(link.flags, header.flags);
        assert!(!link.name.contains('\0'));
        assert_eq!(IfInfoMsg::parse(&header.to_bytes()), Some(header));
    }

    let address = AddressInfo::parse(message);
    assert_eq!(address.is_some(), payload.len() >= addr::IFADDRMSG_LEN);
    if let Some(address) = address {
        let header = IfAddrMsg::parse(payload).unwrap();
        assert_eq!(address.index, header.index);
        assert_eq!(address.prefix_len, header.prefix_len);
        assert_eq!(IfAddrMsg::parse(&header.to_bytes()), Some(header));
        match address.addr {
            Some(IpAddr::V4(_)) => assert_eq!(header.family as i32, libc::AF_INET),
            Some(IpAddr::V6(_)) => assert_eq!(header.family as i32, libc::AF_INET6),
            None => {}
        }
    }

    let qdisc = QdiscInfo::parse(message);
    assert_eq!(qdisc.is_some(), payload.len() >= TCMSG_LEN);
    if let Some(qdisc) = qdisc {
        let header = TcMsg::parse(payload).unwrap();
        assert_eq!(
            (qdisc.ifindex, qdisc.handle, qdisc.parent),
            (header.ifindex, header.handle, header.parent)
        );
        assert_eq!(TcMsg::parse(&header.to_bytes()), Some(header));
        for direction in [Direction::Ingress, Direction::Egress] {
            let _ = qdisc.has_hook(direction);
        }
        let filter =
            FilterInfo::parse(message).expect("a message long enough for a qdisc has a tcmsg");
        assert_eq!((filter.prio, filter.protocol), (header.prio(), header.protocol()));
        assert_eq!(TcMsg::filter_info(filter.prio, filter.protocol), header.info);
        if filter.mirred.is_some() {
            assert_eq!(filter.kind, "u32");
        }
        let _ = Direction::from_parent(header.parent);
    } else {
        assert!(FilterInfo::parse(message).is_none());
    }
    if let Some(mirred) = TcMirred::parse(payload) {
        assert_eq!(TcMirred::parse(&mirred.to_bytes()), Some(mirred));
    }

    check_ack(message);
}

/// Parses `message` as an `NLMSG_ERROR` payload and formats the error it carries.
pub fn check_ack(message: &Message<'_>) {
    let ack = Ack::parse(message);
    assert_eq!(ack.is_some(), message.payload.len() >= 4 + HEADER_LEN);
    let Some(ack) = ack else {
        return;
    };
    let code = i32::from_ne_bytes(message.payload[..4].try_into().unwrap());
    assert_eq!(ack.errno, code.checked_neg().unwrap_or(i32::MAX));
    assert_eq!(Header::parse(&message.payload[4..]), Some(ack.request));
    if let Some(text) = &ack.message {
        assert!(!text.contains('\0'));
    }

    let error = KernelError::from(ack.clone());
    let text = error.to_string();
    assert!(!text.is_empty());
    if let Some(sentence) = ack.message.as_deref().filter(|sentence| !sentence.is_empty()) {
        assert!(text.starts_with(sentence), "the kernel's sentence must lead the error text");
    }
    let _ = error.io_error();
    let wrapped = Error::Kernel(error);
    assert_eq!(wrapped.errno(), Some(ack.errno));
    assert_eq!(wrapped.to_string(), text);
}

/// Wraps `payload` in an `NLMSG_ERROR` message with `flags` and checks [`Ack::parse`] and
/// the error's text on it.
pub fn check_error_payload(flags: u16, payload: &[u8]) {
    let Ok(len) = u32::try_from(HEADER_LEN + payload.len()) else {
        return;
    };
    let mut bytes = Vec::with_capacity(len as usize);
    bytes.extend_from_slice(&len.to_ne_bytes());
    bytes.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
    bytes.extend_from_slice(&flags.to_ne_bytes());
    bytes.extend_from_slice(&1u32.to_ne_bytes());
    bytes.extend_from_slice(&1u32.to_ne_bytes());
    bytes.extend_from_slice(payload);

    let message = MessageIter::new(&bytes).next().expect("a well-framed message parses");
    assert_eq!(message.payload, payload);
    check_ack(&message);
    check_reply_parsers(&bytes);
}

/// A link named either by index or by name, owned so fuzz inputs can hold it.
#[derive(Debug, Clone)]
pub enum LinkName {
    Index(i32),
    Name(String),
}

impl LinkName {
    fn as_ref(&self) -> LinkRef<'_> {
        match self {
            LinkName::Index(index) => LinkRef::Index(*index),
            LinkName::Name(name) => LinkRef::Name(name),
        }
    }
}

/// One call of the raw [`MessageBuilder`] API.
#[derive(Debug, Clone)]
pub enum BuilderOp {
    Raw(Vec<u8>),
    Put(u16, Vec<u8>),
    PutU8(u16, u8),
    PutU16(u16, u16),
    PutBe16(u16, u16),
    PutU32(u16, u32),
    PutStr(u16, String),
    NestStart(u16),
    NestStartFlagged(u16),
    NestEnd,
    NestCancel,
}

/// One request built through the public builder API.
#[derive(Debug, Clone)]
pub enum Request {
    Veth {
        end: LinkSettings,
        peer: LinkSettings,
    },
    Vxlan {
        settings: LinkSettings,
        vxlan: vxlan::Vxlan,
    },
    Macvlan {
        settings: LinkSettings,
        mode: Option<u32>,
    },
    Vlan {
        settings: LinkSettings,
        vid: u16,
        protocol: Option<u16>,
    },
    AddressAdd {
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
        flags: u32,
    },
    AddressDump {
        family: u8,
        index: u32,
    },
    SetFlags {
        link: LinkName,
        flags: u32,
        change: u32,
    },
    SetGroup {
        link: LinkName,
        group: u32,
    },
    SetGroupFlags {
        group: u32,
        flags: u32,
        change: u32,
    },
    Delete {
        link: LinkName,
    },
    DeleteGroup {
        group: u32,
    },
    Get {
        link: LinkName,
    },
    Dump,
    AddClsact {
        ifindex: i32,
    },
    DeleteClsact {
        ifindex: i32,
    },
    AddMirrorFilter {
        ifindex: i32,
        direction: Direction,
        prio: u16,
        handle: Option<u32>,
        target: u32,
    },
    DeleteFilter {
        ifindex: i32,
        direction: Direction,
        prio: u16,
    },
    DumpFilters {
        ifindex: i32,
        parent: u32,
    },
    DumpQdiscs {
        ifindex: i32,
    },
    Builder {
        kind: u16,
        flags: u16,
        ops: Vec<BuilderOp>,
    },
}

/// The expected layout of an attribute: a leaf with its payload, or a nest with an
/// optional fixed header (a veth peer's `ifinfomsg`) and its members.
enum Node {
    Leaf(u16, Vec<u8>),
    Nest(u16, Vec<u8>, Vec<Node>),
}

fn leaf_u8(kind: u16, value: u8) -> Node {
    Node::Leaf(kind, vec![value])
}

fn leaf_u16(kind: u16, value: u16) -> Node {
    Node::Leaf(kind, value.to_ne_bytes().to_vec())
}

fn leaf_be16(kind: u16, value: u16) -> Node {
    Node::Leaf(kind, value.to_be_bytes().to_vec())
}

fn leaf_u32(kind: u16, value: u32) -> Node {
    Node::Leaf(kind, value.to_ne_bytes().to_vec())
}

fn leaf_str(kind: u16, value: &str) -> Node {
    let mut payload = value.as_bytes().to_vec();
    payload.push(0);
    Node::Leaf(kind, payload)
}

fn ip_octets(addr: &IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// Reference encoding of `nodes`, appended to `out`. Returns the kind and length of the
/// first attribute, in the order the builder closes them, whose length exceeds a `u16`.
fn encode_nodes(nodes: &[Node], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for node in nodes {
        match node {
            Node::Leaf(kind, payload) => {
                let len = 4 + payload.len();
                if len > MAX_ATTR_LEN {
                    return Err(EncodeError { kind: *kind, len });
                }
                out.extend_from_slice(&(len as u16).to_ne_bytes());
                out.extend_from_slice(&kind.to_ne_bytes());
                out.extend_from_slice(payload);
                out.resize(align4(out.len()), 0);
            }
            Node::Nest(kind, fixed, members) => {
                let start = out.len();
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&kind.to_ne_bytes());
                out.extend_from_slice(fixed);
                out.resize(align4(out.len()), 0);
                encode_nodes(members, out)?;
                let len = out.len() - start;
                if len > MAX_ATTR_LEN {
                    return Err(EncodeError { kind: *kind, len });
                }
                out[start..start + 2].copy_from_slice(&(len as u16).to_ne_bytes());
            }
        }
    }
    Ok(())
}

/// Reference encoding of a whole request with sequence number `seq`.
fn encode_message(
    kind: u16,
    flags: u16,
    family: &[u8],
    nodes: &[Node],
    seq: u32,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0u8; HEADER_LEN];
    out[4..6].copy_from_slice(&kind.to_ne_bytes());
    out[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
    out[8..12].copy_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(family);
    out.resize(align4(out.len()), 0);
    encode_nodes(nodes, &mut out)?;
    let len = out.len() as u32;
    out[0..4].copy_from_slice(&len.to_ne_bytes());
    Ok(out)
}

/// Lists the top-level attributes of a new link, in the order `LinkSettings` documents.
fn settings_nodes(settings: &LinkSettings) -> Vec<Node> {
    let mut nodes = Vec::new();
    if let Some(queues) = settings.queues {
        nodes.push(leaf_u32(link::IFLA_NUM_TX_QUEUES, queues));
        nodes.push(leaf_u32(link::IFLA_NUM_RX_QUEUES, queues));
    }
    if let Some(fd) = settings.netns_fd {
        nodes.push(leaf_u32(link::IFLA_NET_NS_FD, fd));
    }
    if let Some(mtu) = settings.mtu {
        nodes.push(leaf_u32(link::IFLA_MTU, mtu));
    }
    if let Some(mac) = settings.mac {
        nodes.push(Node::Leaf(link::IFLA_ADDRESS, mac.to_vec()));
    }
    if let Some(group) = settings.group {
        nodes.push(leaf_u32(link::IFLA_GROUP, group));
    }
    if let Some(parent) = settings.parent_index {
        nodes.push(leaf_u32(link::IFLA_LINK, parent));
    }
    nodes.push(leaf_str(link::IFLA_IFNAME, &settings.name));
    nodes
}

fn settings_header(settings: &LinkSettings) -> IfInfoMsg {
    let up = if settings.up { link::IFF_UP } else { 0 };
    IfInfoMsg { index: settings.index, flags: up, change: up, ..IfInfoMsg::default() }
}

/// Returns the expected family header and attributes of the `RTM_NEWLINK` that creates a
/// link of `kind` with `data` in `IFLA_INFO_DATA`.
fn create_layout(settings: &LinkSettings, kind: &str, data: Vec<Node>) -> (Vec<u8>, Vec<Node>) {
    let mut nodes = settings_nodes(settings);
    let mut info = vec![Node::Leaf(link::IFLA_INFO_KIND, kind.as_bytes().to_vec())];
    if !data.is_empty() {
        info.push(Node::Nest(link::IFLA_INFO_DATA, Vec::new(), data));
    }
    nodes.push(Node::Nest(link::IFLA_LINKINFO, Vec::new(), info));
    (settings_header(settings).to_bytes().to_vec(), nodes)
}

fn vxlan_data(vxlan: &vxlan::Vxlan) -> Vec<Node> {
    let mut nodes = Vec::new();
    if let Some(parent) = vxlan.parent_index {
        nodes.push(leaf_u32(vxlan::IFLA_VXLAN_LINK, parent));
    }
    if let Some(ttl) = vxlan.ttl {
        nodes.push(leaf_u8(vxlan::IFLA_VXLAN_TTL, ttl));
    }
    if let Some(tos) = vxlan.tos {
        nodes.push(leaf_u8(vxlan::IFLA_VXLAN_TOS, tos));
    }
    if let Some((low, high)) = vxlan.port_range {
        let mut range = low.to_be_bytes().to_vec();
        range.extend_from_slice(&high.to_be_bytes());
        nodes.push(Node::Leaf(vxlan::IFLA_VXLAN_PORT_RANGE, range));
    }
    if let Some(checksum) = vxlan.udp_checksum {
        nodes.push(leaf_u8(vxlan::IFLA_VXLAN_UDP_CSUM, u8::from(checksum)));
    }

    nodes.push(leaf_u32(vxlan::IFLA_VXLAN_ID, vxlan.vni));
    match vxlan.local {
        Some(local @ IpAddr::V4(_)) => {
            nodes.push(Node::Leaf(vxlan::IFLA_VXLAN_LOCAL, ip_octets(&local)))
        }
        Some(local @ IpAddr::V6(_)) => {
            nodes.push(Node::Leaf(vxlan::IFLA_VXLAN_LOCAL6, ip_octets(&local)))
        }
        None => {}
    }
    match vxlan.remote {
        Some(remote @ IpAddr::V4(_)) => {
            nodes.push(Node::Leaf(vxlan::IFLA_VXLAN_GROUP, ip_octets(&remote)))
        }
        Some(remote @ IpAddr::V6(_)) => {
            nodes.push(Node::Leaf(vxlan::IFLA_VXLAN_GROUP6, ip_octets(&remote)))
        }
        None => {}
    }

    nodes.push(leaf_u8(vxlan::IFLA_VXLAN_LEARNING, u8::from(vxlan.learning)));
    if let Some(port) = vxlan.port {
        nodes.push(leaf_be16(vxlan::IFLA_VXLAN_PORT, port));
    }
    nodes
}

fn existing_layout(link: &LinkName, header: IfInfoMsg) -> (Vec<u8>, Vec<Node>) {
    match link {
        LinkName::Index(index) => {
            (IfInfoMsg { index: *index, ..header }.to_bytes().to_vec(), Vec::new())
        }
        LinkName::Name(name) => {
            (header.to_bytes().to_vec(), vec![leaf_str(link::IFLA_IFNAME, name)])
        }
    }
}

fn clsact_header(ifindex: i32) -> Vec<u8> {
    let header =
        TcMsg { ifindex, handle: tc::CLSACT_HANDLE, parent: tc::TC_H_CLSACT, ..TcMsg::default() };
    header.to_bytes().to_vec()
}

fn flags_header(flags: u32, change: u32) -> IfInfoMsg {
    IfInfoMsg { flags, change, ..IfInfoMsg::default() }
}

/// Builds `request` with the library, returning its message type, flags, family header
/// and expected attributes next to the library's result.
fn build(request: &Request) -> (Result<MessageBuilder, EncodeError>, u16, u16, Vec<u8>, Vec<Node>) {
    let create = NLM_F_CREATE | NLM_F_EXCL;
    match request {
        Request::Veth { end, peer } => {
            let peer_header = IfInfoMsg { index: peer.index, ..IfInfoMsg::default() };
            let peer_nest = Node::Nest(
                veth::VETH_INFO_PEER,
                peer_header.to_bytes().to_vec(),
                settings_nodes(peer),
            );
            let (family, nodes) = create_layout(end, "veth", vec![peer_nest]);
            (veth::create_pair(end, peer), link::RTM_NEWLINK, create, family, nodes)
        }
        Request::Vxlan { settings, vxlan: config } => {
            let (family, nodes) = create_layout(settings, "vxlan", vxlan_data(config));
            (vxlan::create(settings, config), link::RTM_NEWLINK, create, family, nodes)
        }
        Request::Macvlan { settings, mode } => {
            let data =
                mode.map(|mode| leaf_u32(macvlan::IFLA_MACVLAN_MODE, mode)).into_iter().collect();
            let (family, nodes) = create_layout(settings, "macvlan", data);
            (macvlan::create(settings, *mode), link::RTM_NEWLINK, create, family, nodes)
        }
        Request::Vlan { settings, vid, protocol } => {
            let mut data = Vec::new();
            if let Some(protocol) = protocol {
                data.push(leaf_be16(vlan::IFLA_VLAN_PROTOCOL, *protocol));
            }
            data.push(leaf_u16(vlan::IFLA_VLAN_ID, *vid));
            let (family, nodes) = create_layout(settings, "vlan", data);
            let built = match protocol {
                Some(protocol) => vlan::create_with_protocol(settings, *vid, *protocol),
                None => vlan::create(settings, *vid),
            };
            (built, link::RTM_NEWLINK, create, family, nodes)
        }
        Request::AddressAdd { index, addr: address, prefix_len, flags } => {
            let family = match address {
                IpAddr::V4(_) => libc::AF_INET as u8,
                IpAddr::V6(_) => libc::AF_INET6 as u8,
            };
            let header = IfAddrMsg {
                family,
                prefix_len: *prefix_len,
                flags: (*flags & 0xff) as u8,
                scope: 0,
                index: *index,
            };
            let mut nodes = vec![
                Node::Leaf(IFA_LOCAL, ip_octets(address)),
                Node::Leaf(IFA_ADDRESS, ip_octets(address)),
            ];
            if *flags > 0xff {
                nodes.push(leaf_u32(IFA_FLAGS, *flags));
            }
            let built = addr::add(*index, *address, *prefix_len, *flags);
            (built, RTM_NEWADDR, create, header.to_bytes().to_vec(), nodes)
        }
        Request::AddressDump { family, index } => {
            let header = IfAddrMsg { family: *family, index: *index, ..IfAddrMsg::default() };
            (
                Ok(addr::dump(*family, *index)),
                RTM_GETADDR,
                0,
                header.to_bytes().to_vec(),
                Vec::new(),
            )
        }
        Request::SetFlags { link: name, flags, change } => {
            let (family, nodes) = existing_layout(name, flags_header(*flags, *change));
            (link::set_flags(name.as_ref(), *flags, *change), link::RTM_NEWLINK, 0, family, nodes)
        }
        Request::SetGroup { link: name, group } => {
            let (family, mut nodes) = existing_layout(name, IfInfoMsg::default());
            nodes.push(leaf_u32(link::IFLA_GROUP, *group));
            (link::set_group(name.as_ref(), *group), link::RTM_NEWLINK, 0, family, nodes)
        }
        Request::SetGroupFlags { group, flags, change } => {
            let family = flags_header(*flags, *change).to_bytes().to_vec();
            let nodes = vec![leaf_u32(link::IFLA_GROUP, *group)];
            (link::set_group_flags(*group, *flags, *change), link::RTM_NEWLINK, 0, family, nodes)
        }
        Request::Delete { link: name } => {
            let (family, nodes) = existing_layout(name, IfInfoMsg::default());
            (link::delete(name.as_ref()), link::RTM_DELLINK, 0, family, nodes)
        }
        Request::DeleteGroup { group } => {
            let family = IfInfoMsg::default().to_bytes().to_vec();
            let nodes = vec![leaf_u32(link::IFLA_GROUP, *group)];
            (link::delete_group(*group), link::RTM_DELLINK, 0, family, nodes)
        }
        Request::Get { link: name } => {
            let (family, nodes) = existing_layout(name, IfInfoMsg::default());
            (link::get(name.as_ref()), link::RTM_GETLINK, 0, family, nodes)
        }
        Request::Dump => {
            let family = IfInfoMsg::default().to_bytes().to_vec();
            (Ok(link::dump()), link::RTM_GETLINK, 0, family, Vec::new())
        }
        Request::AddClsact { ifindex } => {
            let nodes = vec![leaf_str(tc::TCA_KIND, "clsact")];
            (tc::add_clsact(*ifindex), tc::RTM_NEWQDISC, create, clsact_header(*ifindex), nodes)
        }
        Request::DeleteClsact { ifindex } => {
            let nodes = vec![leaf_str(tc::TCA_KIND, "clsact")];
            (tc::delete_clsact(*ifindex), tc::RTM_DELQDISC, 0, clsact_header(*ifindex), nodes)
        }
        Request::AddMirrorFilter { ifindex, direction, prio, handle, target } => {
            let header = TcMsg {
                ifindex: *ifindex,
                handle: handle.unwrap_or(0),
                parent: direction.parent(),
                info: TcMsg::filter_info(*prio, tc::ETH_P_ALL),
                ..TcMsg::default()
            };
            let mirred = TcMirred {
                action: tc::TC_ACT_PIPE,
                eaction: tc::TCA_EGRESS_MIRROR,
                ifindex: *target,
                ..TcMirred::default()
            };
            let mut selector = vec![0u8; tc::TC_U32_SEL_LEN + tc::TC_U32_KEY_LEN];
            selector[0] = tc::TC_U32_TERMINAL;
            selector[2] = 1;
            let action = Node::Nest(
                1,
                Vec::new(),
                vec![
                    leaf_str(tc::TCA_ACT_KIND, "mirred"),
                    Node::Nest(
                        tc::TCA_ACT_OPTIONS | NLA_F_NESTED,
                        Vec::new(),
                        vec![Node::Leaf(tc::TCA_MIRRED_PARMS, mirred.to_bytes().to_vec())],
                    ),
                ],
            );
            let options = Node::Nest(
                tc::TCA_OPTIONS,
                Vec::new(),
                vec![
                    Node::Nest(tc::TCA_U32_ACT, Vec::new(), vec![action]),
                    Node::Leaf(tc::TCA_U32_SEL, selector),
                ],
            );
            let nodes = vec![leaf_str(tc::TCA_KIND, "u32"), options];
            let built = tc::add_mirror_filter(*ifindex, *direction, *prio, *handle, *target);
            (built, tc::RTM_NEWTFILTER, create, header.to_bytes().to_vec(), nodes)
        }
        Request::DeleteFilter { ifindex, direction, prio } => {
            let header = TcMsg {
                ifindex: *ifindex,
                parent: direction.parent(),
                info: TcMsg::filter_info(*prio, 0),
                ..TcMsg::default()
            };
            let built = Ok(tc::delete_filter(*ifindex, *direction, *prio));
            (built, tc::RTM_DELTFILTER, 0, header.to_bytes().to_vec(), Vec::new())
        }
        Request::DumpFilters { ifindex, parent } => {
            let header = TcMsg { ifindex: *ifindex, parent: *parent, ..TcMsg::default() };
            let built = Ok(tc::dump_filters(*ifindex, *parent));
            (built, tc::RTM_GETTFILTER, 0, header.to_bytes().to_vec(), Vec::new())
        }
        Request::DumpQdiscs { ifindex } => {
            let header = TcMsg { ifindex: *ifindex, ..TcMsg::default() };
            (
                Ok(tc::dump_qdiscs(*ifindex)),
                tc::RTM_GETQDISC,
                0,
                header.to_bytes().to_vec(),
                Vec::new(),
            )
        }
        Request::Builder { .. } => {
            unreachable!("raw builder calls are checked by check_builder_ops")
        }
    }
}

/// Returns the length of the fixed header at the start of a nest of a link request, or
/// `None` when the attribute at `path` is no nest. Only a veth request has a nest inside
/// `IFLA_INFO_DATA`, because other kinds use type 1 for a plain value.
fn link_nest_header_len(path: &[u16], is_veth: bool) -> Option<usize> {
    match path {
        [link::IFLA_LINKINFO] | [link::IFLA_LINKINFO, link::IFLA_INFO_DATA] => Some(0),
        [link::IFLA_LINKINFO, link::IFLA_INFO_DATA, veth::VETH_INFO_PEER] if is_veth => {
            Some(IFINFOMSG_LEN)
        }
        _ => None,
    }
}

/// Returns `Some(0)` for the nests of a mirror filter (options, the action list, one
/// action and its options) and `None` for every other attribute.
fn tc_nest_header_len(path: &[u16]) -> Option<usize> {
    match path {
        [tc::TCA_OPTIONS]
        | [tc::TCA_OPTIONS, tc::TCA_U32_ACT]
        | [tc::TCA_OPTIONS, tc::TCA_U32_ACT, 1]
        | [tc::TCA_OPTIONS, tc::TCA_U32_ACT, 1, tc::TCA_ACT_OPTIONS] => Some(0),
        _ => None,
    }
}

/// Checks the wire rules on a run of attributes of an emitted request. Every attribute
/// starts 4-aligned and its padding is zero and inside the buffer. A leaf's length
/// excludes the padding, and a nest's length includes the padding of its last member.
fn check_layout(
    buf: &[u8],
    base: usize,
    path: &mut Vec<u16>,
    is_nest: &dyn Fn(&[u16]) -> Option<usize>,
) {
    let mut at = 0;
    while at < buf.len() {
        assert_eq!((base + at) % 4, 0, "attribute at offset {} is not 4-aligned", base + at);
        assert!(at + 4 <= buf.len(), "attribute header runs past its container");
        let len = u16::from_ne_bytes([buf[at], buf[at + 1]]) as usize;
        let kind = u16::from_ne_bytes([buf[at + 2], buf[at + 3]]) & 0x3fff;
        assert!(len >= 4, "attribute {kind} length {len} is shorter than its header");
        assert!(at + len <= buf.len(), "attribute {kind} length {len} runs past its container");
        let padded = align4(at + len);
        assert!(padded <= buf.len(), "padding of attribute {kind} runs past its container");
        assert!(
            buf[at + len..padded].iter().all(|&b| b == 0),
            "padding of attribute {kind} is not zero"
        );

        path.push(kind);
        if let Some(fixed) = is_nest(path) {
            assert_eq!(len % 4, 0, "nest {kind} length {len} excludes its last member's padding");
            let fixed_end = at + 4 + align4(fixed);
            assert!(fixed_end <= at + len);
            check_layout(&buf[fixed_end..at + len], base + fixed_end, path, is_nest);
        }
        path.pop();
        at = padded;
    }
}

/// Compares the fields that `LinkInfo::parse` and `AttrIter` read back from a new link's
/// attributes with the settings it was built from.
fn compare_settings(family_and_attrs: &[u8], settings: &LinkSettings, kind: Option<&str>) {
    let message = Message { header: Header::default(), payload: family_and_attrs };
    let info = LinkInfo::parse(&message).expect("a request has its ifinfomsg");
    assert_eq!(info.index, settings.index);
    let expected_name = settings.name.split('\0').next().unwrap_or_default();
    assert_eq!(info.name, expected_name);
    assert_eq!(info.mtu, settings.mtu);
    assert_eq!(info.group, settings.group);
    assert_eq!(info.mac, settings.mac.map(|mac| mac.to_vec()));
    assert_eq!(info.link, settings.parent_index);
    assert_eq!(info.kind.as_deref(), kind);
    let attrs = &family_and_attrs[IFINFOMSG_LEN..];
    let u32_of = |kind| AttrIter::find(attrs, kind).and_then(|attr: Attr<'_>| attr.as_u32());
    assert_eq!(u32_of(link::IFLA_NET_NS_FD), settings.netns_fd);
    assert_eq!(u32_of(link::IFLA_NUM_TX_QUEUES), settings.queues);
    assert_eq!(u32_of(link::IFLA_NUM_RX_QUEUES), settings.queues);
}

fn info_data(attrs: &[u8]) -> Option<&[u8]> {
    let info = AttrIter::find(attrs, link::IFLA_LINKINFO)?;
    AttrIter::find(info.payload, link::IFLA_INFO_DATA).map(|data| data.payload)
}

fn data_field(data: Option<&[u8]>, kind: u16) -> Option<&[u8]> {
    AttrIter::find(data?, kind).map(|attr| attr.payload)
}

/// Parses an emitted request back with the library's parsers and compares each field
/// with what `request` asked for.
fn compare_fields(request: &Request, message: &Message<'_>) {
    let payload = message.payload;
    let attrs = payload.get(IFINFOMSG_LEN..).unwrap_or_default();
    match request {
        Request::Veth { end, peer } => {
            compare_settings(payload, end, Some("veth"));
            assert_eq!(
                IfInfoMsg::parse(payload).unwrap().flags,
                if end.up { link::IFF_UP } else { 0 }
            );
            let peer_bytes = data_field(info_data(attrs), veth::VETH_INFO_PEER)
                .expect("VETH_INFO_PEER is present");
            let peer_header = IfInfoMsg::parse(peer_bytes).unwrap();
            assert_eq!(peer_header, IfInfoMsg { index: peer.index, ..IfInfoMsg::default() });
            compare_settings(peer_bytes, peer, None);
        }
        Request::Vxlan { settings, vxlan: config } => {
            compare_settings(payload, settings, Some("vxlan"));
            let data = info_data(attrs);
            let u32_field =
                |kind| data_field(data, kind).map(|b| u32::from_ne_bytes(b.try_into().unwrap()));
            let u8_field = |kind| data_field(data, kind).map(|b| b[0]);
            assert_eq!(u32_field(vxlan::IFLA_VXLAN_ID), Some(config.vni));
            assert_eq!(u32_field(vxlan::IFLA_VXLAN_LINK), config.parent_index);
            assert_eq!(u8_field(vxlan::IFLA_VXLAN_TTL), config.ttl);
            assert_eq!(u8_field(vxlan::IFLA_VXLAN_TOS), config.tos);
            assert_eq!(u8_field(vxlan::IFLA_VXLAN_LEARNING), Some(u8::from(config.learning)));
            assert_eq!(u8_field(vxlan::IFLA_VXLAN_UDP_CSUM), config.udp_checksum.map(u8::from));
            let port = data_field(data, vxlan::IFLA_VXLAN_PORT)
                .map(|b| u16::from_be_bytes(b.try_into().unwrap()));
            assert_eq!(port, config.port);
            let range = data_field(data, vxlan::IFLA_VXLAN_PORT_RANGE)
                .map(|b| (u16::from_be_bytes([b[0], b[1]]), u16::from_be_bytes([b[2], b[3]])));
            assert_eq!(range, config.port_range);
            let address = |v4, v6| {
                data_field(data, v4)
                    .map(|b: &[u8]| IpAddr::from(<[u8; 4]>::try_from(b).unwrap()))
                    .or_else(|| {
                        data_field(data, v6).map(|b| IpAddr::from(<[u8; 16]>::try_from(b).unwrap()))
                    })
            };
            assert_eq!(address(vxlan::IFLA_VXLAN_LOCAL, vxlan::IFLA_VXLAN_LOCAL6), config.local);
            assert_eq!(address(vxlan::IFLA_VXLAN_GROUP, vxlan::IFLA_VXLAN_GROUP6), config.remote);
        }
        Request::Macvlan { settings, mode } => {
            compare_settings(payload, settings, Some("macvlan"));
            let found = data_field(info_data(attrs), macvlan::IFLA_MACVLAN_MODE)
                .map(|b| u32::from_ne_bytes(b.try_into().unwrap()));
            assert_eq!(found, *mode);
        }
        Request::Vlan { settings, vid, protocol } => {
            compare_settings(payload, settings, Some("vlan"));
            let data = info_data(attrs);
            let id = data_field(data, vlan::IFLA_VLAN_ID)
                .map(|b| u16::from_ne_bytes(b.try_into().unwrap()));
            assert_eq!(id, Some(*vid));
            let found = data_field(data, vlan::IFLA_VLAN_PROTOCOL)
                .map(|b| u16::from_be_bytes(b.try_into().unwrap()));
            assert_eq!(found, *protocol);
        }
        Request::AddressAdd { index, addr: address, prefix_len, flags } => {
            let info = AddressInfo::parse(message).expect("a request has its ifaddrmsg");
            assert_eq!(info.index, *index);
            assert_eq!(info.prefix_len, *prefix_len);
            assert_eq!(info.flags, if *flags > 0xff { *flags } else { *flags & 0xff });
            assert_eq!(info.addr, Some(*address));
        }
        Request::SetFlags { link: name, .. }
        | Request::Delete { link: name }
        | Request::Get { link: name } => {
            let info = LinkInfo::parse(message).expect("a request has its ifinfomsg");
            match name {
                LinkName::Index(index) => {
                    assert_eq!((info.index, info.name.as_str()), (*index, ""))
                }
                LinkName::Name(text) => {
                    assert_eq!(info.index, 0);
                    assert_eq!(info.name, text.split('\0').next().unwrap_or_default());
                }
            }
        }
        Request::SetGroup { group, .. }
        | Request::SetGroupFlags { group, .. }
        | Request::DeleteGroup { group } => {
            assert_eq!(LinkInfo::parse(message).unwrap().group, Some(*group));
        }
        Request::AddClsact { ifindex } | Request::DeleteClsact { ifindex } => {
            let qdisc = QdiscInfo::parse(message).expect("a request has its tcmsg");
            assert_eq!(qdisc.ifindex, *ifindex);
            assert_eq!(qdisc.kind, "clsact");
            assert!(qdisc.has_hook(Direction::Ingress));
            assert!(qdisc.has_hook(Direction::Egress));
        }
        Request::AddMirrorFilter { ifindex, direction, prio, handle, target } => {
            let filter = FilterInfo::parse(message).expect("a request has its tcmsg");
            assert_eq!(filter.ifindex, *ifindex);
            assert_eq!(filter.handle, handle.unwrap_or(0));
            assert_eq!(Direction::from_parent(filter.parent), Some(*direction));
            assert_eq!((filter.prio, filter.protocol), (*prio, tc::ETH_P_ALL));
            assert_eq!(filter.kind, "u32");
            let mirred = filter.mirred.expect("the mirred action parses back");
            assert_eq!(
                (mirred.ifindex, mirred.eaction, mirred.action),
                (*target, tc::TCA_EGRESS_MIRROR, tc::TC_ACT_PIPE)
            );
        }
        Request::DeleteFilter { ifindex, direction, prio } => {
            let filter = FilterInfo::parse(message).expect("a request has its tcmsg");
            assert_eq!((filter.ifindex, filter.prio, filter.protocol), (*ifindex, *prio, 0));
            assert_eq!(Direction::from_parent(filter.parent), Some(*direction));
        }
        Request::DumpFilters { .. }
        | Request::DumpQdiscs { .. }
        | Request::AddressDump { .. }
        | Request::Dump
        | Request::Builder { .. } => {}
    }
}

/// Builds `request`, and checks the result against the reference encoding: the same
/// bytes, or the same `EncodeError` when and only when an attribute length exceeds a
/// `u16`. A successful request must then obey the wire rules and parse back to the
/// values it was built from.
pub fn check_request(request: &Request, seq: u32) {
    if let Request::Builder { kind, flags, ops } = request {
        check_builder_ops(*kind, *flags, ops, seq);
        return;
    }
    let (built, kind, flags, family, nodes) = build(request);
    let expected = encode_message(kind, flags, &family, &nodes, seq);
    let mut msg = match (built, expected) {
        (Ok(msg), Ok(_)) => msg,
        (Err(error), Err(expected)) => {
            assert!(error.len > MAX_ATTR_LEN, "EncodeError for a length that fits: {error:?}");
            assert_eq!(error, expected);
            return;
        }
        (Ok(_), Err(expected)) => {
            panic!("no EncodeError, but attribute {} needs {} bytes", expected.kind, expected.len)
        }
        (Err(error), Ok(_)) => panic!("EncodeError {error:?} for a request whose lengths all fit"),
    };
    assert_eq!(msg.kind(), kind);
    assert_eq!(msg.flags(), flags | NLM_F_REQUEST);
    let bytes = msg.finish(seq).expect("a request below 4 GiB has a u32 length").to_vec();
    let expected = encode_message(kind, flags, &family, &nodes, seq).unwrap();
    assert_eq!(bytes, expected, "emitted bytes differ from the reference encoding");
    if kind >= tc::RTM_NEWQDISC {
        check_emitted(&bytes, family.len(), &tc_nest_header_len);
    } else {
        let is_veth = matches!(request, Request::Veth { .. });
        check_emitted(&bytes, family.len(), &|path| link_nest_header_len(path, is_veth));
    }

    check_debug_format(&bytes);

    let mut messages = MessageIter::new(&bytes);
    let message = messages.next().expect("an emitted request parses");
    assert!(messages.next().is_none(), "an emitted request is one message");
    assert!(!messages.malformed());
    assert_eq!(message.header.len as usize, bytes.len());
    assert_eq!(message.header.seq, seq);
    assert_eq!(message.header.port, 0);
    compare_fields(request, &message);
}

/// Checks the framing of one emitted request: the header's length is the total length and
/// the attributes after the family header obey the wire rules.
fn check_emitted(bytes: &[u8], family_len: usize, is_nest: &dyn Fn(&[u16]) -> Option<usize>) {
    assert!(bytes.len() >= HEADER_LEN);
    assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()) as usize, bytes.len());
    assert_eq!(bytes.len() % 4, 0);
    let attrs_at = HEADER_LEN + align4(family_len);
    check_layout(&bytes[attrs_at..], attrs_at, &mut Vec::new(), is_nest);
}

/// Runs `ops` on a [`MessageBuilder`] and on a reference buffer side by side; both must
/// agree on every result and on the final bytes. Stops at the first `EncodeError`, after
/// checking that it is expected.
pub fn check_builder_ops(kind: u16, flags: u16, ops: &[BuilderOp], seq: u32) {
    let mut msg = MessageBuilder::new(kind, flags);
    let mut expected = vec![0u8; HEADER_LEN];
    expected[4..6].copy_from_slice(&kind.to_ne_bytes());
    expected[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
    let mut open = Vec::new();
    let mut nest_kinds: Vec<(usize, u16)> = Vec::new();

    let put_leaf = |expected: &mut Vec<u8>, kind: u16, payload: &[u8]| -> Result<(), EncodeError> {
        let len = 4 + payload.len();
        if len > MAX_ATTR_LEN {
            return Err(EncodeError { kind, len });
        }
        expected.extend_from_slice(&(len as u16).to_ne_bytes());
        expected.extend_from_slice(&kind.to_ne_bytes());
        expected.extend_from_slice(payload);
        expected.resize(align4(expected.len()), 0);
        Ok(())
    };

    for op in ops {
        let (got, want) = match op {
            BuilderOp::Raw(bytes) => {
                msg.put_raw(bytes);
                expected.extend_from_slice(bytes);
                expected.resize(align4(expected.len()), 0);
                (Ok(()), Ok(()))
            }
            BuilderOp::Put(kind, payload) => {
                (msg.put(*kind, payload), put_leaf(&mut expected, *kind, payload))
            }
            BuilderOp::PutU8(kind, value) => {
                (msg.put_u8(*kind, *value), put_leaf(&mut expected, *kind, &[*value]))
            }
            BuilderOp::PutU16(kind, value) => {
                (msg.put_u16(*kind, *value), put_leaf(&mut expected, *kind, &value.to_ne_bytes()))
            }
            BuilderOp::PutBe16(kind, value) => {
                (msg.put_be16(*kind, *value), put_leaf(&mut expected, *kind, &value.to_be_bytes()))
            }
            BuilderOp::PutU32(kind, value) => {
                (msg.put_u32(*kind, *value), put_leaf(&mut expected, *kind, &value.to_ne_bytes()))
            }
            BuilderOp::PutStr(kind, text) => {
                let mut payload = text.as_bytes().to_vec();
                payload.push(0);
                (msg.put_str(*kind, text), put_leaf(&mut expected, *kind, &payload))
            }
            BuilderOp::NestStart(kind) | BuilderOp::NestStartFlagged(kind) => {
                let flagged = matches!(op, BuilderOp::NestStartFlagged(_));
                let wire_kind = if flagged { kind | 0x8000 } else { *kind };
                open.push(if flagged {
                    msg.nest_start_flagged(*kind)
                } else {
                    msg.nest_start(*kind)
                });
                nest_kinds.push((expected.len(), wire_kind));
                expected.extend_from_slice(&[0, 0]);
                expected.extend_from_slice(&wire_kind.to_ne_bytes());
                (Ok(()), Ok(()))
            }
            BuilderOp::NestEnd => {
                let (Some(nest), Some((start, wire_kind))) = (open.pop(), nest_kinds.pop()) else {
                    continue;
                };
                let len = expected.len() - start;
                let want = if len > MAX_ATTR_LEN {
                    Err(EncodeError { kind: wire_kind, len })
                } else {
                    expected[start..start + 2].copy_from_slice(&(len as u16).to_ne_bytes());
                    Ok(())
                };
                (msg.nest_end(nest), want)
            }
            BuilderOp::NestCancel => {
                let (Some(nest), Some((start, _))) = (open.pop(), nest_kinds.pop()) else {
                    continue;
                };
                msg.nest_cancel(nest);
                expected.truncate(start);
                (Ok(()), Ok(()))
            }
        };
        assert_eq!(got, want, "builder and reference disagree on {op:?}");
        if let Err(error) = got {
            assert!(error.len > MAX_ATTR_LEN);
            assert_eq!(msg.as_bytes(), &expected[..], "a failed call changed the buffer");
            return;
        }
    }

    // Close what is still open, as a caller must before sending.
    while let (Some(nest), Some((start, wire_kind))) = (open.pop(), nest_kinds.pop()) {
        let len = expected.len() - start;
        let result = msg.nest_end(nest);
        if len > MAX_ATTR_LEN {
            assert_eq!(result, Err(EncodeError { kind: wire_kind, len }));
            return;
        }
        assert_eq!(result, Ok(()));
        expected[start..start + 2].copy_from_slice(&(len as u16).to_ne_bytes());
    }

    let len = expected.len() as u32;
    expected[0..4].copy_from_slice(&len.to_ne_bytes());
    expected[8..12].copy_from_slice(&seq.to_ne_bytes());
    let bytes = msg.finish(seq).unwrap();
    assert_eq!(bytes, &expected[..]);
    assert_eq!(bytes.len() % 4, 0);
    assert_eq!(MessageIter::new(bytes).count(), 1);
    check_debug_format(bytes);
}

/// Formats one well-framed request as `KOKO_DEBUG=1` does. Whatever its attributes hold,
/// the message itself must not be reported as malformed.
fn check_debug_format(bytes: &[u8]) {
    let text = debug::format("sent", bytes);
    assert!(text.starts_with("koko: netlink sent: "), "unexpected debug output: {text}");
    assert!(
        !text.contains("malformed message"),
        "a well-framed request shown as malformed: {text}"
    );
}
