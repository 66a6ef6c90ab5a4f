//! Traffic-control requests (`RTM_*QDISC`, `RTM_*TFILTER`) with `struct tcmsg`: the
//! `clsact` qdisc, a match-all `u32` filter whose `mirred` action mirrors every packet to
//! another interface, and the parsers for qdisc and filter dumps.
//!
//! The requests are byte for byte those of iproute2 6.1 for
//! `tc qdisc add dev SRC clsact` and
//! `tc filter add dev SRC ingress protocol all prio P u32 match u32 0 0 action mirred egress mirror dev TGT`.

use crate::attr::{Attr, AttrIter};
use crate::message::{EncodeError, Message, MessageBuilder, NLM_F_CREATE, NLM_F_EXCL};

pub const RTM_NEWQDISC: u16 = 36;
pub const RTM_DELQDISC: u16 = 37;
pub const RTM_GETQDISC: u16 = 38;
pub const RTM_NEWTFILTER: u16 = 44;
pub const RTM_DELTFILTER: u16 = 45;
pub const RTM_GETTFILTER: u16 = 46;

/// Qdisc and filter attributes (`TCA_*` in `linux/rtnetlink.h`).
pub const TCA_KIND: u16 = 1;
pub const TCA_OPTIONS: u16 = 2;
pub const TCA_STATS: u16 = 3;
pub const TCA_XSTATS: u16 = 4;
pub const TCA_RATE: u16 = 5;
pub const TCA_FCNT: u16 = 6;
pub const TCA_STATS2: u16 = 7;
pub const TCA_STAB: u16 = 8;
pub const TCA_PAD: u16 = 9;
pub const TCA_DUMP_INVISIBLE: u16 = 10;
pub const TCA_CHAIN: u16 = 11;
pub const TCA_HW_OFFLOAD: u16 = 12;
pub const TCA_INGRESS_BLOCK: u16 = 13;
pub const TCA_EGRESS_BLOCK: u16 = 14;

/// Handles (`linux/pkt_sched.h`): a major number in the high 16 bits, a minor in the low.
pub const TC_H_MAJ_MASK: u32 = 0xffff_0000;
pub const TC_H_MIN_MASK: u32 = 0x0000_ffff;
pub const TC_H_UNSPEC: u32 = 0;
pub const TC_H_ROOT: u32 = 0xffff_ffff;
pub const TC_H_INGRESS: u32 = 0xffff_fff1;
/// The `clsact` qdisc sits where the `ingress` qdisc would, so both share this parent.
pub const TC_H_CLSACT: u32 = TC_H_INGRESS;
/// Minor number of the `clsact` ingress hook, whose filter parent is `ffff:fff2`.
pub const TC_H_MIN_INGRESS: u32 = 0xfff2;
/// Minor number of the `clsact` egress hook, whose filter parent is `ffff:fff3`.
pub const TC_H_MIN_EGRESS: u32 = 0xfff3;

/// Combines a major and a minor number into a handle (`TC_H_MAKE`).
pub const fn tc_h_make(major: u32, minor: u32) -> u32 {
    (major & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK)
}

/// Handle of a `clsact` or `ingress` qdisc, `ffff:0`.
pub const CLSACT_HANDLE: u32 = tc_h_make(TC_H_CLSACT, 0);

/// `ETH_P_ALL` (`linux/if_ether.h`): a filter for this protocol matches packets of every protocol.
pub const ETH_P_ALL: u16 = 0x0003;

/// `u32` classifier options (`TCA_U32_*` in `linux/pkt_cls.h`).
pub const TCA_U32_CLASSID: u16 = 1;
pub const TCA_U32_HASH: u16 = 2;
pub const TCA_U32_LINK: u16 = 3;
pub const TCA_U32_DIVISOR: u16 = 4;
pub const TCA_U32_SEL: u16 = 5;
pub const TCA_U32_POLICE: u16 = 6;
pub const TCA_U32_ACT: u16 = 7;
pub const TCA_U32_INDEV: u16 = 8;
pub const TCA_U32_PCNT: u16 = 9;
pub const TCA_U32_MARK: u16 = 10;
pub const TCA_U32_FLAGS: u16 = 11;

