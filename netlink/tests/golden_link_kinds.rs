//! Golden bytes for vxlan, macvlan and vlan: each request is compared byte for byte with
//! what iproute2 6.1 sent for the same command, and the captured bytes are parsed back and
//! checked field by field.
//!
//! The captures come from `strace -e write=3` in a private network namespace. There
//! namespace A was open as fd 4 and the parent device p0 had index 3.

use koko_netlink::attr::{Attr, AttrIter};
use koko_netlink::link::{self, macvlan, vlan, vxlan, IfInfoMsg, LinkSettings};
use koko_netlink::message::{MessageBuilder, MessageIter, NLM_F_ACK};
use std::net::IpAddr;

/// Sequence number iproute2 used in the captures.
const SEQ: u32 = 0x6b13_2ffb;

fn emit(mut msg: MessageBuilder) -> Vec<u8> {
    msg.set_flags(msg.flags() | NLM_F_ACK);
    msg.finish(SEQ).unwrap().to_vec()
}

/// A parsed `RTM_NEWLINK` request: the top-level attributes, the kind, and the members of
/// `IFLA_INFO_DATA` in wire order.
struct Parsed<'a> {
    attrs: &'a [u8],
    kind: String,
    data: Vec<Attr<'a>>,
}

fn parse(bytes: &[u8]) -> Parsed<'_> {
    let mut messages = MessageIter::new(bytes);
    let message = messages.next().unwrap();
    assert!(messages.next().is_none());
    assert_eq!(message.header.kind, link::RTM_NEWLINK);
    assert_eq!(message.header.len as usize, bytes.len());
    assert_eq!(IfInfoMsg::parse(message.payload), Some(IfInfoMsg::default()));

    let attrs = &message.payload[link::IFINFOMSG_LEN..];
    let mut iter = AttrIter::new(attrs);
    assert!(iter.by_ref().count() > 0);
    assert!(!iter.malformed());

    let info = AttrIter::find(attrs, link::IFLA_LINKINFO).unwrap();
    let kind = AttrIter::find(info.payload, link::IFLA_INFO_KIND).unwrap();
    let data = match AttrIter::find(info.payload, link::IFLA_INFO_DATA) {
        Some(data) => AttrIter::new(data.payload).collect(),
        None => Vec::new(),
    };
    Parsed { attrs, kind: kind.as_str().unwrap().to_owned(), data }
}

fn top_u32(parsed: &Parsed<'_>, kind: u16) -> Option<u32> {
    AttrIter::find(parsed.attrs, kind).and_then(|attr| attr.as_u32())
}

fn top_name<'a>(parsed: &Parsed<'a>) -> &'a str {
    AttrIter::find(parsed.attrs, link::IFLA_IFNAME).unwrap().as_str().unwrap()
}

fn data_kinds(parsed: &Parsed<'_>) -> Vec<u16> {
    parsed.data.iter().map(|attr| attr.kind).collect()
}

fn data_attr<'a>(parsed: &Parsed<'a>, kind: u16) -> Attr<'a> {
    *parsed.data.iter().find(|attr| attr.kind == kind).unwrap()
}

fn be16(attr: Attr<'_>) -> u16 {
    u16::from_be_bytes(attr.payload.try_into().unwrap())
}

fn ip(attr: Attr<'_>) -> IpAddr {
    match attr.payload.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(attr.payload).unwrap()),
        16 => IpAddr::from(<[u8; 16]>::try_from(attr.payload).unwrap()),
        len => panic!("address attribute of {len} bytes"),
    }
}

