//! The `KOKO_DEBUG` formatter: golden requests (copied from the golden-byte tests) and
//! hand-built replies must show their key fields by name, and no truncated or mutated
//! input may make it panic.

use koko_netlink::debug::format;

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

/// `ip link set dev b up` after iproute2 looked up b's index (2).
#[rustfmt::skip]
const LINK_UP: [u8; 32] = [
    0x20, 0, 0, 0,  16, 0,  0x05, 0,  0x8a, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // RTM_NEWLINK, REQUEST|ACK
    0, 0, 0, 0,  2, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,                     // index 2, flags IFF_UP, change IFF_UP
];

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

/// `tc qdisc add dev a clsact`.
#[rustfmt::skip]
const QDISC_ADD: [u8; 48] = [
    0x30, 0, 0, 0,  36, 0,  0x05, 0x06,  0xef, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_NEWQDISC, REQUEST|ACK|EXCL|CREATE
    0, 0, 0, 0,                                                 // tcmsg: family AF_UNSPEC, 3 bytes padding
    3, 0, 0, 0,                                                 //   ifindex 3
    0, 0, 0xff, 0xff,                                           //   handle ffff:0
    0xf1, 0xff, 0xff, 0xff,                                     //   parent TC_H_CLSACT
    0, 0, 0, 0,                                                 //   info 0
    11, 0, 1, 0,  b'c', b'l', b's', b'a', b'c', b't', 0,  0,    // TCA_KIND "clsact" with NUL, 1 byte padding
];

/// `tc filter add dev a ingress protocol all prio 49152 handle 800::800 u32 match u32 0 0
/// action mirred egress mirror dev c`.
#[rustfmt::skip]
const FILTER_INGRESS: [u8; 140] = [
    0x8c, 0, 0, 0,  44, 0,  0x05, 0x06,  0xef, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_NEWTFILTER, REQUEST|ACK|EXCL|CREATE
    0, 0, 0, 0,                                                 // tcmsg: family AF_UNSPEC
    3, 0, 0, 0,                                                 //   ifindex 3
    0, 0x08, 0, 0x80,                                           //   handle 800::800
    0xf2, 0xff, 0xff, 0xff,                                     //   parent ffff:fff2, the ingress hook
    0, 0x03, 0, 0xc0,                                           //   info: htons(ETH_P_ALL) low, prio 0xc000 high
    8, 0, 1, 0,  b'u', b'3', b'2', 0,                           // TCA_KIND "u32"
    0x60, 0, 2, 0,                                              // TCA_OPTIONS
      0x38, 0, 7, 0,                                            //   TCA_U32_ACT
        0x34, 0, 1, 0,                                          //     action 1
          11, 0, 1, 0,  b'm', b'i', b'r', b'r', b'e', b'd', 0,  0, //   TCA_ACT_KIND "mirred"
          0x24, 0, 2, 0x80,                                     //       TCA_ACT_OPTIONS | NLA_F_NESTED
            0x20, 0, 2, 0,                                      //         TCA_MIRRED_PARMS (struct tc_mirred)
              0, 0, 0, 0,                                       //           index 0: the kernel picks one
              0, 0, 0, 0,                                       //           capab 0
              3, 0, 0, 0,                                       //           action TC_ACT_PIPE
              0, 0, 0, 0,  0, 0, 0, 0,                          //           refcnt 0, bindcnt 0
              2, 0, 0, 0,                                       //           eaction TCA_EGRESS_MIRROR
              5, 0, 0, 0,                                       //           ifindex 5
      0x24, 0, 5, 0,                                            //   TCA_U32_SEL (struct tc_u32_sel)
        1, 0, 1, 0,                                             //     flags TC_U32_TERMINAL, offshift 0, nkeys 1, padding
        0, 0, 0, 0,                                             //     offmask 0, off 0
        0, 0, 0, 0,                                             //     offoff 0, hoff 0
        0, 0, 0, 0,                                             //     hmask 0
        0, 0, 0, 0,  0, 0, 0, 0,                                //     key: mask 0, val 0
        0, 0, 0, 0,  0, 0, 0, 0,                                //          off 0, offmask 0
];

