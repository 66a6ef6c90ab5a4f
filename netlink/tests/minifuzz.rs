//! Deterministic mini-fuzz of the netlink parsers and request builders, so that the
//! stable test suite catches a panic without cargo-fuzz. A fixed-seed xorshift generator
//! makes every failure reproducible. The invariants are the ones the cargo-fuzz targets
//! check, from `fuzz/checks/netlink.rs`.

#[path = "../../fuzz/checks/netlink.rs"]
mod checks;

use checks::{BuilderOp, LinkName, Request};
use koko_netlink::link::{vxlan, LinkSettings};
use koko_netlink::tc::Direction;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Golden requests and kernel replies, the same files that seed the cargo-fuzz corpus.
const REPLY_SAMPLES: &[&[u8]] = &[
    include_bytes!("../../fuzz/seeds/netlink_parse/golden-veth"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden-addr_v6"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden-group_up"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_link_kinds-vxlan_v4"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_link_kinds-vxlan_v6"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_link_kinds-macvlan_mtu_mac"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_link_kinds-vlan_protocol"),
    include_bytes!("../../fuzz/seeds/netlink_parse/kernel-get-veth-0"),
    include_bytes!("../../fuzz/seeds/netlink_parse/kernel-addr-dump-0"),
    include_bytes!("../../fuzz/seeds/netlink_parse/kernel-newlink-unknown-kind-0"),
    include_bytes!("../../fuzz/seeds/netlink_parse/kernel-newlink-vxlan-bad-vni-0"),
    include_bytes!("../../fuzz/seeds/netlink_parse/kernel-newlink-exists-capped-0"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_tc-filter_ingress"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_tc-filter_dump_reply"),
    include_bytes!("../../fuzz/seeds/netlink_parse/golden_tc-qdisc_dump_reply"),
];

/// `NLMSG_ERROR` seeds: two bytes of header flags, then the payload.
const ACK_SAMPLES: &[&[u8]] = &[
    include_bytes!("../../fuzz/seeds/ext_ack/kernel-newlink-unknown-kind"),
    include_bytes!("../../fuzz/seeds/ext_ack/kernel-newlink-unknown-kind-capped"),
    include_bytes!("../../fuzz/seeds/ext_ack/kernel-newlink-vxlan-bad-vni"),
    include_bytes!("../../fuzz/seeds/ext_ack/kernel-newaddr-bad-index"),
    include_bytes!("../../fuzz/seeds/ext_ack/kernel-setlink-ack"),
];

/// xorshift64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn u16(&mut self) -> u16 {
        self.next() as u16
    }

    fn u32(&mut self) -> u32 {
        self.next() as u32
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Returns 0, a number below 5, `u32::MAX` or a random value, so that boundaries come
    /// up often.
    fn boundary_u32(&mut self) -> u32 {
        match self.below(4) {
            0 => 0,
            1 => u32::MAX,
            2 => self.below(5) as u32,
            _ => self.u32(),
        }
    }

    fn option<T>(&mut self, value: impl FnOnce(&mut Rng) -> T) -> Option<T> {
        if self.chance(2) {
            Some(value(self))
        } else {
            None
        }
    }

    /// Rewrites `sample` a few times: flips bytes, overwrites a 16- or 32-bit word with
    /// a length-like value, cuts, duplicates or inserts a stretch.
    fn mutate(&mut self, sample: &[u8]) -> Vec<u8> {
        let mut out = sample.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = if out.is_empty() { 0 } else { self.below(out.len()) };
            match self.below(6) {
                0 if !out.is_empty() => out[at] ^= 1 << self.below(8),
                1 if out.len() >= at + 2 => {
                    let values = [0u16, 3, 4, 5, 16, 20, 0xffff, out.len() as u16, self.u16()];
                    let value = values[self.below(values.len())];
                    out[at..at + 2].copy_from_slice(&value.to_ne_bytes());
                }
                2 if out.len() >= at + 4 => {
                    let values = [0u32, 15, 16, 17, 20, out.len() as u32, u32::MAX, self.u32()];
                    let value = values[self.below(values.len())];
                    out[at..at + 4].copy_from_slice(&value.to_ne_bytes());
                }
                3 => out.truncate(at),
                4 => {
                    let end = (at + self.below(32)).min(out.len());
                    let copy = out[at..end].to_vec();
                    out.splice(at..at, copy);
                }
                _ => {
                    let len = self.below(8);
                    let noise = self.bytes(len);
                    out.splice(at..at, noise);
                }
            }
        }
        out
    }
}