/// `ip link add name vx0 netns A type vxlan id 42 remote 192.0.2.2 local 192.0.2.1 dev p0
/// dstport 4789 ttl 64 tos 0x10 nolearning srcport 1000 2000 udpcsum`.
#[rustfmt::skip]
const VXLAN_V4: [u8; 148] = [
    0x94, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg: all zero
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 3, 0,  b'v', b'x', b'0', 0,                                          // IFLA_IFNAME "vx0"
    0x64, 0, 18, 0,                                                            // IFLA_LINKINFO
      9, 0, 1, 0,  b'v', b'x', b'l', b'a', b'n', 0, 0, 0,                      //   IFLA_INFO_KIND "vxlan", without NUL
      0x54, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 3, 0,  3, 0, 0, 0,                                               //     IFLA_VXLAN_LINK 3 (p0)
        5, 0, 5, 0,  64, 0, 0, 0,                                              //     IFLA_VXLAN_TTL 64
        5, 0, 6, 0,  0x10, 0, 0, 0,                                            //     IFLA_VXLAN_TOS 0x10
        8, 0, 10, 0,  0x03, 0xe8, 0x07, 0xd0,                                  //     IFLA_VXLAN_PORT_RANGE 1000-2000, be16
        5, 0, 18, 0,  1, 0, 0, 0,                                              //     IFLA_VXLAN_UDP_CSUM on
        8, 0, 1, 0,  42, 0, 0, 0,                                              //     IFLA_VXLAN_ID 42
        8, 0, 4, 0,  192, 0, 2, 1,                                             //     IFLA_VXLAN_LOCAL 192.0.2.1
        8, 0, 2, 0,  192, 0, 2, 2,                                             //     IFLA_VXLAN_GROUP 192.0.2.2 (remote)
        5, 0, 7, 0,  0, 0, 0, 0,                                               //     IFLA_VXLAN_LEARNING off
        6, 0, 15, 0,  0x12, 0xb5, 0, 0,                                        //     IFLA_VXLAN_PORT 4789, be16
];

#[test]
fn vxlan_ipv4_matches_iproute2() {
    let settings = LinkSettings { netns_fd: Some(4), ..LinkSettings::named("vx0") };
    let config = vxlan::Vxlan {
        remote: Some("192.0.2.2".parse().unwrap()),
        local: Some("192.0.2.1".parse().unwrap()),
        parent_index: Some(3),
        port: Some(vxlan::IANA_PORT),
        ttl: Some(64),
        tos: Some(0x10),
        learning: false,
        port_range: Some((1000, 2000)),
        udp_checksum: Some(true),
        ..vxlan::Vxlan::new(42)
    };
    assert_eq!(emit(vxlan::create(&settings, &config).unwrap()), VXLAN_V4);
}

#[test]
fn vxlan_ipv4_golden_parses() {
    let parsed = parse(&VXLAN_V4);
    assert_eq!(parsed.kind, "vxlan");
    assert_eq!(top_name(&parsed), "vx0");
    assert_eq!(top_u32(&parsed, link::IFLA_NET_NS_FD), Some(4));
    assert_eq!(top_u32(&parsed, link::IFLA_LINK), None);

    assert_eq!(
        data_kinds(&parsed),
        [
            vxlan::IFLA_VXLAN_LINK,
            vxlan::IFLA_VXLAN_TTL,
            vxlan::IFLA_VXLAN_TOS,
            vxlan::IFLA_VXLAN_PORT_RANGE,
            vxlan::IFLA_VXLAN_UDP_CSUM,
            vxlan::IFLA_VXLAN_ID,
            vxlan::IFLA_VXLAN_LOCAL,
            vxlan::IFLA_VXLAN_GROUP,
            vxlan::IFLA_VXLAN_LEARNING,
            vxlan::IFLA_VXLAN_PORT,
        ]
    );

    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_LINK).as_u32(), Some(3));
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_TTL).as_u8(), Some(64));
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_TOS).as_u8(), Some(0x10));
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_PORT_RANGE).payload, [0x03, 0xe8, 0x07, 0xd0]);
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_UDP_CSUM).as_u8(), Some(1));
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_ID).as_u32(), Some(42));
    assert_eq!(
        ip(data_attr(&parsed, vxlan::IFLA_VXLAN_LOCAL)),
        "192.0.2.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        ip(data_attr(&parsed, vxlan::IFLA_VXLAN_GROUP)),
        "192.0.2.2".parse::<IpAddr>().unwrap()
    );
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_LEARNING).as_u8(), Some(0));
    assert_eq!(be16(data_attr(&parsed, vxlan::IFLA_VXLAN_PORT)), 4789);
}