const GOLDENS: [&[u8]; 9] = [
    &VETH,
    &LINK_UP,
    &ADDR_V4,
    &ADDR_V6,
    &VXLAN_GROUP,
    &MACVLAN_BRIDGE,
    &VLAN_PROTOCOL,
    &QDISC_ADD,
    &FILTER_INGRESS,
];

/// Asserts that `text` has a line equal to `expected` once leading spaces are removed.
fn assert_line(text: &str, expected: &str) {
    assert!(
        text.lines().any(|line| line.trim_start() == expected),
        "no line {expected:?} in:\n{text}"
    );
}

/// Asserts that `text` has exactly the line `expected`, indentation included.
fn assert_indented_line(text: &str, expected: &str) {
    assert!(text.lines().any(|line| line == expected), "no line {expected:?} in:\n{text}");
}

fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&u16::try_from(4 + payload.len()).unwrap().to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(payload);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&u32::try_from(16 + body.len()).unwrap().to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&4321u32.to_ne_bytes());
    out.extend_from_slice(body);
    out
}

fn ifinfomsg(kind: u16, index: i32, flags: u32) -> Vec<u8> {
    let mut out = vec![0u8; 16];
    out[2..4].copy_from_slice(&kind.to_ne_bytes());
    out[4..8].copy_from_slice(&index.to_ne_bytes());
    out[8..12].copy_from_slice(&flags.to_ne_bytes());
    out
}

#[test]
fn veth_request_shows_both_ends() {
    let text = format("sent", &VETH);
    assert_eq!(
        text.lines().next(),
        Some("koko: netlink sent: RTM_NEWLINK len 140 flags REQUEST|ACK|EXCL|CREATE seq 1796419456 port 0")
    );
    assert_indented_line(&text, "  ifinfomsg family AF_UNSPEC type 0 index 0 flags 0 change 0");
    assert_indented_line(&text, "  IFLA_NET_NS_FD 4");
    assert_indented_line(&text, "  IFLA_MTU 1400");
    assert_indented_line(&text, "  IFLA_ADDRESS 02:00:00:00:00:01");
    assert_indented_line(&text, "  IFLA_IFNAME \"a2\"");
    assert_indented_line(&text, "    IFLA_INFO_KIND \"veth\"");
    assert_indented_line(&text, "      VETH_INFO_PEER {");
    assert_indented_line(
        &text,
        "        ifinfomsg family AF_UNSPEC type 0 index 0 flags 0 change 0",
    );
    assert_indented_line(&text, "        IFLA_NET_NS_FD 5");
    assert_indented_line(&text, "        IFLA_ADDRESS 02:00:00:00:00:02");
    assert_indented_line(&text, "        IFLA_IFNAME \"b2\"");
    assert!(!text.contains("attr "), "an attribute was left unnamed:\n{text}");
}

#[test]
fn link_up_shows_interface_flags() {
    let text = format("sent", &LINK_UP);
    assert_line(&text, "ifinfomsg family AF_UNSPEC type 0 index 2 flags UP change UP");
    assert!(text.contains("flags REQUEST|ACK seq"), "{text}");
}

#[test]
fn address_requests_show_addresses() {
    let text = format("sent", &ADDR_V4);
    assert_line(
        &text,
        "ifaddrmsg family AF_INET prefixlen 24 flags 0 scope RT_SCOPE_UNIVERSE index 2",
    );
    assert_line(&text, "IFA_LOCAL 10.0.0.1");
    assert_line(&text, "IFA_ADDRESS 10.0.0.1");

    let text = format("sent", &ADDR_V6);
    assert_line(
        &text,
        "ifaddrmsg family AF_INET6 prefixlen 64 flags NODAD scope RT_SCOPE_UNIVERSE index 2",
    );
    assert_line(&text, "IFA_LOCAL fd00::1");
    assert_line(&text, "IFA_ADDRESS fd00::1");
}

