//! Golden bytes for traffic control: each request is compared byte for byte with what
//! iproute2 6.1 (`tc`) sent for the same operation, and each captured request and dump
//! reply is parsed back and checked field by field.
//!
//! Captured with `strace -e write=3 -e read=3` inside a private network namespace on
//! Linux 6.18: veth `a` (index 3) is the mirrored source and veth `c` (index 5) the
//! target. The filters use prio 49152 (0xc000), the priority the kernel gives the first
//! filter that tc adds without `prio`.

use koko_netlink::attr::AttrIter;
use koko_netlink::message::{Header, Message, MessageBuilder, MessageIter, NLM_F_ACK, NLM_F_DUMP};
use koko_netlink::tc::{self, Direction, FilterInfo, QdiscInfo, TcMirred, TcMsg};

/// Sequence numbers tc used: one for the add requests, one for the rest.
const SEQ_ADD: u32 = 0x6b13_2fef;
const SEQ: u32 = 0x6b13_2ff0;

const SOURCE: i32 = 3;
const TARGET: u32 = 5;
const PRIO: u16 = 49152;

fn emit(mut msg: MessageBuilder, seq: u32) -> Vec<u8> {
    msg.set_flags(msg.flags() | NLM_F_ACK);
    msg.finish(seq).unwrap().to_vec()
}

fn emit_dump(mut msg: MessageBuilder, seq: u32) -> Vec<u8> {
    msg.set_flags(msg.flags() | NLM_F_DUMP);
    msg.finish(seq).unwrap().to_vec()
}

fn tcmsg_of(bytes: &[u8]) -> TcMsg {
    let message = MessageIter::new(bytes).next().unwrap();
    TcMsg::parse(message.payload).unwrap()
}

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

/// `tc qdisc del dev a clsact`: the same header and kind as the add.
#[rustfmt::skip]
const QDISC_DEL: [u8; 48] = [
    0x30, 0, 0, 0,  37, 0,  0x05, 0,  0xf0, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_DELQDISC, REQUEST|ACK
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0xff, 0xff,  0xf1, 0xff, 0xff, 0xff,  0, 0, 0, 0, // tcmsg: index 3, ffff:0, parent TC_H_CLSACT
    11, 0, 1, 0,  b'c', b'l', b's', b'a', b'c', b't', 0,  0,    // TCA_KIND "clsact"
];

#[test]
fn clsact_add_matches_tc() {
    assert_eq!(emit(tc::add_clsact(SOURCE).unwrap(), SEQ_ADD), QDISC_ADD);
}

#[test]
fn clsact_delete_matches_tc() {
    assert_eq!(emit(tc::delete_clsact(SOURCE).unwrap(), SEQ), QDISC_DEL);
}

#[test]
fn clsact_goldens_parse() {
    for (bytes, kind) in [(&QDISC_ADD, tc::RTM_NEWQDISC), (&QDISC_DEL, tc::RTM_DELQDISC)] {
        let message = MessageIter::new(bytes).next().unwrap();
        assert_eq!(message.header.kind, kind);
        assert_eq!(message.header.len as usize, bytes.len());
        let header = TcMsg::parse(message.payload).unwrap();
        assert_eq!(header.family, 0);
        assert_eq!(header.ifindex, SOURCE);
        assert_eq!(header.handle, tc::CLSACT_HANDLE);
        assert_eq!(header.parent, tc::TC_H_CLSACT);
        assert_eq!(header.info, 0);
        let info = QdiscInfo::parse(&message).unwrap();
        assert_eq!(info.kind, "clsact");
        assert!(info.has_hook(Direction::Ingress));
        assert!(info.has_hook(Direction::Egress));
    }
}

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