/// `ip link add name vx6 netns A type vxlan id 43 remote 2001:db8::2 local 2001:db8::1
/// dev p0 dstport 4789`.
#[rustfmt::skip]
const VXLAN_V6: [u8; 140] = [
    0x8c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 3, 0,  b'v', b'x', b'6', 0,                                          // IFLA_IFNAME "vx6"
    0x5c, 0, 18, 0,                                                            // IFLA_LINKINFO
      9, 0, 1, 0,  b'v', b'x', b'l', b'a', b'n', 0, 0, 0,                      //   IFLA_INFO_KIND "vxlan"
      0x4c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 3, 0,  3, 0, 0, 0,                                               //     IFLA_VXLAN_LINK 3
        8, 0, 1, 0,  43, 0, 0, 0,                                              //     IFLA_VXLAN_ID 43
        20, 0, 17, 0,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,                     //     IFLA_VXLAN_LOCAL6 2001:db8::1
                       0, 0, 0, 0, 0, 0, 0, 1,
        20, 0, 16, 0,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,                     //     IFLA_VXLAN_GROUP6 2001:db8::2 (remote)
                       0, 0, 0, 0, 0, 0, 0, 2,
        5, 0, 7, 0,  1, 0, 0, 0,                                               //     IFLA_VXLAN_LEARNING on, iproute2's default
        6, 0, 15, 0,  0x12, 0xb5, 0, 0,                                        //     IFLA_VXLAN_PORT 4789
];

#[test]
fn vxlan_ipv6_matches_iproute2() {
    let settings = LinkSettings { netns_fd: Some(4), ..LinkSettings::named("vx6") };
    let config = vxlan::Vxlan {
        remote: Some("2001:db8::2".parse().unwrap()),
        local: Some("2001:db8::1".parse().unwrap()),
        parent_index: Some(3),
        port: Some(4789),
        ..vxlan::Vxlan::new(43)
    };
    assert_eq!(emit(vxlan::create(&settings, &config).unwrap()), VXLAN_V6);
}

#[test]
fn vxlan_ipv6_golden_parses() {
    let parsed = parse(&VXLAN_V6);
    assert_eq!(parsed.kind, "vxlan");
    assert_eq!(top_name(&parsed), "vx6");
    assert_eq!(
        data_kinds(&parsed),
        [
            vxlan::IFLA_VXLAN_LINK,
            vxlan::IFLA_VXLAN_ID,
            vxlan::IFLA_VXLAN_LOCAL6,
            vxlan::IFLA_VXLAN_GROUP6,
            vxlan::IFLA_VXLAN_LEARNING,
            vxlan::IFLA_VXLAN_PORT,
        ]
    );
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_ID).as_u32(), Some(43));
    assert_eq!(
        ip(data_attr(&parsed, vxlan::IFLA_VXLAN_LOCAL6)),
        "2001:db8::1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        ip(data_attr(&parsed, vxlan::IFLA_VXLAN_GROUP6)),
        "2001:db8::2".parse::<IpAddr>().unwrap()
    );
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_LEARNING).as_u8(), Some(1));
    assert_eq!(be16(data_attr(&parsed, vxlan::IFLA_VXLAN_PORT)), 4789);
}

/// `ip link add name vxm netns A type vxlan id 44 group 239.1.1.1 dev p0 dstport 4789`.
#[rustfmt::skip]
const VXLAN_GROUP: [u8; 108] = [
    0x6c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 3, 0,  b'v', b'x', b'm', 0,                                          // IFLA_IFNAME "vxm"
    0x3c, 0, 18, 0,                                                            // IFLA_LINKINFO
      9, 0, 1, 0,  b'v', b'x', b'l', b'a', b'n', 0, 0, 0,                      //   IFLA_INFO_KIND "vxlan"
      0x2c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 3, 0,  3, 0, 0, 0,                                               //     IFLA_VXLAN_LINK 3
        8, 0, 1, 0,  44, 0, 0, 0,                                              //     IFLA_VXLAN_ID 44
        8, 0, 2, 0,  239, 1, 1, 1,                                             //     IFLA_VXLAN_GROUP 239.1.1.1 (multicast)
        5, 0, 7, 0,  1, 0, 0, 0,                                               //     IFLA_VXLAN_LEARNING on
        6, 0, 15, 0,  0x12, 0xb5, 0, 0,                                        //     IFLA_VXLAN_PORT 4789
];

#[test]
fn vxlan_group_matches_iproute2() {
    let settings = LinkSettings { netns_fd: Some(4), ..LinkSettings::named("vxm") };
    let config = vxlan::Vxlan {
        remote: Some("239.1.1.1".parse().unwrap()),
        parent_index: Some(3),
        port: Some(4789),
        ..vxlan::Vxlan::new(44)
    };
    assert_eq!(emit(vxlan::create(&settings, &config).unwrap()), VXLAN_GROUP);
}