/// `tc_u32_sel.flags`: a match ends classification instead of following a link.
pub const TC_U32_TERMINAL: u8 = 1;
pub const TC_U32_OFFSET: u8 = 2;
pub const TC_U32_VAROFFSET: u8 = 4;
pub const TC_U32_EAT: u8 = 8;

/// Action attributes (`TCA_ACT_*` in `linux/pkt_cls.h`).
pub const TCA_ACT_KIND: u16 = 1;
pub const TCA_ACT_OPTIONS: u16 = 2;
pub const TCA_ACT_INDEX: u16 = 3;
pub const TCA_ACT_STATS: u16 = 4;
pub const TCA_ACT_PAD: u16 = 5;
pub const TCA_ACT_COOKIE: u16 = 6;
pub const TCA_ACT_FLAGS: u16 = 7;

/// Verdicts of an action (`TC_ACT_*` in `linux/pkt_cls.h`).
pub const TC_ACT_UNSPEC: i32 = -1;
pub const TC_ACT_OK: i32 = 0;
pub const TC_ACT_RECLASSIFY: i32 = 1;
pub const TC_ACT_SHOT: i32 = 2;
/// Continues with the next action, so a mirror lets the original packet go on.
pub const TC_ACT_PIPE: i32 = 3;
pub const TC_ACT_STOLEN: i32 = 4;
pub const TC_ACT_QUEUED: i32 = 5;
pub const TC_ACT_REPEAT: i32 = 6;
pub const TC_ACT_REDIRECT: i32 = 7;
pub const TC_ACT_TRAP: i32 = 8;

/// `mirred` action attributes and its `eaction` values (`linux/tc_act/tc_mirred.h`).
pub const TCA_MIRRED_TM: u16 = 1;
pub const TCA_MIRRED_PARMS: u16 = 2;
pub const TCA_EGRESS_REDIR: i32 = 1;
pub const TCA_EGRESS_MIRROR: i32 = 2;
pub const TCA_INGRESS_REDIR: i32 = 3;
pub const TCA_INGRESS_MIRROR: i32 = 4;

/// Size of `struct tcmsg`.
pub const TCMSG_LEN: usize = 20;
/// Size of `struct tc_mirred`: `tc_gen` (five 32-bit fields), `eaction` and `ifindex`.
pub const TC_MIRRED_LEN: usize = 28;
/// Size of `struct tc_u32_sel` without its keys.
pub const TC_U32_SEL_LEN: usize = 16;
/// Size of `struct tc_u32_key`.
pub const TC_U32_KEY_LEN: usize = 16;

/// `struct tcmsg`: the family header of every qdisc, class and filter message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcMsg {
    pub family: u8,
    pub ifindex: i32,
    pub handle: u32,
    pub parent: u32,
    /// For filters, `(prio << 16) | htons(protocol)` as built by [`TcMsg::filter_info`].
    /// For qdiscs in a dump, the reference count.
    pub info: u32,
}

impl TcMsg {
    /// Packs a filter's priority and protocol into `tcm_info` as the kernel reads it: the
    /// protocol sits in the low 16 bits in network byte order.
    pub const fn filter_info(prio: u16, protocol: u16) -> u32 {
        ((prio as u32) << 16) | protocol.to_be() as u32
    }

    /// Filter priority from `info` (also called preference, `pref` in tc's output).
    pub const fn prio(&self) -> u16 {
        (self.info >> 16) as u16
    }

    /// Filter protocol from `info`, in host byte order (`ETH_P_ALL` is 3).
    pub const fn protocol(&self) -> u16 {
        u16::from_be((self.info & 0xffff) as u16)
    }