/// `tc filter add dev a egress protocol all prio 49152 u32 match u32 0 0 action mirred
/// egress mirror dev c`: handle 0, so the kernel chose one (801::800).
#[rustfmt::skip]
const FILTER_EGRESS: [u8; 140] = [
    0x8c, 0, 0, 0,  44, 0,  0x05, 0x06,  0xef, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_NEWTFILTER, REQUEST|ACK|EXCL|CREATE
    0, 0, 0, 0,                                                 // tcmsg: family AF_UNSPEC
    3, 0, 0, 0,                                                 //   ifindex 3
    0, 0, 0, 0,                                                 //   handle 0
    0xf3, 0xff, 0xff, 0xff,                                     //   parent ffff:fff3, the egress hook
    0, 0x03, 0, 0xc0,                                           //   info: protocol all, prio 0xc000
    8, 0, 1, 0,  b'u', b'3', b'2', 0,                           // TCA_KIND "u32"
    0x60, 0, 2, 0,                                              // TCA_OPTIONS
      0x38, 0, 7, 0,                                            //   TCA_U32_ACT
        0x34, 0, 1, 0,                                          //     action 1
          11, 0, 1, 0,  b'm', b'i', b'r', b'r', b'e', b'd', 0,  0, //   TCA_ACT_KIND "mirred"
          0x24, 0, 2, 0x80,                                     //       TCA_ACT_OPTIONS | NLA_F_NESTED
            0x20, 0, 2, 0,                                      //         TCA_MIRRED_PARMS
              0, 0, 0, 0,  0, 0, 0, 0,                          //           index 0, capab 0
              3, 0, 0, 0,                                       //           action TC_ACT_PIPE
              0, 0, 0, 0,  0, 0, 0, 0,                          //           refcnt 0, bindcnt 0
              2, 0, 0, 0,  5, 0, 0, 0,                          //           eaction TCA_EGRESS_MIRROR, ifindex 5
      0x24, 0, 5, 0,                                            //   TCA_U32_SEL
        1, 0, 1, 0,                                             //     flags TC_U32_TERMINAL, nkeys 1
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                   //     offmask, off, offoff, hoff, hmask: 0
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,      //     key: mask, val, off, offmask: 0
];

#[test]
fn ingress_mirror_filter_matches_tc() {
    let msg =
        tc::add_mirror_filter(SOURCE, Direction::Ingress, PRIO, Some(0x8000_0800), TARGET).unwrap();
    assert_eq!(emit(msg, SEQ_ADD), FILTER_INGRESS);
}

#[test]
fn egress_mirror_filter_matches_tc() {
    let msg = tc::add_mirror_filter(SOURCE, Direction::Egress, PRIO, None, TARGET).unwrap();
    assert_eq!(emit(msg, SEQ_ADD), FILTER_EGRESS);
}

#[test]
fn mirror_filter_goldens_parse() {
    for (bytes, direction, handle) in
        [(&FILTER_INGRESS, Direction::Ingress, 0x8000_0800), (&FILTER_EGRESS, Direction::Egress, 0)]
    {
        let message = MessageIter::new(bytes).next().unwrap();
        assert_eq!(message.header.kind, tc::RTM_NEWTFILTER);
        assert_eq!(message.header.len as usize, bytes.len());

        let info = FilterInfo::parse(&message).unwrap();
        assert_eq!(info.ifindex, SOURCE);
        assert_eq!(info.handle, handle);
        assert_eq!(info.parent, direction.parent());
        assert_eq!(Direction::from_parent(info.parent), Some(direction));
        assert_eq!(info.prio, PRIO);
        assert_eq!(info.protocol, tc::ETH_P_ALL);
        assert_eq!(info.kind, "u32");
        assert_eq!(info.chain, None);
        let expected = TcMirred {
            action: tc::TC_ACT_PIPE,
            eaction: tc::TCA_EGRESS_MIRROR,
            ifindex: TARGET,
            ..TcMirred::default()
        };
        assert_eq!(info.mirred, Some(expected));

        let options = AttrIter::find(&message.payload[tc::TCMSG_LEN..], tc::TCA_OPTIONS).unwrap();
        let selector = AttrIter::find(options.payload, tc::TCA_U32_SEL).unwrap();
        assert_eq!(selector.payload.len(), tc::TC_U32_SEL_LEN + tc::TC_U32_KEY_LEN);
        assert_eq!(selector.payload[0], tc::TC_U32_TERMINAL);
        assert_eq!(selector.payload[2], 1, "nkeys");
        assert!(selector.payload[3..].iter().all(|&byte| byte == 0));
        let actions = AttrIter::find(options.payload, tc::TCA_U32_ACT).unwrap();
        let action = AttrIter::find(actions.payload, 1).unwrap();
        let action_options = AttrIter::find(action.payload, tc::TCA_ACT_OPTIONS).unwrap();
        assert!(action_options.nested);
    }
}