#[test]
fn link_kind_data_is_named() {
    let text = format("sent", &VXLAN_GROUP);
    assert_line(&text, "IFLA_INFO_KIND \"vxlan\"");
    assert_line(&text, "IFLA_VXLAN_LINK 3");
    assert_line(&text, "IFLA_VXLAN_ID 44");
    assert_line(&text, "IFLA_VXLAN_GROUP 239.1.1.1");
    assert_line(&text, "IFLA_VXLAN_LEARNING 1");
    assert_line(&text, "IFLA_VXLAN_PORT 4789");

    let text = format("sent", &MACVLAN_BRIDGE);
    assert_line(&text, "IFLA_LINK 3");
    assert_line(&text, "IFLA_IFNAME \"mvbridge\"");
    assert_line(&text, "IFLA_MACVLAN_MODE bridge");

    let text = format("sent", &VLAN_PROTOCOL);
    assert_line(&text, "IFLA_VLAN_PROTOCOL 0x8100 (802.1Q)");
    assert_line(&text, "IFLA_VLAN_ID 101");
}

#[test]
fn tc_requests_show_handles_and_actions() {
    let text = format("sent", &QDISC_ADD);
    assert!(
        text.starts_with("koko: netlink sent: RTM_NEWQDISC len 48 flags REQUEST|ACK|EXCL|CREATE"),
        "{text}"
    );
    assert_line(
        &text,
        "tcmsg family AF_UNSPEC ifindex 3 handle ffff:0 parent ffff:fff1 (ingress) info 0",
    );
    assert_line(&text, "TCA_KIND \"clsact\"");

    let text = format("sent", &FILTER_INGRESS);
    assert_line(
        &text,
        "tcmsg family AF_UNSPEC ifindex 3 handle 8000:800 parent ffff:fff2 (clsact ingress) prio 49152 protocol 0x0003 (all)",
    );
    assert_line(&text, "TCA_KIND \"u32\"");
    assert_line(&text, "TCA_U32_ACT {");
    assert_line(&text, "action 1 {");
    assert_line(&text, "TCA_ACT_KIND \"mirred\"");
    assert_line(&text, "TCA_ACT_OPTIONS NLA_F_NESTED {");
    assert_line(
        &text,
        "TCA_MIRRED_PARMS index 0 capab 0 action PIPE refcnt 0 bindcnt 0 eaction EGRESS_MIRROR ifindex 5",
    );
    assert_line(
        &text,
        "TCA_U32_SEL flags TERMINAL offshift 0 nkeys 1 offmask 0x0000 off 0 offoff 0 hoff 0 hmask 0x00000000",
    );
    assert_line(&text, "key 0 mask 0x00000000 val 0x00000000 off 0 offmask 0");
}

#[test]
fn link_reply_summarizes_blobs() {
    let flags = 0x1 | 0x2 | 0x10000; // IFF_UP | IFF_BROADCAST | IFF_LOWER_UP
    let mut body = ifinfomsg(1, 7, flags);
    body.extend(attr(3, b"eth0\0"));
    body.extend(attr(16, &[6])); // IFLA_OPERSTATE IF_OPER_UP
    body.extend(attr(23, &[0xab; 200])); // IFLA_STATS64
    body.extend(attr(26, &attr(10, &[0xcd; 800]))); // IFLA_AF_SPEC with an AF_INET6 nest
    body.extend(attr(999, &(0u8..20).collect::<Vec<u8>>()));
    let text = format("received", &message(16, 0, 9, &body));

    assert!(text.starts_with("koko: netlink received: RTM_NEWLINK len "), "{text}");
    assert_line(
        &text,
        "ifinfomsg family AF_UNSPEC type ARPHRD_ETHER index 7 flags UP|BROADCAST|LOWER_UP change 0",
    );
    assert_line(&text, "IFLA_IFNAME \"eth0\"");
    assert_line(&text, "IFLA_OPERSTATE UP");
    assert_line(&text, "IFLA_STATS64 len 200");
    assert_line(&text, "IFLA_AF_SPEC len 804");
    assert_line(&text, "attr 999 len 20: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f ...");
    assert!(!text.contains("ab ab"), "statistics were dumped in hex:\n{text}");
    assert!(!text.contains("cd cd"), "IFLA_AF_SPEC was dumped in hex:\n{text}");
}