#[test]
fn reply_parsers_survive_random_bytes() {
    let mut rng = Rng(0x6b6f_6b6f_6e6c_0001);
    for _ in 0..5_000 {
        let len = rng.below(256);
        checks::check_reply_parsers(&rng.bytes(len));
    }
}

#[test]
fn reply_parsers_survive_mutated_messages() {
    let mut rng = Rng(0x6b6f_6b6f_6e6c_0002);
    for round in 0..15_000 {
        let sample = REPLY_SAMPLES[round % REPLY_SAMPLES.len()];
        checks::check_reply_parsers(&rng.mutate(sample));
    }
}

#[test]
fn ack_parser_survives_mutated_errors() {
    let mut rng = Rng(0x6b6f_6b6f_6e6c_0003);
    for round in 0..20_000 {
        let input = if round % 5 == 0 {
            let len = rng.below(80);
            rng.bytes(len)
        } else {
            rng.mutate(ACK_SAMPLES[round % ACK_SAMPLES.len()])
        };
        let Some((flags, payload)) = input.split_first_chunk::<2>() else {
            continue;
        };
        // Half the rounds keep the seed's flags. The rest use random flags, which cover
        // every combination of NLM_F_CAPPED and NLM_F_ACK_TLVS.
        let flags = if rng.chance(2) { u16::from_ne_bytes(*flags) } else { rng.u16() };
        checks::check_error_payload(flags, payload);
    }
}

fn random_name(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &["a", "eth0", "veth-1", "\u{e9}", "\0", " ", "x", "\u{1f600}"];
    match rng.below(40) {
        // Around the limit where `4 + len + 1` stops fitting a `u16`.
        0 => "n".repeat(65_536 - rng.below(12)),
        1 => "n".repeat(65_000 + rng.below(600)),
        _ => (0..rng.below(6)).map(|_| PIECES[rng.below(PIECES.len())]).collect(),
    }
}

fn random_settings(rng: &mut Rng) -> LinkSettings {
    LinkSettings {
        name: random_name(rng),
        netns_fd: rng.option(Rng::boundary_u32),
        index: rng.boundary_u32() as i32,
        up: rng.chance(2),
        mtu: rng.option(Rng::boundary_u32),
        mac: rng.option(|rng| [rng.next() as u8; 6]),
        group: rng.option(Rng::boundary_u32),
        parent_index: rng.option(Rng::boundary_u32),
        queues: rng.option(Rng::boundary_u32),
    }
}

fn random_address(rng: &mut Rng) -> IpAddr {
    if rng.chance(2) {
        IpAddr::V4(Ipv4Addr::from(rng.u32()))
    } else {
        IpAddr::V6(Ipv6Addr::from(u128::from(rng.next()) << 64 | u128::from(rng.next())))
    }
}

fn random_link(rng: &mut Rng) -> LinkName {
    if rng.chance(2) {
        LinkName::Index(rng.boundary_u32() as i32)
    } else {
        LinkName::Name(random_name(rng))
    }
}

fn random_ops(rng: &mut Rng) -> Vec<BuilderOp> {
    let count = rng.below(12);
    (0..count)
        .map(|_| {
            let kind = rng.u16();
            match rng.below(11) {
                0 => {
                    let len = rng.below(20);
                    BuilderOp::Raw(rng.bytes(len))
                }
                1 => {
                    let len = if rng.chance(8) { 65_520 + rng.below(30) } else { rng.below(20) };
                    BuilderOp::Put(kind, vec![7; len])
                }
                2 => BuilderOp::PutU8(kind, rng.next() as u8),
                3 => BuilderOp::PutU16(kind, rng.u16()),
                4 => BuilderOp::PutBe16(kind, rng.u16()),
                5 => BuilderOp::PutU32(kind, rng.u32()),
                6 => BuilderOp::PutStr(kind, random_name(rng)),
                7 => BuilderOp::NestStart(kind),
                8 => BuilderOp::NestStartFlagged(kind),
                9 => BuilderOp::NestEnd,
                _ => BuilderOp::NestCancel,
            }
        })
        .collect()
}