#[test]
fn vxlan_group_golden_parses() {
    let parsed = parse(&VXLAN_GROUP);
    assert_eq!(top_name(&parsed), "vxm");
    assert_eq!(
        data_kinds(&parsed),
        [
            vxlan::IFLA_VXLAN_LINK,
            vxlan::IFLA_VXLAN_ID,
            vxlan::IFLA_VXLAN_GROUP,
            vxlan::IFLA_VXLAN_LEARNING,
            vxlan::IFLA_VXLAN_PORT,
        ]
    );
    let group = ip(data_attr(&parsed, vxlan::IFLA_VXLAN_GROUP));
    assert_eq!(group, "239.1.1.1".parse::<IpAddr>().unwrap());
    assert!(group.is_multicast());
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_ID).as_u32(), Some(44));
}

/// `ip link add name vxl type vxlan id 16777215 dstport 65535`: the largest VNI and port,
/// no namespace and no lower device.
#[rustfmt::skip]
const VXLAN_LIMITS: [u8; 84] = [
    0x54, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 3, 0,  b'v', b'x', b'l', 0,                                          // IFLA_IFNAME "vxl"
    0x2c, 0, 18, 0,                                                            // IFLA_LINKINFO
      9, 0, 1, 0,  b'v', b'x', b'l', b'a', b'n', 0, 0, 0,                      //   IFLA_INFO_KIND "vxlan"
      0x1c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  0xff, 0xff, 0xff, 0,                                      //     IFLA_VXLAN_ID 16777215
        5, 0, 7, 0,  1, 0, 0, 0,                                               //     IFLA_VXLAN_LEARNING on
        6, 0, 15, 0,  0xff, 0xff, 0, 0,                                        //     IFLA_VXLAN_PORT 65535
];

#[test]
fn vxlan_limits_match_iproute2() {
    let config = vxlan::Vxlan { port: Some(u16::MAX), ..vxlan::Vxlan::new(vxlan::VNI_MAX) };
    assert_eq!(emit(vxlan::create(&LinkSettings::named("vxl"), &config).unwrap()), VXLAN_LIMITS);

    let parsed = parse(&VXLAN_LIMITS);
    assert_eq!(top_u32(&parsed, link::IFLA_NET_NS_FD), None);
    assert_eq!(data_attr(&parsed, vxlan::IFLA_VXLAN_ID).as_u32(), Some(16_777_215));
    assert_eq!(be16(data_attr(&parsed, vxlan::IFLA_VXLAN_PORT)), 65535);
}

/// `ip link add link p0 name mvbridge netns A type macvlan mode bridge`.
#[rustfmt::skip]
const MACVLAN_BRIDGE: [u8; 92] = [
    0x5c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3 (p0)
    13, 0, 3, 0,  b'm', b'v', b'b', b'r', b'i', b'd', b'g', b'e', 0,  0, 0, 0, // IFLA_IFNAME "mvbridge"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan", without NUL
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  4, 0, 0, 0,                                               //     IFLA_MACVLAN_MODE bridge
];

/// `ip link add link p0 name mvprivate netns A type macvlan mode private`.
#[rustfmt::skip]
const MACVLAN_PRIVATE: [u8; 92] = [
    0x5c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    14, 0, 3, 0,  b'm', b'v', b'p', b'r', b'i', b'v', b'a', b't', b'e', 0,  0, 0, // IFLA_IFNAME "mvprivate"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  1, 0, 0, 0,                                               //     IFLA_MACVLAN_MODE private
];

/// `ip link add link p0 name mvvepa netns A type macvlan mode vepa`.
#[rustfmt::skip]
const MACVLAN_VEPA: [u8; 88] = [
    0x58, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    11, 0, 3, 0,  b'm', b'v', b'v', b'e', b'p', b'a', 0,  0,                   // IFLA_IFNAME "mvvepa"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  2, 0, 0, 0,                                               //     IFLA_MACVLAN_MODE vepa
];

/// `ip link add link p0 name mvpassthru netns A type macvlan mode passthru`. The kernel
/// rejected it (a veth parent with other macvlans on it), but the request was recorded.
#[rustfmt::skip]
const MACVLAN_PASSTHRU: [u8; 92] = [
    0x5c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    15, 0, 3, 0,  b'm', b'v', b'p', b'a', b's', b's', b't', b'h', b'r', b'u', 0,  0, // IFLA_IFNAME "mvpassthru"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  8, 0, 0, 0,                                               //     IFLA_MACVLAN_MODE passthru
];