#[test]
fn dump_request_and_done_are_named() {
    let text = format("sent", &message(18, 0x301, 5, &ifinfomsg(0, 0, 0)));
    assert!(
        text.starts_with(
            "koko: netlink sent: RTM_GETLINK len 32 flags REQUEST|DUMP seq 5 port 4321\n"
        ),
        "{text}"
    );

    let text = format("received", &message(3, 0x2, 5, &0i32.to_ne_bytes()));
    assert!(
        text.starts_with("koko: netlink received: NLMSG_DONE len 20 flags MULTI seq 5"),
        "{text}"
    );
    assert_line(&text, "status 0");
}

/// Builds an `NLMSG_ERROR` reply to `request` with `code` and extended-ACK attributes
/// `tlvs`.
fn error_reply(flags: u16, code: i32, request: &[u8], tlvs: &[u8]) -> Vec<u8> {
    let mut body = code.to_ne_bytes().to_vec();
    body.extend_from_slice(request);
    body.extend_from_slice(tlvs);
    message(2, flags, 0x6b13_2f8a, &body)
}

#[test]
fn error_shows_errno_request_and_extended_ack() {
    let tlvs = [attr(1, b"boom\0"), attr(2, &20u32.to_ne_bytes())].concat();
    // Not capped: the whole request is echoed and decoded under the request line.
    let text = format("received", &error_reply(0x200, -17, &LINK_UP, &tlvs));
    assert!(
        text.starts_with("koko: netlink received: NLMSG_ERROR len 72 flags ACK_TLVS seq"),
        "{text}"
    );
    assert_indented_line(&text, "  error -17 EEXIST (File exists)");
    assert_indented_line(
        &text,
        "  request RTM_NEWLINK len 32 flags REQUEST|ACK seq 1796419466 port 0",
    );
    assert_indented_line(&text, "    ifinfomsg family AF_UNSPEC type 0 index 2 flags UP change UP");
    assert_indented_line(&text, "  NLMSGERR_ATTR_MSG \"boom\"");
    assert_indented_line(&text, "  NLMSGERR_ATTR_OFFS 20");

    // Capped: only the request's header is echoed.
    let text = format("received", &error_reply(0x300, -22, &LINK_UP[..16], &tlvs));
    assert!(text.contains(" flags CAPPED|ACK_TLVS "), "{text}");
    assert_line(&text, "error -22 EINVAL (Invalid argument)");
    assert_line(&text, "request RTM_NEWLINK len 32 flags REQUEST|ACK seq 1796419466 port 0");
    assert!(!text.contains("ifinfomsg"), "{text}");
    assert_line(&text, "NLMSGERR_ATTR_MSG \"boom\"");

    let text = format("received", &error_reply(0x100, 0, &LINK_UP[..16], &[]));
    assert_line(&text, "error 0 (ACK)");
}

#[test]
fn wrong_length_value_is_shown_in_hex() {
    let mut body = ifinfomsg(0, 0, 0);
    body.extend(attr(4, &[0x78, 0x05])); // IFLA_MTU needs 4 bytes
    let text = format("sent", &message(16, 1, 1, &body));
    assert_line(&text, "IFLA_MTU len 2 (unexpected length): 78 05");
}