    pub fn to_bytes(&self) -> [u8; TCMSG_LEN] {
        let mut out = [0u8; TCMSG_LEN];
        out[0] = self.family;
        out[4..8].copy_from_slice(&self.ifindex.to_ne_bytes());
        out[8..12].copy_from_slice(&self.handle.to_ne_bytes());
        out[12..16].copy_from_slice(&self.parent.to_ne_bytes());
        out[16..20].copy_from_slice(&self.info.to_ne_bytes());
        out
    }

    pub fn parse(buf: &[u8]) -> Option<TcMsg> {
        let bytes = buf.get(..TCMSG_LEN)?;
        Some(TcMsg {
            family: bytes[0],
            ifindex: i32::from_ne_bytes(bytes[4..8].try_into().ok()?),
            handle: u32::from_ne_bytes(bytes[8..12].try_into().ok()?),
            parent: u32::from_ne_bytes(bytes[12..16].try_into().ok()?),
            info: u32::from_ne_bytes(bytes[16..20].try_into().ok()?),
        })
    }
}

/// The `clsact` hook a filter attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Packets the interface receives (`tc filter add dev SRC ingress`).
    Ingress,
    /// Packets the interface sends (`tc filter add dev SRC egress`).
    Egress,
}

impl Direction {
    /// The filter parent of this hook: `ffff:fff2` or `ffff:fff3`.
    pub const fn parent(self) -> u32 {
        match self {
            Direction::Ingress => tc_h_make(TC_H_CLSACT, TC_H_MIN_INGRESS),
            Direction::Egress => tc_h_make(TC_H_CLSACT, TC_H_MIN_EGRESS),
        }
    }