/// `ip link add link p0 name mvsource netns A type macvlan mode source`.
#[rustfmt::skip]
const MACVLAN_SOURCE: [u8; 92] = [
    0x5c, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    13, 0, 3, 0,  b'm', b'v', b's', b'o', b'u', b'r', b'c', b'e', 0,  0, 0, 0, // IFLA_IFNAME "mvsource"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  16, 0, 0, 0,                                              //     IFLA_MACVLAN_MODE source
];

const MACVLAN_MODES: [(&[u8], &str, u32); 5] = [
    (&MACVLAN_PRIVATE, "mvprivate", macvlan::MACVLAN_MODE_PRIVATE),
    (&MACVLAN_VEPA, "mvvepa", macvlan::MACVLAN_MODE_VEPA),
    (&MACVLAN_BRIDGE, "mvbridge", macvlan::MACVLAN_MODE_BRIDGE),
    (&MACVLAN_PASSTHRU, "mvpassthru", macvlan::MACVLAN_MODE_PASSTHRU),
    (&MACVLAN_SOURCE, "mvsource", macvlan::MACVLAN_MODE_SOURCE),
];

#[test]
fn macvlan_modes_match_iproute2() {
    for (golden, name, mode) in MACVLAN_MODES {
        let settings =
            LinkSettings { netns_fd: Some(4), parent_index: Some(3), ..LinkSettings::named(name) };
        let bytes = emit(macvlan::create(&settings, Some(mode)).unwrap());
        assert_eq!(bytes, golden, "macvlan {name}");
    }
}

#[test]
fn macvlan_goldens_parse() {
    for (golden, name, mode) in MACVLAN_MODES {
        let parsed = parse(golden);
        assert_eq!(parsed.kind, "macvlan");
        assert_eq!(top_name(&parsed), name);
        assert_eq!(top_u32(&parsed, link::IFLA_LINK), Some(3), "macvlan {name}");
        assert_eq!(top_u32(&parsed, link::IFLA_NET_NS_FD), Some(4), "macvlan {name}");
        assert_eq!(data_kinds(&parsed), [macvlan::IFLA_MACVLAN_MODE], "macvlan {name}");
        assert_eq!(
            data_attr(&parsed, macvlan::IFLA_MACVLAN_MODE).as_u32(),
            Some(mode),
            "macvlan {name}"
        );
    }
}

/// `ip link add link p0 name mvd netns A type macvlan`: no mode, so no `IFLA_INFO_DATA`.
#[rustfmt::skip]
const MACVLAN_DEFAULT: [u8; 72] = [
    0x48, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    8, 0, 3, 0,  b'm', b'v', b'd', 0,                                          // IFLA_IFNAME "mvd"
    0x10, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
];

#[test]
fn macvlan_default_mode_matches_iproute2() {
    let settings =
        LinkSettings { netns_fd: Some(4), parent_index: Some(3), ..LinkSettings::named("mvd") };
    assert_eq!(emit(macvlan::create(&settings, None).unwrap()), MACVLAN_DEFAULT);

    let parsed = parse(&MACVLAN_DEFAULT);
    assert_eq!(parsed.kind, "macvlan");
    assert_eq!(top_u32(&parsed, link::IFLA_LINK), Some(3));
    assert!(parsed.data.is_empty());
}

/// `ip link add link p0 name mvx netns A mtu 1400 address 02:00:00:00:00:05 type macvlan
/// mode bridge`: iproute2 puts `IFLA_LINK` after the MTU and address, before the name.
#[rustfmt::skip]
const MACVLAN_MTU_MAC: [u8; 104] = [
    0x68, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 4, 0,  0x78, 0x05, 0, 0,                                             // IFLA_MTU 1400
    10, 0, 1, 0,  2, 0, 0, 0, 0, 5,  0, 0,                                     // IFLA_ADDRESS, 2 bytes padding
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    8, 0, 3, 0,  b'm', b'v', b'x', 0,                                          // IFLA_IFNAME "mvx"
    0x1c, 0, 18, 0,                                                            // IFLA_LINKINFO
      11, 0, 1, 0,  b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0,               //   IFLA_INFO_KIND "macvlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        8, 0, 1, 0,  4, 0, 0, 0,                                               //     IFLA_MACVLAN_MODE bridge
];