/// `tc filter del dev a ingress prio 49152`: protocol 0 and handle 0 select the whole
/// priority.
#[rustfmt::skip]
const FILTER_DEL_INGRESS: [u8; 36] = [
    0x24, 0, 0, 0,  45, 0,  0x05, 0,  0xf0, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_DELTFILTER, REQUEST|ACK
    0, 0, 0, 0,  3, 0, 0, 0,                                    // tcmsg: AF_UNSPEC, ifindex 3
    0, 0, 0, 0,                                                 //   handle 0
    0xf2, 0xff, 0xff, 0xff,                                     //   parent ffff:fff2
    0, 0, 0, 0xc0,                                              //   info: protocol 0, prio 0xc000
];

/// `tc filter del dev a egress prio 49152`.
#[rustfmt::skip]
const FILTER_DEL_EGRESS: [u8; 36] = [
    0x24, 0, 0, 0,  45, 0,  0x05, 0,  0xf0, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_DELTFILTER, REQUEST|ACK
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0, 0,                       // tcmsg: AF_UNSPEC, ifindex 3, handle 0
    0xf3, 0xff, 0xff, 0xff,                                     //   parent ffff:fff3
    0, 0, 0, 0xc0,                                              //   info: protocol 0, prio 0xc000
];

#[test]
fn filter_delete_matches_tc() {
    assert_eq!(emit(tc::delete_filter(SOURCE, Direction::Ingress, PRIO), SEQ), FILTER_DEL_INGRESS);
    assert_eq!(emit(tc::delete_filter(SOURCE, Direction::Egress, PRIO), SEQ), FILTER_DEL_EGRESS);
}

#[test]
fn filter_delete_goldens_parse() {
    for (bytes, direction) in
        [(&FILTER_DEL_INGRESS, Direction::Ingress), (&FILTER_DEL_EGRESS, Direction::Egress)]
    {
        let header = tcmsg_of(bytes);
        assert_eq!(header.ifindex, SOURCE);
        assert_eq!(header.handle, 0);
        assert_eq!(header.parent, direction.parent());
        assert_eq!(header.prio(), PRIO);
        assert_eq!(header.protocol(), 0);
    }
}

/// `tc filter show dev a egress`.
#[rustfmt::skip]
const FILTER_DUMP: [u8; 36] = [
    0x24, 0, 0, 0,  46, 0,  0x01, 0x03,  0xf0, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_GETTFILTER, REQUEST|DUMP
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0, 0,                       // tcmsg: AF_UNSPEC, ifindex 3, handle 0
    0xf3, 0xff, 0xff, 0xff,                                     //   parent ffff:fff3
    0, 0, 0, 0,                                                 //   info 0: every priority and protocol
];

/// `tc qdisc show dev a`: only the index is set.
#[rustfmt::skip]
const QDISC_DUMP: [u8; 36] = [
    0x24, 0, 0, 0,  38, 0,  0x01, 0x03,  0xf0, 0x2f, 0x13, 0x6b,  0, 0, 0, 0, // nlmsghdr: RTM_GETQDISC, REQUEST|DUMP
    0, 0, 0, 0,  3, 0, 0, 0,                                    // tcmsg: AF_UNSPEC, ifindex 3
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                       //   handle, parent, info 0
];

#[test]
fn dump_requests_match_tc() {
    assert_eq!(emit_dump(tc::dump_filters(SOURCE, Direction::Egress.parent()), SEQ), FILTER_DUMP);
    assert_eq!(emit_dump(tc::dump_qdiscs(SOURCE), SEQ), QDISC_DUMP);
    assert_eq!(tcmsg_of(&FILTER_DUMP).parent, Direction::Egress.parent());
    assert_eq!(tcmsg_of(&QDISC_DUMP).ifindex, SOURCE);
}

