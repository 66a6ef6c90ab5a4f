//! Requests built through the public builder API from arbitrary settings, compared with a
//! reference encoding, checked against the wire rules and parsed back field by field.
#![no_main]

#[path = "../checks/netlink.rs"]
mod checks;

use arbitrary::Arbitrary;
use checks::{BuilderOp, LinkName, Request};
use koko_netlink::link::{vxlan, LinkSettings};
use koko_netlink::tc::Direction;
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A string whose length can reach and pass the 65535-byte limit of an attribute
/// without a fuzz input of that size.
#[derive(Arbitrary, Debug)]
enum Text {
    Plain(String),
    /// `text` followed by `extra` copies of `fill`.
    Stretched { text: String, fill: u8, extra: u16 },
    /// `fill` repeated to `65536 - short` bytes, around the point where
    /// `4 + len + 1` (a string attribute with its NUL) stops fitting a `u16`.
    NearLimit { fill: u8, short: u8 },
}

impl Text {
    fn build(self) -> String {
        let ascii = |fill: u8| char::from(fill & 0x7f);
        match self {
            Text::Plain(text) => text,
            Text::Stretched { mut text, fill, extra } => {
                text.extend(std::iter::repeat(ascii(fill)).take(extra as usize));
                text
            }
            Text::NearLimit { fill, short } => {
                std::iter::repeat(ascii(fill)).take(65536 - short as usize).collect()
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Settings {
    name: Text,
    netns_fd: Option<u32>,
    index: i32,
    up: bool,
    mtu: Option<u32>,
    mac: Option<[u8; 6]>,
    group: Option<u32>,
    parent_index: Option<u32>,
    queues: Option<u32>,
}

impl Settings {
    fn build(self) -> LinkSettings {
        LinkSettings {
            name: self.name.build(),
            netns_fd: self.netns_fd,
            index: self.index,
            up: self.up,
            mtu: self.mtu,
            mac: self.mac,
            group: self.group,
            parent_index: self.parent_index,
            queues: self.queues,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Address {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Address {
    fn build(self) -> IpAddr {
        match self {
            Address::V4(octets) => IpAddr::V4(Ipv4Addr::from(octets)),
            Address::V6(octets) => IpAddr::V6(Ipv6Addr::from(octets)),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Vxlan {
    vni: u32,
    remote: Option<Address>,
    local: Option<Address>,
    parent_index: Option<u32>,
    port: Option<u16>,
    ttl: Option<u8>,
    tos: Option<u8>,
    learning: bool,
    port_range: Option<(u16, u16)>,
    udp_checksum: Option<bool>,
}

impl Vxlan {
    fn build(self) -> vxlan::Vxlan {
        vxlan::Vxlan {
            vni: self.vni,
            remote: self.remote.map(Address::build),
            local: self.local.map(Address::build),
            parent_index: self.parent_index,
            port: self.port,
            ttl: self.ttl,
            tos: self.tos,
            learning: self.learning,
            port_range: self.port_range,
            udp_checksum: self.udp_checksum,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Name {
    Index(i32),
    Name(Text),
}

impl Name {
    fn build(self) -> LinkName {
        match self {
            Name::Index(index) => LinkName::Index(index),
            Name::Name(text) => LinkName::Name(text.build()),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Raw(Vec<u8>),
    Put(u16, Vec<u8>),
    /// `len` bytes of `fill`, for payloads near and past the limit.
    PutLarge(u16, u8, u16),
    PutU8(u16, u8),
    PutU16(u16, u16),
    PutBe16(u16, u16),
    PutU32(u16, u32),
    PutStr(u16, Text),
    NestStart(u16),
    NestStartFlagged(u16),
    NestEnd,
    NestCancel,
}

impl Op {
    fn build(self) -> BuilderOp {
        match self {
            Op::Raw(bytes) => BuilderOp::Raw(bytes),
            Op::Put(kind, payload) => BuilderOp::Put(kind, payload),
            Op::PutLarge(kind, fill, len) => BuilderOp::Put(kind, vec![fill; len as usize]),
            Op::PutU8(kind, value) => BuilderOp::PutU8(kind, value),
            Op::PutU16(kind, value) => BuilderOp::PutU16(kind, value),
            Op::PutBe16(kind, value) => BuilderOp::PutBe16(kind, value),
            Op::PutU32(kind, value) => BuilderOp::PutU32(kind, value),
            Op::PutStr(kind, text) => BuilderOp::PutStr(kind, text.build()),
            Op::NestStart(kind) => BuilderOp::NestStart(kind),
            Op::NestStartFlagged(kind) => BuilderOp::NestStartFlagged(kind),
            Op::NestEnd => BuilderOp::NestEnd,
            Op::NestCancel => BuilderOp::NestCancel,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Input {
    Veth { end: Settings, peer: Settings },
    Vxlan { settings: Settings, vxlan: Vxlan },
    Macvlan { settings: Settings, mode: Option<u32> },
    Vlan { settings: Settings, vid: u16, protocol: Option<u16> },
    AddressAdd { index: u32, addr: Address, prefix_len: u8, flags: u32 },
    AddressDump { family: u8, index: u32 },
    SetFlags { link: Name, flags: u32, change: u32 },
    SetGroup { link: Name, group: u32 },
    SetGroupFlags { group: u32, flags: u32, change: u32 },
    Delete { link: Name },
    DeleteGroup { group: u32 },
    Get { link: Name },
    Dump,
    AddClsact { ifindex: i32 },
    DeleteClsact { ifindex: i32 },
    AddMirrorFilter { ifindex: i32, egress: bool, prio: u16, handle: Option<u32>, target: u32 },
    DeleteFilter { ifindex: i32, egress: bool, prio: u16 },
    DumpFilters { ifindex: i32, parent: u32 },
    DumpQdiscs { ifindex: i32 },
    Builder { kind: u16, flags: u16, ops: Vec<Op> },
}

fn direction(egress: bool) -> Direction {
    if egress {
        Direction::Egress
    } else {
        Direction::Ingress
    }
}

impl Input {
    fn build(self) -> Request {
        match self {
            Input::Veth { end, peer } => Request::Veth { end: end.build(), peer: peer.build() },
            Input::Vxlan { settings, vxlan } => Request::Vxlan { settings: settings.build(), vxlan: vxlan.build() },
            Input::Macvlan { settings, mode } => Request::Macvlan { settings: settings.build(), mode },
            Input::Vlan { settings, vid, protocol } => Request::Vlan { settings: settings.build(), vid, protocol },
            Input::AddressAdd { index, addr, prefix_len, flags } => {
                Request::AddressAdd { index, addr: addr.build(), prefix_len, flags }
            }
            Input::AddressDump { family, index } => Request::AddressDump { family, index },
            Input::SetFlags { link, flags, change } => Request::SetFlags { link: link.build(), flags, change },
            Input::SetGroup { link, group } => Request::SetGroup { link: link.build(), group },
            Input::SetGroupFlags { group, flags, change } => Request::SetGroupFlags { group, flags, change },
            Input::Delete { link } => Request::Delete { link: link.build() },
            Input::DeleteGroup { group } => Request::DeleteGroup { group },
            Input::Get { link } => Request::Get { link: link.build() },
            Input::Dump => Request::Dump,
            Input::AddClsact { ifindex } => Request::AddClsact { ifindex },
            Input::DeleteClsact { ifindex } => Request::DeleteClsact { ifindex },
            Input::AddMirrorFilter { ifindex, egress, prio, handle, target } => {
                Request::AddMirrorFilter { ifindex, direction: direction(egress), prio, handle, target }
            }
            Input::DeleteFilter { ifindex, egress, prio } => {
                Request::DeleteFilter { ifindex, direction: direction(egress), prio }
            }
            Input::DumpFilters { ifindex, parent } => Request::DumpFilters { ifindex, parent },
            Input::DumpQdiscs { ifindex } => Request::DumpQdiscs { ifindex },
            Input::Builder { kind, flags, ops } => {
                Request::Builder { kind, flags, ops: ops.into_iter().map(Op::build).collect() }
            }
        }
    }
}

fuzz_target!(|input: (u32, Input)| {
    let (seq, input) = input;
    checks::check_request(&input.build(), seq);
});
