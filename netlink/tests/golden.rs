//! Golden bytes: each request is compared byte for byte with what iproute2 6.1 sent for the
//! same operation (captured with `strace -e write=FD`), and the captured bytes are parsed
//! back and checked field by field.

use koko_netlink::addr::{self, IfAddrMsg, IFA_ADDRESS, IFA_F_NODAD, IFA_LOCAL};
use koko_netlink::attr::AttrIter;
use koko_netlink::link::{self, veth, IfInfoMsg, LinkRef, LinkSettings};
use koko_netlink::message::{MessageBuilder, MessageIter, NLM_F_ACK};

/// Sequence number iproute2 used in the captures.
const SEQ: u32 = 0x6b13_2f8a;

fn emit(mut msg: MessageBuilder, seq: u32) -> Vec<u8> {
    msg.set_flags(msg.flags() | NLM_F_ACK);
    msg.finish(seq).unwrap().to_vec()
}

/// `ip link add name a2 netns A mtu 1400 address 02:00:00:00:00:01 type veth peer name b2
/// netns B mtu 1400 address 02:00:00:00:00:02`, with A open as fd 4 and B as fd 5.
#[rustfmt::skip]
const VETH: [u8; 140] = [
    0x8c, 0, 0, 0,  16, 0,  0x05, 0x06,  0x80, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                          // ifinfomsg: all zero
    8, 0, 28, 0,  4, 0, 0, 0,                                                  // IFLA_NET_NS_FD 4
    8, 0, 4, 0,  0x78, 0x05, 0, 0,                                             // IFLA_MTU 1400
    10, 0, 1, 0,  2, 0, 0, 0, 0, 1,  0, 0,                                     // IFLA_ADDRESS, 2 bytes padding
    7, 0, 3, 0,  b'a', b'2', 0,  0,                                            // IFLA_IFNAME "a2"
    0x48, 0, 18, 0,                                                            // IFLA_LINKINFO
      8, 0, 1, 0,  b'v', b'e', b't', b'h',                                     //   IFLA_INFO_KIND "veth", without NUL
      0x3c, 0, 2, 0,                                                           //   IFLA_INFO_DATA
        0x38, 0, 1, 0,                                                         //     VETH_INFO_PEER
          0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                   //       ifinfomsg
          8, 0, 28, 0,  5, 0, 0, 0,                                            //       IFLA_NET_NS_FD 5
          8, 0, 4, 0,  0x78, 0x05, 0, 0,                                       //       IFLA_MTU 1400
          10, 0, 1, 0,  2, 0, 0, 0, 0, 2,  0, 0,                               //       IFLA_ADDRESS
          7, 0, 3, 0,  b'b', b'2', 0,  0,                                      //       IFLA_IFNAME "b2"
];

#[test]
fn veth_pair_matches_iproute2() {
    let end = LinkSettings {
        netns_fd: Some(4),
        mtu: Some(1400),
        mac: Some([2, 0, 0, 0, 0, 1]),
        ..LinkSettings::named("a2")
    };
    let peer = LinkSettings {
        netns_fd: Some(5),
        mtu: Some(1400),
        mac: Some([2, 0, 0, 0, 0, 2]),
        ..LinkSettings::named("b2")
    };
    assert_eq!(emit(veth::create_pair(&end, &peer).unwrap(), 0x6b13_2f80), VETH);
}

#[test]
fn veth_pair_golden_parses() {
    let message = MessageIter::new(&VETH).next().unwrap();
    assert_eq!(message.header.kind, link::RTM_NEWLINK);
    assert_eq!(message.header.len as usize, VETH.len());
    let info = link::LinkInfo::parse(&message).unwrap();
    assert_eq!(info.name, "a2");
    assert_eq!(info.mtu, Some(1400));
    assert_eq!(info.kind.as_deref(), Some("veth"));
    let attrs = &message.payload[link::IFINFOMSG_LEN..];
    assert_eq!(AttrIter::find(attrs, link::IFLA_NET_NS_FD).unwrap().as_u32(), Some(4));
    let linkinfo = AttrIter::find(attrs, link::IFLA_LINKINFO).unwrap();
    let data = AttrIter::find(linkinfo.payload, link::IFLA_INFO_DATA).unwrap();
    let peer = AttrIter::find(data.payload, veth::VETH_INFO_PEER).unwrap();
    assert_eq!(IfInfoMsg::parse(peer.payload), Some(IfInfoMsg::default()));
    let peer_attrs = &peer.payload[link::IFINFOMSG_LEN..];
    assert_eq!(AttrIter::find(peer_attrs, link::IFLA_IFNAME).unwrap().as_str(), Some("b2"));
    assert_eq!(AttrIter::find(peer_attrs, link::IFLA_NET_NS_FD).unwrap().as_u32(), Some(5));
    assert_eq!(AttrIter::find(peer_attrs, link::IFLA_ADDRESS).unwrap().payload, [2, 0, 0, 0, 0, 2]);
}

/// `ip link set dev b up` after iproute2 looked up b's index (2).
#[rustfmt::skip]
const LINK_UP: [u8; 32] = [
    0x20, 0, 0, 0,  16, 0,  0x05, 0,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // RTM_NEWLINK, REQUEST|ACK
    0, 0, 0, 0,  2, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,                     // index 2, flags IFF_UP, change IFF_UP
];

#[test]
fn link_up_matches_iproute2() {
    let msg = link::set_flags(LinkRef::Index(2), link::IFF_UP, link::IFF_UP).unwrap();
    assert_eq!(emit(msg, SEQ), LINK_UP);
    let message = MessageIter::new(&LINK_UP).next().unwrap();
    let header = IfInfoMsg::parse(message.payload).unwrap();
    assert_eq!((header.index, header.flags, header.change), (2, 1, 1));
}