/// The kernel's reply to [`FILTER_DUMP`] with both mirror filters installed and after
/// 5 packets went through each: the egress filter (handle 0), its hash table 801: and
/// node 801::800, then the ingress filter's table 800: and node 800::800. The ingress
/// entries appear because both hooks' `u32` tables share one list and have the same
/// priority; the kernel reports them with the egress parent.
#[rustfmt::skip]
const FILTER_DUMP_REPLY: [u8; 732] = [
    // Message 1: the egress filter itself.
    0x34, 0, 0, 0,  44, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x21, 0x45, 0, 0, // nlmsghdr: RTM_NEWTFILTER, MULTI, port 17697
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0, 0,                       // tcmsg: ifindex 3, handle 0
    0xf3, 0xff, 0xff, 0xff,  0, 0x03, 0, 0xc0,                  //   parent ffff:fff3, protocol all, prio 0xc000
    8, 0, 1, 0,  b'u', b'3', b'2', 0,                           // TCA_KIND "u32"
    8, 0, 11, 0,  0, 0, 0, 0,                                   // TCA_CHAIN 0
    // Message 2: hash table 801:.
    0x40, 0, 0, 0,  44, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x21, 0x45, 0, 0,
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0x10, 0x80,                 // tcmsg: ifindex 3, handle 801:
    0xf3, 0xff, 0xff, 0xff,  0, 0x03, 0, 0xc0,
    8, 0, 1, 0,  b'u', b'3', b'2', 0,                           // TCA_KIND "u32"
    8, 0, 11, 0,  0, 0, 0, 0,                                   // TCA_CHAIN 0
    12, 0, 2, 0,                                                // TCA_OPTIONS
      8, 0, 4, 0,  1, 0, 0, 0,                                  //   TCA_U32_DIVISOR 1
    // Message 3: node 801::800, the egress mirror.
    0x14, 1, 0, 0,  44, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x21, 0x45, 0, 0,
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0x08, 0x10, 0x80,              // tcmsg: ifindex 3, handle 801::800
    0xf3, 0xff, 0xff, 0xff,  0, 0x03, 0, 0xc0,
    8, 0, 1, 0,  b'u', b'3', b'2', 0,                           // TCA_KIND "u32"
    8, 0, 11, 0,  0, 0, 0, 0,                                   // TCA_CHAIN 0
    0xe0, 0, 2, 0,                                              // TCA_OPTIONS
      0x24, 0, 5, 0,                                            //   TCA_U32_SEL: TERMINAL, one zero key
        1, 0, 1, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      8, 0, 2, 0,  0, 0, 0x10, 0x80,                            //   TCA_U32_HASH 801:
      8, 0, 11, 0,  8, 0, 0, 0,                                 //   TCA_U32_FLAGS TCA_CLS_FLAGS_NOT_IN_HW
      0xa8, 0, 7, 0,                                            //   TCA_U32_ACT
        0xa4, 0, 1, 0,                                          //     action 1
          11, 0, 1, 0,  b'm', b'i', b'r', b'r', b'e', b'd', 0,  0, //   TCA_ACT_KIND "mirred"
          0x44, 0, 4, 0,                                        //       TCA_ACT_STATS
            0x14, 0, 1, 0,  0xaa, 1, 0, 0, 0, 0, 0, 0,  5, 0, 0, 0,  0, 0, 0, 0, // TCA_STATS_BASIC: 426 bytes, 5 packets
            0x14, 0, 7, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,    // TCA_STATS_BASIC_HW
            0x18, 0, 3, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // TCA_STATS_QUEUE
          8, 0, 10, 0,  0, 0, 0, 0,                             //       TCA_ACT_IN_HW_COUNT 0
          0x48, 0, 2, 0,                                        //       TCA_ACT_OPTIONS
            0x20, 0, 2, 0,                                      //         TCA_MIRRED_PARMS
              2, 0, 0, 0,  0, 0, 0, 0,                          //           index 2, capab 0
              3, 0, 0, 0,                                       //           action TC_ACT_PIPE
              1, 0, 0, 0,  1, 0, 0, 0,                          //           refcnt 1, bindcnt 1
              2, 0, 0, 0,  5, 0, 0, 0,                          //           eaction TCA_EGRESS_MIRROR, ifindex 5
            0x24, 0, 1, 0,                                      //         TCA_MIRRED_TM (struct tcf_t)
              0x2c, 0, 0, 0, 0, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,
              0, 0, 0, 0, 0, 0, 0, 0,  0x2c, 0, 0, 0, 0, 0, 0, 0,
    // Message 4: hash table 800: of the ingress filter.
    0x40, 0, 0, 0,  44, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x21, 0x45, 0, 0,
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0, 0x80,                    // tcmsg: ifindex 3, handle 800:
    0xf3, 0xff, 0xff, 0xff,  0, 0x03, 0, 0xc0,                  //   parent ffff:fff3, though it is on ingress
    8, 0, 1, 0,  b'u', b'3', b'2', 0,
    8, 0, 11, 0,  0, 0, 0, 0,
    12, 0, 2, 0,
      8, 0, 4, 0,  1, 0, 0, 0,                                  //   TCA_U32_DIVISOR 1
    // Message 5: node 800::800, the ingress mirror.
    0x14, 1, 0, 0,  44, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x21, 0x45, 0, 0,
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0x08, 0, 0x80,                 // tcmsg: ifindex 3, handle 800::800
    0xf3, 0xff, 0xff, 0xff,  0, 0x03, 0, 0xc0,
    8, 0, 1, 0,  b'u', b'3', b'2', 0,
    8, 0, 11, 0,  0, 0, 0, 0,
    0xe0, 0, 2, 0,                                              // TCA_OPTIONS
      0x24, 0, 5, 0,                                            //   TCA_U32_SEL
        1, 0, 1, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      8, 0, 2, 0,  0, 0, 0, 0x80,                               //   TCA_U32_HASH 800:
      8, 0, 11, 0,  8, 0, 0, 0,                                 //   TCA_U32_FLAGS TCA_CLS_FLAGS_NOT_IN_HW
      0xa8, 0, 7, 0,                                            //   TCA_U32_ACT
        0xa4, 0, 1, 0,                                          //     action 1
          11, 0, 1, 0,  b'm', b'i', b'r', b'r', b'e', b'd', 0,  0, //   TCA_ACT_KIND "mirred"
          0x44, 0, 4, 0,                                        //       TCA_ACT_STATS: 352 bytes, 5 packets
            0x14, 0, 1, 0,  0x60, 1, 0, 0, 0, 0, 0, 0,  5, 0, 0, 0,  0, 0, 0, 0,
            0x14, 0, 7, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
            0x18, 0, 3, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
          8, 0, 10, 0,  0, 0, 0, 0,                             //       TCA_ACT_IN_HW_COUNT 0
          0x48, 0, 2, 0,                                        //       TCA_ACT_OPTIONS
            0x20, 0, 2, 0,                                      //         TCA_MIRRED_PARMS
              1, 0, 0, 0,  0, 0, 0, 0,                          //           index 1, capab 0
              3, 0, 0, 0,                                       //           action TC_ACT_PIPE
              1, 0, 0, 0,  1, 0, 0, 0,                          //           refcnt 1, bindcnt 1
              2, 0, 0, 0,  5, 0, 0, 0,                          //           eaction TCA_EGRESS_MIRROR, ifindex 5
            0x24, 0, 1, 0,                                      //         TCA_MIRRED_TM
              0x2e, 0, 0, 0, 0, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,
              0, 0, 0, 0, 0, 0, 0, 0,  0x2c, 0, 0, 0, 0, 0, 0, 0,
];