    /// The direction whose hook is `parent`, if it is one of the two `clsact` hooks.
    pub const fn from_parent(parent: u32) -> Option<Direction> {
        if parent == Direction::Ingress.parent() {
            Some(Direction::Ingress)
        } else if parent == Direction::Egress.parent() {
            Some(Direction::Egress)
        } else {
            None
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// `struct tc_mirred`: the parameters of a `mirred` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcMirred {
    /// Action index; 0 in a request lets the kernel choose.
    pub index: u32,
    pub capab: u32,
    /// Verdict after mirroring or redirecting (`TC_ACT_*`).
    pub action: i32,
    /// Reference counts, reported in dumps and 0 in requests.
    pub refcnt: i32,
    pub bindcnt: i32,
    /// `TCA_EGRESS_MIRROR`, `TCA_EGRESS_REDIR`, `TCA_INGRESS_MIRROR` or `TCA_INGRESS_REDIR`.
    pub eaction: i32,
    /// Interface the packets are mirrored or redirected to.
    pub ifindex: u32,
}

impl TcMirred {
    pub fn to_bytes(&self) -> [u8; TC_MIRRED_LEN] {
        let mut out = [0u8; TC_MIRRED_LEN];
        out[0..4].copy_from_slice(&self.index.to_ne_bytes());
        out[4..8].copy_from_slice(&self.capab.to_ne_bytes());
        out[8..12].copy_from_slice(&self.action.to_ne_bytes());
        out[12..16].copy_from_slice(&self.refcnt.to_ne_bytes());
        out[16..20].copy_from_slice(&self.bindcnt.to_ne_bytes());
        out[20..24].copy_from_slice(&self.eaction.to_ne_bytes());
        out[24..28].copy_from_slice(&self.ifindex.to_ne_bytes());
        out
    }

    pub fn parse(buf: &[u8]) -> Option<TcMirred> {
        let bytes = buf.get(..TC_MIRRED_LEN)?;
        let word = |at: usize| -> Option<[u8; 4]> { bytes.get(at..at + 4)?.try_into().ok() };
        Some(TcMirred {
            index: u32::from_ne_bytes(word(0)?),
            capab: u32::from_ne_bytes(word(4)?),
            action: i32::from_ne_bytes(word(8)?),
            refcnt: i32::from_ne_bytes(word(12)?),
            bindcnt: i32::from_ne_bytes(word(16)?),
            eaction: i32::from_ne_bytes(word(20)?),
            ifindex: u32::from_ne_bytes(word(24)?),
        })
    }
}

/// Encodes the `struct tc_u32_sel` of `match u32 0 0`: one key with mask 0 and value 0 at
/// offset 0, which every packet matches, and `TC_U32_TERMINAL` because the filter has an
/// action. All other fields, the key's byte-order ones included, are zero.
fn match_all_selector() -> [u8; TC_U32_SEL_LEN + TC_U32_KEY_LEN] {
    let mut out = [0u8; TC_U32_SEL_LEN + TC_U32_KEY_LEN];
    out[0] = TC_U32_TERMINAL; // flags
    out[2] = 1; // nkeys
    out
}

fn tc_request(kind: u16, flags: u16, header: TcMsg) -> MessageBuilder {
    let mut msg = MessageBuilder::new(kind, flags);
    msg.put_raw(&header.to_bytes());
    msg
}

fn clsact_header(ifindex: i32) -> TcMsg {
    TcMsg { ifindex, handle: CLSACT_HANDLE, parent: TC_H_CLSACT, ..TcMsg::default() }
}

/// Builds `RTM_NEWQDISC` with `NLM_F_CREATE | NLM_F_EXCL` that adds a `clsact` qdisc to
/// the link with `ifindex` (`tc qdisc add dev SRC clsact`). The kernel rejects it with
/// `EEXIST` when the link already has a `clsact` or `ingress` qdisc.
pub fn add_clsact(ifindex: i32) -> Result<MessageBuilder, EncodeError> {
    let mut msg = tc_request(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, clsact_header(ifindex));
    msg.put_str(TCA_KIND, "clsact")?;
    Ok(msg)
}

/// Builds `RTM_DELQDISC` that removes the `clsact` qdisc of the link with `ifindex`, and
/// with it every filter on both hooks (`tc qdisc del dev SRC clsact`). Without such a
/// qdisc the kernel returns `EINVAL` ("Invalid handle"), not `ENOENT` (Linux 6.18).
pub fn delete_clsact(ifindex: i32) -> Result<MessageBuilder, EncodeError> {
    let mut msg = tc_request(RTM_DELQDISC, 0, clsact_header(ifindex));
    msg.put_str(TCA_KIND, "clsact")?;
    Ok(msg)
}

/// Builds `RTM_NEWTFILTER` with `NLM_F_CREATE | NLM_F_EXCL` that mirrors every packet
/// seen on `direction` of the link with `ifindex` to the egress of `target_ifindex`:
/// a `u32` filter for protocol `ETH_P_ALL` at `prio`, matching everything, with one
/// `mirred` action (`egress mirror`, verdict `TC_ACT_PIPE`).
///
/// `handle` is the `u32` node handle (`800::800` is `0x8000_0800`), or `None` to let the
/// kernel choose. With `None`, `NLM_F_EXCL` does not stop a second identical request: the
/// kernel adds another node (`800::801`) at the same priority, so callers dump the filters
/// first. The `u32` hash tables of both `clsact` hooks share one handle space, so the same
/// explicit handle on ingress and egress fails with `EEXIST` (both seen on Linux 6.18).
///
/// NOTE: the kernel also accepts an egress filter on a link whose qdisc is `ingress`, not
/// `clsact`, and then the filter mirrors received packets (seen on Linux 6.18). Check
/// [`QdiscInfo::has_hook`] before adding one.
pub fn add_mirror_filter(
    ifindex: i32,
    direction: Direction,
    prio: u16,
    handle: Option<u32>,
    target_ifindex: u32,
) -> Result<MessageBuilder, EncodeError> {
    let header = TcMsg {
        ifindex,
        handle: handle.unwrap_or(0),
        parent: direction.parent(),
        info: TcMsg::filter_info(prio, ETH_P_ALL),
        ..TcMsg::default()
    };
    let mut msg = tc_request(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, header);
    msg.put_str(TCA_KIND, "u32")?;

    // Attribute order and nest flags follow iproute2 6.1: the action list before the
    // selector, and NLA_F_NESTED only on TCA_ACT_OPTIONS.
    let options = msg.nest_start(TCA_OPTIONS);
    let actions = msg.nest_start(TCA_U32_ACT);
    // Actions in the list are numbered from 1 by their attribute type, which sets their order.
    let action = msg.nest_start(1);
    msg.put_str(TCA_ACT_KIND, "mirred")?;
    let action_options = msg.nest_start_flagged(TCA_ACT_OPTIONS);
    let mirred = TcMirred {
        action: TC_ACT_PIPE,
        eaction: TCA_EGRESS_MIRROR,
        ifindex: target_ifindex,
        ..TcMirred::default()
    };
    msg.put(TCA_MIRRED_PARMS, &mirred.to_bytes())?;
    msg.nest_end(action_options)?;
    msg.nest_end(action)?;
    msg.nest_end(actions)?;
    msg.put(TCA_U32_SEL, &match_all_selector())?;
    msg.nest_end(options)?;
    Ok(msg)
}

/// Builds `RTM_DELTFILTER` that removes every filter at `prio` on `direction` of the link
/// with `ifindex`, whatever its protocol and handle (`tc filter del dev SRC ingress prio P`).
/// When there is none, the kernel returns `ENOENT`.
pub fn delete_filter(ifindex: i32, direction: Direction, prio: u16) -> MessageBuilder {
    let header = TcMsg {
        ifindex,
        parent: direction.parent(),
        info: TcMsg::filter_info(prio, 0),
        ..TcMsg::default()
    };
    tc_request(RTM_DELTFILTER, 0, header)
}

/// Builds `RTM_GETTFILTER` for a dump of the filters under `parent` (such as
/// [`Direction::parent`]) of the link with `ifindex`.
///
/// NOTE: both hooks of one qdisc share a single list of `u32` hash tables. So a dump of
/// one hook also lists the tables and nodes of the other hook's `u32` filter when it has
/// the same priority, and reports them with this dump's parent (seen on Linux 6.18).
/// Giving ingress and egress filters different priorities keeps the dumps apart.
pub fn dump_filters(ifindex: i32, parent: u32) -> MessageBuilder {
    tc_request(RTM_GETTFILTER, 0, TcMsg { ifindex, parent, ..TcMsg::default() })
}

/// Builds `RTM_GETQDISC` for a dump of qdiscs. The kernel ignores `ifindex` here and
/// returns the qdiscs of every link in the namespace, even on a strict-checking socket
/// (Linux 6.18), so callers check [`QdiscInfo::ifindex`].
pub fn dump_qdiscs(ifindex: i32) -> MessageBuilder {
    tc_request(RTM_GETQDISC, 0, TcMsg { ifindex, ..TcMsg::default() })
}

/// Qdisc fields that koko reads from an `RTM_NEWQDISC` message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QdiscInfo {
    pub ifindex: i32,
    pub handle: u32,
    pub parent: u32,
    /// `TCA_KIND`, such as "clsact", "ingress" or "noqueue"; empty when missing.
    pub kind: String,
}

impl QdiscInfo {
    /// Parses an `RTM_NEWQDISC` message; unknown attributes are skipped. Returns `None` if
    /// the message is too short for its `tcmsg`.
    pub fn parse(message: &Message<'_>) -> Option<QdiscInfo> {
        let header = TcMsg::parse(message.payload)?;
        let attrs = message.payload.get(TCMSG_LEN..)?;
        let kind =
            AttrIter::find(attrs, TCA_KIND).and_then(|attr| attr.as_str()).unwrap_or_default();
        Some(QdiscInfo {
            ifindex: header.ifindex,
            handle: header.handle,
            parent: header.parent,
            kind: kind.to_owned(),
        })
    }