fn random_direction(rng: &mut Rng) -> Direction {
    if rng.chance(2) {
        Direction::Ingress
    } else {
        Direction::Egress
    }
}

fn random_request(rng: &mut Rng) -> Request {
    match rng.below(17) {
        0 | 1 => Request::Veth { end: random_settings(rng), peer: random_settings(rng) },
        2 => {
            let vxlan = vxlan::Vxlan {
                vni: rng.boundary_u32(),
                remote: rng.option(random_address),
                local: rng.option(random_address),
                parent_index: rng.option(Rng::boundary_u32),
                port: rng.option(Rng::u16),
                ttl: rng.option(|rng| rng.next() as u8),
                tos: rng.option(|rng| rng.next() as u8),
                learning: rng.chance(2),
                port_range: rng.option(|rng| (rng.u16(), rng.u16())),
                udp_checksum: rng.option(|rng| rng.chance(2)),
            };
            Request::Vxlan { settings: random_settings(rng), vxlan }
        }
        3 => {
            Request::Macvlan { settings: random_settings(rng), mode: rng.option(Rng::boundary_u32) }
        }
        4 => Request::Vlan {
            settings: random_settings(rng),
            vid: rng.u16(),
            protocol: rng.option(Rng::u16),
        },
        5 => Request::AddressAdd {
            index: rng.boundary_u32(),
            addr: random_address(rng),
            prefix_len: rng.next() as u8,
            flags: rng.boundary_u32(),
        },
        6 => Request::AddressDump { family: rng.next() as u8, index: rng.boundary_u32() },
        7 => Request::SetFlags {
            link: random_link(rng),
            flags: rng.boundary_u32(),
            change: rng.boundary_u32(),
        },
        8 => Request::SetGroup { link: random_link(rng), group: rng.boundary_u32() },
        9 => Request::SetGroupFlags {
            group: rng.boundary_u32(),
            flags: rng.boundary_u32(),
            change: rng.boundary_u32(),
        },
        10 => Request::Delete { link: random_link(rng) },
        11 => Request::DeleteGroup { group: rng.boundary_u32() },
        12 => {
            if rng.chance(2) {
                Request::Get { link: random_link(rng) }
            } else {
                Request::Dump
            }
        }
        13 => Request::AddMirrorFilter {
            ifindex: rng.boundary_u32() as i32,
            direction: random_direction(rng),
            prio: rng.u16(),
            handle: rng.option(Rng::boundary_u32),
            target: rng.boundary_u32(),
        },
        14 => match rng.below(5) {
            0 => Request::AddClsact { ifindex: rng.boundary_u32() as i32 },
            1 => Request::DeleteClsact { ifindex: rng.boundary_u32() as i32 },
            2 => Request::DeleteFilter {
                ifindex: rng.boundary_u32() as i32,
                direction: random_direction(rng),
                prio: rng.u16(),
            },
            3 => Request::DumpFilters {
                ifindex: rng.boundary_u32() as i32,
                parent: rng.boundary_u32(),
            },
            _ => Request::DumpQdiscs { ifindex: rng.boundary_u32() as i32 },
        },
        _ => Request::Builder { kind: rng.u16(), flags: rng.u16(), ops: random_ops(rng) },
    }
}

#[test]
fn requests_round_trip() {
    let mut rng = Rng(0x6b6f_6b6f_6e6c_0004);
    for _ in 0..6_000 {
        let request = random_request(&mut rng);
        checks::check_request(&request, rng.u32());
    }
}

/// A peer name that fits its own attribute can still overflow the enclosing
/// `VETH_INFO_PEER` nest, so the name length walks across both limits.
#[test]
fn veth_peer_name_crosses_limits() {
    for len in 65_480..65_540 {
        let peer = LinkSettings { mtu: Some(1500), ..LinkSettings::named(&"p".repeat(len)) };
        checks::check_request(&Request::Veth { end: LinkSettings::named("a"), peer }, 1);
    }
}