#[test]
fn filter_dump_reply_parses() {
    let mut messages = MessageIter::new(&FILTER_DUMP_REPLY);
    let filters: Vec<FilterInfo> =
        messages.by_ref().map(|message| FilterInfo::parse(&message).unwrap()).collect();
    assert!(!messages.malformed());
    let handles: Vec<u32> = filters.iter().map(|filter| filter.handle).collect();
    assert_eq!(handles, [0, 0x8010_0000, 0x8010_0800, 0x8000_0000, 0x8000_0800]);

    for filter in &filters {
        assert_eq!(filter.ifindex, SOURCE);
        assert_eq!(filter.parent, Direction::Egress.parent());
        assert_eq!(filter.prio, PRIO);
        assert_eq!(filter.protocol, tc::ETH_P_ALL);
        assert_eq!(filter.kind, "u32");
        assert_eq!(filter.chain, Some(0));
    }
    for index in [0, 1, 3] {
        assert_eq!(filters[index].mirred, None, "message {}", index + 1);
    }
    for (index, action_index) in [(2, 2), (4, 1)] {
        let mirred = filters[index].mirred.unwrap();
        assert_eq!(mirred.index, action_index);
        assert_eq!(mirred.action, tc::TC_ACT_PIPE);
        assert_eq!(mirred.refcnt, 1);
        assert_eq!(mirred.bindcnt, 1);
        assert_eq!(mirred.eaction, tc::TCA_EGRESS_MIRROR);
        assert_eq!(mirred.ifindex, TARGET);
    }
}