    /// Whether filters at `direction`'s parent run on this qdisc's link in that direction:
    /// `clsact` has both hooks, and `ingress` only the ingress hook.
    pub fn has_hook(&self, direction: Direction) -> bool {
        if self.parent != TC_H_INGRESS {
            return false;
        }
        match self.kind.as_str() {
            "clsact" => true,
            "ingress" => direction == Direction::Ingress,
            _ => false,
        }
    }
}

/// Filter fields that koko reads from an `RTM_NEWTFILTER` message.
///
/// A dump of one `u32` filter yields several messages at the same priority: the filter
/// itself (handle 0), each hash table (`800:`), and each node (`800::800`), which is the
/// one that carries the selector and the actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterInfo {
    pub ifindex: i32,
    pub handle: u32,
    pub parent: u32,
    pub prio: u16,
    /// Protocol in host byte order (`ETH_P_ALL` is 3).
    pub protocol: u16,
    /// `TCA_KIND`, such as "u32"; empty when missing.
    pub kind: String,
    /// `TCA_CHAIN`, when the kernel sent it.
    pub chain: Option<u32>,
    /// Parameters of the first `mirred` action of a `u32` node.
    pub mirred: Option<TcMirred>,
}

impl FilterInfo {
    /// Parses an `RTM_NEWTFILTER` message; unknown attributes are skipped. Returns `None`
    /// if the message is too short for its `tcmsg`.
    pub fn parse(message: &Message<'_>) -> Option<FilterInfo> {
        let header = TcMsg::parse(message.payload)?;
        let mut info = FilterInfo {
            ifindex: header.ifindex,
            handle: header.handle,
            parent: header.parent,
            prio: header.prio(),
            protocol: header.protocol(),
            ..FilterInfo::default()
        };
        let mut options = None;
        for attr in AttrIter::new(message.payload.get(TCMSG_LEN..)?) {
            match attr.kind {
                TCA_KIND => info.kind = attr.as_str().unwrap_or_default().to_owned(),
                TCA_CHAIN => info.chain = attr.as_u32(),
                TCA_OPTIONS => options = Some(attr),
                _ => {}
            }
        }
        // The layout of TCA_OPTIONS depends on the kind, which may come after it.
        if info.kind == "u32" {
            let actions = options.and_then(|options| AttrIter::find(options.payload, TCA_U32_ACT));
            info.mirred = actions.and_then(first_mirred);
        }
        Some(info)
    }
}