#[test]
fn macvlan_with_mtu_and_mac_matches_iproute2() {
    let settings = LinkSettings {
        netns_fd: Some(4),
        parent_index: Some(3),
        mtu: Some(1400),
        mac: Some([2, 0, 0, 0, 0, 5]),
        ..LinkSettings::named("mvx")
    };
    let msg = macvlan::create(&settings, Some(macvlan::MACVLAN_MODE_BRIDGE)).unwrap();
    assert_eq!(emit(msg), MACVLAN_MTU_MAC);

    let parsed = parse(&MACVLAN_MTU_MAC);
    assert_eq!(top_u32(&parsed, link::IFLA_MTU), Some(1400));
    assert_eq!(
        AttrIter::find(parsed.attrs, link::IFLA_ADDRESS).unwrap().payload,
        [2, 0, 0, 0, 0, 5]
    );
    assert_eq!(top_u32(&parsed, link::IFLA_LINK), Some(3));
}

/// `ip link add link p0 name v100 netns A type vlan id 100`. The test kernel has no 8021q
/// module and rejected it ("Unknown device type"), but strace recorded the request first.
#[rustfmt::skip]
const VLAN_100: [u8; 84] = [
    0x54, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    9, 0, 3, 0,  b'v', b'1', b'0', b'0', 0,  0, 0, 0,                          // IFLA_IFNAME "v100"
    0x18, 0, 18, 0,                                                            // IFLA_LINKINFO
      8, 0, 1, 0,  b'v', b'l', b'a', b'n',                                     //   IFLA_INFO_KIND "vlan"
      0x0c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        6, 0, 1, 0,  100, 0, 0, 0,                                             //     IFLA_VLAN_ID 100, host order
];

#[test]
fn vlan_matches_iproute2() {
    let settings =
        LinkSettings { netns_fd: Some(4), parent_index: Some(3), ..LinkSettings::named("v100") };
    assert_eq!(emit(vlan::create(&settings, 100).unwrap()), VLAN_100);
}

#[test]
fn vlan_golden_parses() {
    let parsed = parse(&VLAN_100);
    assert_eq!(parsed.kind, "vlan");
    assert_eq!(top_name(&parsed), "v100");
    assert_eq!(top_u32(&parsed, link::IFLA_LINK), Some(3));
    assert_eq!(top_u32(&parsed, link::IFLA_NET_NS_FD), Some(4));
    assert_eq!(data_kinds(&parsed), [vlan::IFLA_VLAN_ID]);
    assert_eq!(data_attr(&parsed, vlan::IFLA_VLAN_ID).as_u16(), Some(100));
}

/// `ip link add link p0 name v101 type vlan protocol 802.1Q id 101`, without a namespace.
#[rustfmt::skip]
const VLAN_PROTOCOL: [u8; 84] = [
    0x54, 0, 0, 0,  16, 0,  0x05, 0x06,  0xfb, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg
    8, 0, 5, 0,  3, 0, 0, 0,                                                   // IFLA_LINK 3
    9, 0, 3, 0,  b'v', b'1', b'0', b'1', 0,  0, 0, 0,                          // IFLA_IFNAME "v101"
    0x20, 0, 18, 0,                                                            // IFLA_LINKINFO
      8, 0, 1, 0,  b'v', b'l', b'a', b'n',                                     //   IFLA_INFO_KIND "vlan"
      0x14, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        6, 0, 5, 0,  0x81, 0x00, 0, 0,                                         //     IFLA_VLAN_PROTOCOL 0x8100, be16
        6, 0, 1, 0,  101, 0, 0, 0,                                             //     IFLA_VLAN_ID 101
];

#[test]
fn vlan_protocol_matches_iproute2() {
    let settings = LinkSettings { parent_index: Some(3), ..LinkSettings::named("v101") };
    let msg = vlan::create_with_protocol(&settings, 101, vlan::ETH_P_8021Q).unwrap();
    assert_eq!(emit(msg), VLAN_PROTOCOL);

    let parsed = parse(&VLAN_PROTOCOL);
    assert_eq!(data_kinds(&parsed), [vlan::IFLA_VLAN_PROTOCOL, vlan::IFLA_VLAN_ID]);
    assert_eq!(be16(data_attr(&parsed, vlan::IFLA_VLAN_PROTOCOL)), vlan::ETH_P_8021Q);
    assert_eq!(data_attr(&parsed, vlan::IFLA_VLAN_ID).as_u16(), Some(101));
}