/// The first two messages of the kernel's reply to [`QDISC_DUMP`]: the kernel sent the
/// qdiscs of links 4 and 5 too, because tc's socket does not ask for strict checking.
#[rustfmt::skip]
const QDISC_DUMP_REPLY: [u8; 300] = [
    // Message 1: the root qdisc of veth a.
    0x94, 0, 0, 0,  36, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x25, 0x45, 0, 0, // nlmsghdr: RTM_NEWQDISC, MULTI, port 17701
    0, 0, 0, 0,  3, 0, 0, 0,  0, 0, 0, 0,                       // tcmsg: ifindex 3, handle 0:
    0xff, 0xff, 0xff, 0xff,                                     //   parent TC_H_ROOT
    2, 0, 0, 0,                                                 //   info: reference count 2
    12, 0, 1, 0,  b'n', b'o', b'q', b'u', b'e', b'u', b'e', 0,  // TCA_KIND "noqueue"
    5, 0, 12, 0,  0, 0, 0, 0,                                   // TCA_HW_OFFLOAD 0
    0x30, 0, 7, 0,                                              // TCA_STATS2
      0x14, 0, 1, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // TCA_STATS_BASIC
      0x18, 0, 3, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // TCA_STATS_QUEUE
    0x2c, 0, 3, 0,                                              // TCA_STATS (struct tc_stats)
      0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
    // Message 2: the clsact qdisc of veth a.
    0x98, 0, 0, 0,  36, 0,  0x02, 0,  0xf0, 0x2f, 0x13, 0x6b,  0x25, 0x45, 0, 0,
    0, 0, 0, 0,  3, 0, 0, 0,                                    // tcmsg: ifindex 3
    0, 0, 0xff, 0xff,                                           //   handle ffff:0
    0xf1, 0xff, 0xff, 0xff,                                     //   parent TC_H_CLSACT
    1, 0, 0, 0,                                                 //   info: reference count 1
    11, 0, 1, 0,  b'c', b'l', b's', b'a', b'c', b't', 0,  0,    // TCA_KIND "clsact"
    4, 0, 2, 0,                                                 // TCA_OPTIONS, empty
    5, 0, 12, 0,  0, 0, 0, 0,                                   // TCA_HW_OFFLOAD 0
    0x30, 0, 7, 0,                                              // TCA_STATS2: 778 bytes, 10 packets
      0x14, 0, 1, 0,  0x0a, 3, 0, 0, 0, 0, 0, 0,  0x0a, 0, 0, 0,  0, 0, 0, 0,
      0x18, 0, 3, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
    0x2c, 0, 3, 0,                                              // TCA_STATS
      0x0a, 3, 0, 0, 0, 0, 0, 0,  0x0a, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
];