/// Finds the parameters of the first `mirred` action in an action list, whose members
/// are numbered by their attribute type.
fn first_mirred(actions: Attr<'_>) -> Option<TcMirred> {
    actions.attrs().find_map(|action| {
        let kind = AttrIter::find(action.payload, TCA_ACT_KIND)?.as_str()?;
        if kind != "mirred" {
            return None;
        }
        let options = AttrIter::find(action.payload, TCA_ACT_OPTIONS)?;
        TcMirred::parse(AttrIter::find(options.payload, TCA_MIRRED_PARMS)?.payload)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_info_packs_prio_and_protocol() {
        let header = TcMsg { info: TcMsg::filter_info(49152, ETH_P_ALL), ..TcMsg::default() };
        assert_eq!(header.prio(), 49152);
        assert_eq!(header.protocol(), ETH_P_ALL);
        // The protocol is big-endian inside a native-endian u32: bytes 00 03 on the wire.
        assert_eq!((header.info as u16).to_ne_bytes(), [0x00, 0x03]);
    }

    #[test]
    fn direction_parents_are_clsact_hooks() {
        assert_eq!(Direction::Ingress.parent(), 0xffff_fff2);
        assert_eq!(Direction::Egress.parent(), 0xffff_fff3);
        assert_eq!(Direction::from_parent(0xffff_fff3), Some(Direction::Egress));
        assert_eq!(Direction::from_parent(TC_H_ROOT), None);
    }

    #[test]
    fn mirred_round_trips() {
        let mirred = TcMirred {
            index: 7,
            action: TC_ACT_PIPE,
            eaction: TCA_EGRESS_MIRROR,
            ifindex: 9,
            ..TcMirred::default()
        };
        assert_eq!(TcMirred::parse(&mirred.to_bytes()), Some(mirred));
        assert_eq!(TcMirred::parse(&mirred.to_bytes()[..TC_MIRRED_LEN - 1]), None);
    }
}