#[test]
fn unknown_link_kind_data_is_shown_by_number() {
    let mut body = ifinfomsg(0, 0, 0);
    let info = [attr(1, b"dummy"), attr(2, &attr(7, &9u32.to_ne_bytes()))].concat();
    body.extend(attr(18, &info));
    let text = format("sent", &message(16, 1, 1, &body));
    assert_line(&text, "IFLA_INFO_KIND \"dummy\"");
    assert_line(&text, "IFLA_INFO_DATA {");
    assert_line(&text, "attr 7 len 4: 09 00 00 00");
}

#[test]
fn several_messages_and_malformed_tail() {
    let mut bytes = [&LINK_UP[..], &ADDR_V4[..]].concat();
    bytes.extend_from_slice(&[0xff; 5]);
    let text = format("received", &bytes);
    let headers: Vec<&str> = text.lines().filter(|line| line.starts_with("koko: ")).collect();
    assert_eq!(headers.len(), 3, "{text}");
    assert!(headers[0].contains("RTM_NEWLINK"), "{text}");
    assert!(headers[1].contains("RTM_NEWADDR"), "{text}");
    assert_eq!(
        headers[2],
        "koko: netlink received: malformed message at byte 72 of 77: ff ff ff ff ff"
    );
}

#[test]
fn malformed_attribute_is_reported() {
    let mut body = ifinfomsg(0, 0, 0);
    body.extend(attr(3, b"a\0"));
    body.extend_from_slice(&[200, 0, 4, 0]); // claims 200 bytes, has 4
    let text = format("sent", &message(16, 1, 1, &body));
    assert_line(&text, "IFLA_IFNAME \"a\"");
    assert_line(&text, "malformed attribute (length field out of range)");
}

#[test]
fn deep_nesting_is_cut_off() {
    // 4000 levels of unknown attributes flagged NLA_F_NESTED, each wrapping the next.
    let mut nest = Vec::new();
    for _ in 0..4000 {
        nest = attr(0x8000 | 200, &nest);
    }
    let mut body = ifinfomsg(0, 0, 0);
    body.extend(nest);
    let text = format("received", &message(16, 0, 1, &body));
    assert!(text.contains("(nested too deep to show)"), "{text}");
    assert!(text.lines().count() < 40, "{text}");
}

#[test]
fn truncated_goldens_do_not_panic() {
    for golden in GOLDENS {
        for len in 0..golden.len() {
            let text = format("received", &golden[..len]);
            if len > 0 {
                assert!(text.starts_with("koko: netlink received: "), "prefix {len}:\n{text}");
            }
        }
    }
}

#[test]
fn mutated_goldens_do_not_panic() {
    for golden in GOLDENS {
        for at in 0..golden.len() {
            for value in [
                0,
                1,
                3,
                4,
                5,
                0x7f,
                0x80,
                0xfe,
                0xff,
                golden[at] ^ 0x80,
                golden[at].wrapping_add(4),
            ] {
                let mut bytes = golden.to_vec();
                bytes[at] = value;
                let text = format("received", &bytes);
                assert!(
                    text.starts_with("koko: netlink received: "),
                    "byte {at} = {value:#x}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn random_mutations_do_not_panic() {
    // xorshift32 keeps the run reproducible without a dependency.
    let mut state = 0x2545_f491u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for round in 0..20_000 {
        let golden = GOLDENS[next() as usize % GOLDENS.len()];
        let mut bytes = golden.to_vec();
        for _ in 0..1 + next() % 6 {
            let at = next() as usize % bytes.len();
            bytes[at] = next() as u8;
        }
        let cut = next() as usize % (bytes.len() + 1);
        let text = format("received", &bytes[..cut]);
        if cut > 0 {
            assert!(text.starts_with("koko: netlink received: "), "round {round}:\n{text}");
        }
    }
}