/// `ip link del dev a` after iproute2 looked up a's index (2).
#[rustfmt::skip]
const LINK_DEL: [u8; 32] = [
    0x20, 0, 0, 0,  17, 0,  0x05, 0,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // RTM_DELLINK, REQUEST|ACK
    0, 0, 0, 0,  2, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                     // index 2
];

#[test]
fn link_delete_matches_iproute2() {
    assert_eq!(emit(link::delete(LinkRef::Index(2)).unwrap(), SEQ), LINK_DEL);
    let message = MessageIter::new(&LINK_DEL).next().unwrap();
    assert_eq!(message.header.kind, link::RTM_DELLINK);
    assert_eq!(IfInfoMsg::parse(message.payload).unwrap().index, 2);
}

/// `ip link add name v5 group 7 type veth peer name p5 group 7`.
#[rustfmt::skip]
const VETH_GROUP: [u8; 100] = [
    0x64, 0, 0, 0,  16, 0,  0x05, 0x06,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0,
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
    8, 0, 27, 0,  7, 0, 0, 0,                                   // IFLA_GROUP 7
    7, 0, 3, 0,  b'v', b'5', 0, 0,                              // IFLA_IFNAME "v5"
    0x34, 0, 18, 0,
      8, 0, 1, 0,  b'v', b'e', b't', b'h',
      0x28, 0, 2, 0,
        0x24, 0, 1, 0,
          0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
          8, 0, 27, 0,  7, 0, 0, 0,
          7, 0, 3, 0,  b'p', b'5', 0, 0,
];

#[test]
fn veth_group_matches_iproute2() {
    let end = LinkSettings { group: Some(7), ..LinkSettings::named("v5") };
    let peer = LinkSettings { group: Some(7), ..LinkSettings::named("p5") };
    assert_eq!(emit(veth::create_pair(&end, &peer).unwrap(), SEQ), VETH_GROUP);
}

/// `ip link set group 7 up` and `ip link del group 7`.
#[rustfmt::skip]
const GROUP_UP: [u8; 40] = [
    0x28, 0, 0, 0,  16, 0,  0x05, 0,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0,
    0, 0, 0, 0,  0, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,          // flags and change IFF_UP, index 0
    8, 0, 27, 0,  7, 0, 0, 0,                                   // IFLA_GROUP 7
];
#[rustfmt::skip]
const GROUP_DEL: [u8; 40] = [
    0x28, 0, 0, 0,  17, 0,  0x05, 0,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0,
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
    8, 0, 27, 0,  7, 0, 0, 0,
];

#[test]
fn group_requests_match_iproute2() {
    let up = link::set_group_flags(7, link::IFF_UP, link::IFF_UP).unwrap();
    assert_eq!(emit(up, SEQ), GROUP_UP);
    assert_eq!(emit(link::delete_group(7).unwrap(), SEQ), GROUP_DEL);
    let message = MessageIter::new(&GROUP_DEL).next().unwrap();
    let attrs = &message.payload[link::IFINFOMSG_LEN..];
    assert_eq!(AttrIter::find(attrs, link::IFLA_GROUP).unwrap().as_u32(), Some(7));
}

/// `ip addr add 10.0.0.1/24 dev a` with a at index 2.
#[rustfmt::skip]
const ADDR_V4: [u8; 40] = [
    0x28, 0, 0, 0,  20, 0,  0x05, 0x06,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE
    2, 24, 0, 0,  2, 0, 0, 0,                                   // ifaddrmsg: AF_INET, /24, index 2
    8, 0, 2, 0,  10, 0, 0, 1,                                   // IFA_LOCAL
    8, 0, 1, 0,  10, 0, 0, 1,                                   // IFA_ADDRESS
];

/// `ip addr add fd00::1/64 dev a nodad` with a at index 2.
#[rustfmt::skip]
const ADDR_V6: [u8; 64] = [
    0x40, 0, 0, 0,  20, 0,  0x05, 0x06,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0,
    10, 64, 2, 0,  2, 0, 0, 0,                                  // AF_INET6, /64, IFA_F_NODAD, index 2
    20, 0, 2, 0,  0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    20, 0, 1, 0,  0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
];

#[test]
fn addresses_match_iproute2() {
    let v4 = addr::add(2, "10.0.0.1".parse().unwrap(), 24, 0).unwrap();
    assert_eq!(emit(v4, SEQ), ADDR_V4);
    let v6 = addr::add(2, "fd00::1".parse().unwrap(), 64, IFA_F_NODAD).unwrap();
    assert_eq!(emit(v6, SEQ), ADDR_V6);
}

#[test]
fn address_goldens_parse() {
    for (bytes, family, prefix, flags, text) in
        [(&ADDR_V4[..], 2, 24, 0, "10.0.0.1"), (&ADDR_V6[..], 10, 64, IFA_F_NODAD, "fd00::1")]
    {
        let message = MessageIter::new(bytes).next().unwrap();
        let header = IfAddrMsg::parse(message.payload).unwrap();
        assert_eq!(header.family, family);
        assert_eq!(header.prefix_len, prefix);
        let info = addr::AddressInfo::parse(&message).unwrap();
        assert_eq!(info.flags, flags);
        assert_eq!(info.addr, Some(text.parse().unwrap()));
        let attrs = &message.payload[addr::IFADDRMSG_LEN..];
        assert!(AttrIter::find(attrs, IFA_LOCAL).is_some());
        assert!(AttrIter::find(attrs, IFA_ADDRESS).is_some());
    }
}