#[test]
fn qdisc_dump_reply_parses() {
    let mut messages = MessageIter::new(&QDISC_DUMP_REPLY);
    let qdiscs: Vec<QdiscInfo> =
        messages.by_ref().map(|message| QdiscInfo::parse(&message).unwrap()).collect();
    assert!(!messages.malformed());
    assert_eq!(qdiscs.len(), 2);

    assert_eq!(qdiscs[0].ifindex, SOURCE);
    assert_eq!(qdiscs[0].handle, 0);
    assert_eq!(qdiscs[0].parent, tc::TC_H_ROOT);
    assert_eq!(qdiscs[0].kind, "noqueue");
    assert!(!qdiscs[0].has_hook(Direction::Ingress));
    assert!(!qdiscs[0].has_hook(Direction::Egress));

    assert_eq!(qdiscs[1].ifindex, SOURCE);
    assert_eq!(qdiscs[1].handle, tc::CLSACT_HANDLE);
    assert_eq!(qdiscs[1].parent, tc::TC_H_CLSACT);
    assert_eq!(qdiscs[1].kind, "clsact");
    assert!(qdiscs[1].has_hook(Direction::Ingress));
    assert!(qdiscs[1].has_hook(Direction::Egress));
}

#[test]
fn ingress_qdisc_has_no_egress_hook() {
    let ingress = QdiscInfo {
        ifindex: SOURCE,
        handle: tc::CLSACT_HANDLE,
        parent: tc::TC_H_INGRESS,
        kind: "ingress".to_owned(),
    };
    assert!(ingress.has_hook(Direction::Ingress));
    assert!(!ingress.has_hook(Direction::Egress));
}

/// Runs every parser on one message.
fn parse_all(message: &Message<'_>) {
    let _ = TcMsg::parse(message.payload);
    let _ = QdiscInfo::parse(message);
    let _ = FilterInfo::parse(message);
    let _ = TcMirred::parse(message.payload);
}

const GOLDENS: [&[u8]; 10] = [
    &QDISC_ADD,
    &QDISC_DEL,
    &FILTER_INGRESS,
    &FILTER_EGRESS,
    &FILTER_DEL_INGRESS,
    &FILTER_DEL_EGRESS,
    &FILTER_DUMP,
    &QDISC_DUMP,
    &FILTER_DUMP_REPLY,
    &QDISC_DUMP_REPLY,
];

#[test]
fn parsers_survive_truncated_payloads() {
    for golden in GOLDENS {
        for message in MessageIter::new(golden) {
            for len in 0..=message.payload.len() {
                let header = Header { len: (16 + len) as u32, ..message.header };
                let truncated = Message { header, payload: &message.payload[..len] };
                let parsed = FilterInfo::parse(&truncated);
                assert_eq!(parsed.is_some(), len >= tc::TCMSG_LEN);
                assert_eq!(QdiscInfo::parse(&truncated).is_some(), len >= tc::TCMSG_LEN);
            }
        }
    }
}

#[test]
fn parsers_survive_mutated_bytes() {
    for golden in GOLDENS {
        for at in 0..golden.len() {
            for value in [0x00, 0x01, 0x04, 0x7f, 0x80, 0xff, golden[at] ^ 0x55] {
                let mut bytes = golden.to_vec();
                bytes[at] = value;
                for message in MessageIter::new(&bytes) {
                    parse_all(&message);
                }
                // Parsers also see payloads that the message iterator would reject.
                let message =
                    Message { header: Header::default(), payload: bytes.get(16..).unwrap_or(&[]) };
                parse_all(&message);
            }
        }
    }
}

#[test]
fn mutated_lengths_stop_at_malformed_attributes() {
    // An action list whose mirred parameters are cut short yields no mirred, not a panic.
    let mut bytes = FILTER_EGRESS.to_vec();
    let parms_len_at = 16 + tc::TCMSG_LEN + 8 + 4 + 4 + 4 + 12 + 4;
    assert_eq!(bytes[parms_len_at..parms_len_at + 4], [0x20, 0, 2, 0]);
    bytes[parms_len_at] = 0x1c;
    let message = MessageIter::new(&bytes).next().unwrap();
    let info = FilterInfo::parse(&message).unwrap();
    assert_eq!(info.kind, "u32");
    assert_eq!(info.mirred, None);
}
