//! Traffic-control messages: `struct tcmsg`, the `TCA_*` attributes, the `u32` classifier
//! with its selector, and the `mirred` action.

use super::attrs::{Space, Value};
use super::{ethertype, family_name, flag_names, hex_preview, line, truncated_header};
use crate::tc::*;

/// Writes `struct tcmsg`; returns whether `payload` was long enough to hold it. For
/// filters the `info` field is shown as the priority and protocol packed in it.
pub(super) fn format_tcmsg(out: &mut String, kind: u16, payload: &[u8], depth: usize) -> bool {
    let Some(header) = TcMsg::parse(payload) else {
        return truncated_header(out, depth, "tcmsg", TCMSG_LEN, payload);
    };
    let info = if (RTM_NEWTFILTER..=RTM_GETTFILTER).contains(&kind) {
        format!("prio {} protocol {}", header.prio(), ethertype(header.protocol()))
    } else {
        format!("info {}", header.info)
    };
    line(
        out,
        depth,
        format_args!(
            "tcmsg family {} ifindex {} handle {} parent {} {info}",
            family_name(header.family),
            header.ifindex,
            tc_handle(header.handle),
            tc_parent(header.parent),
        ),
    );
    true
}

/// `TCA_*` names of qdisc, class and filter messages (`linux/rtnetlink.h`).
pub(super) fn describe_tc(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        TCA_KIND => ("TCA_KIND", Value::Str),
        TCA_OPTIONS => ("TCA_OPTIONS", Value::TcOptions),
        TCA_STATS => ("TCA_STATS", Value::Summary),
        TCA_XSTATS => ("TCA_XSTATS", Value::Summary),
        TCA_RATE => ("TCA_RATE", Value::Summary),
        TCA_FCNT => ("TCA_FCNT", Value::U32),
        TCA_STATS2 => ("TCA_STATS2", Value::Summary),
        TCA_STAB => ("TCA_STAB", Value::Summary),
        TCA_PAD => ("TCA_PAD", Value::Summary),
        TCA_DUMP_INVISIBLE => ("TCA_DUMP_INVISIBLE", Value::Flag),
        TCA_CHAIN => ("TCA_CHAIN", Value::U32),
        TCA_HW_OFFLOAD => ("TCA_HW_OFFLOAD", Value::U8),
        TCA_INGRESS_BLOCK => ("TCA_INGRESS_BLOCK", Value::U32),
        TCA_EGRESS_BLOCK => ("TCA_EGRESS_BLOCK", Value::U32),
        15 => ("TCA_DUMP_FLAGS", Value::Hex),
        16 => ("TCA_EXT_WARN_MSG", Value::Str),
        _ => return None,
    };
    Some(described)
}

/// Names a `TCA_U32_*` attribute and its display format (`linux/pkt_cls.h`).
pub(super) fn describe_u32(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        TCA_U32_CLASSID => ("TCA_U32_CLASSID", Value::Handle),
        TCA_U32_HASH => ("TCA_U32_HASH", Value::Handle),
        TCA_U32_LINK => ("TCA_U32_LINK", Value::Handle),
        TCA_U32_DIVISOR => ("TCA_U32_DIVISOR", Value::U32),
        TCA_U32_SEL => ("TCA_U32_SEL", Value::U32Selector),
        TCA_U32_POLICE => ("TCA_U32_POLICE", Value::Summary),
        TCA_U32_ACT => ("TCA_U32_ACT", Value::Nested(Space::Actions)),
        TCA_U32_INDEV => ("TCA_U32_INDEV", Value::Str),
        TCA_U32_PCNT => ("TCA_U32_PCNT", Value::Summary),
        TCA_U32_MARK => ("TCA_U32_MARK", Value::Hex),
        TCA_U32_FLAGS => ("TCA_U32_FLAGS", Value::ClassifierFlags),
        _ => return None,
    };
    Some(described)
}

/// Names a `TCA_ACT_*` attribute of one action in a list (`linux/pkt_cls.h`).
pub(super) fn describe_action(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        TCA_ACT_KIND => ("TCA_ACT_KIND", Value::Str),
        TCA_ACT_OPTIONS => ("TCA_ACT_OPTIONS", Value::ActionOptions),
        TCA_ACT_INDEX => ("TCA_ACT_INDEX", Value::U32),
        TCA_ACT_STATS => ("TCA_ACT_STATS", Value::Summary),
        TCA_ACT_PAD => ("TCA_ACT_PAD", Value::Summary),
        TCA_ACT_COOKIE => ("TCA_ACT_COOKIE", Value::Hex),
        TCA_ACT_FLAGS => ("TCA_ACT_FLAGS", Value::Hex),
        8 => ("TCA_ACT_HW_STATS", Value::Hex),
        9 => ("TCA_ACT_USED_HW_STATS", Value::Hex),
        10 => ("TCA_ACT_IN_HW_COUNT", Value::U32),
        _ => return None,
    };
    Some(described)
}

/// Names a `TCA_MIRRED_*` attribute and its display format (`linux/tc_act/tc_mirred.h`).
pub(super) fn describe_mirred(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        TCA_MIRRED_TM => ("TCA_MIRRED_TM", Value::Summary),
        TCA_MIRRED_PARMS => ("TCA_MIRRED_PARMS", Value::MirredParms),
        3 => ("TCA_MIRRED_PAD", Value::Summary),
        4 => ("TCA_MIRRED_BLOCKID", Value::U32),
        _ => return None,
    };
    Some(described)
}

/// Writes `struct tc_u32_sel` and its keys, one line each. Masks and values are in
/// network byte order, so they are shown as the bytes read on the wire.
pub(super) fn format_u32_selector(out: &mut String, label: &str, payload: &[u8], depth: usize) {
    let Some(selector) = payload.get(..TC_U32_SEL_LEN) else {
        line(
            out,
            depth,
            format_args!(
                "{label} len {} (unexpected length): {}",
                payload.len(),
                hex_preview(payload)
            ),
        );
        return;
    };

    let nkeys = selector[2];
    let offmask = u16::from_be_bytes([selector[4], selector[5]]);
    let off = u16::from_ne_bytes([selector[6], selector[7]]);
    let offoff = i16::from_ne_bytes([selector[8], selector[9]]);
    let hoff = i16::from_ne_bytes([selector[10], selector[11]]);
    let hmask = u32::from_be_bytes([selector[12], selector[13], selector[14], selector[15]]);
    line(
        out,
        depth,
        format_args!(
            "{label} flags {} offshift {} nkeys {nkeys} offmask {offmask:#06x} off {off} offoff {offoff} hoff {hoff} hmask {hmask:#010x}",
            flag_names(u32::from(selector[0]), U32_SELECTOR_FLAGS),
            selector[1],
        ),
    );

    let keys = &payload[TC_U32_SEL_LEN..];
    for (i, key) in keys.chunks_exact(TC_U32_KEY_LEN).enumerate() {
        let mask = u32::from_be_bytes([key[0], key[1], key[2], key[3]]);
        let value = u32::from_be_bytes([key[4], key[5], key[6], key[7]]);
        let key_off = i32::from_ne_bytes([key[8], key[9], key[10], key[11]]);
        let key_offmask = i32::from_ne_bytes([key[12], key[13], key[14], key[15]]);
        line(
            out,
            depth + 1,
            format_args!(
                "key {i} mask {mask:#010x} val {value:#010x} off {key_off} offmask {key_offmask}"
            ),
        );
    }

    let present = keys.len() / TC_U32_KEY_LEN;
    if present != usize::from(nkeys) || keys.len() != present * TC_U32_KEY_LEN {
        line(
            out,
            depth + 1,
            format_args!("{present} complete keys in {} bytes, but nkeys is {nkeys}", keys.len()),
        );
    }
}

/// Formats `struct tc_mirred`, the parameters of a `mirred` action.
pub(super) fn render_mirred_parms(payload: &[u8]) -> Option<String> {
    if payload.len() != TC_MIRRED_LEN {
        return None;
    }
    let parms = TcMirred::parse(payload)?;
    let text = format!(
        "index {} capab {} action {} refcnt {} bindcnt {} eaction {} ifindex {}",
        parms.index,
        parms.capab,
        verdict_name(parms.action),
        parms.refcnt,
        parms.bindcnt,
        mirred_action_name(parms.eaction),
        parms.ifindex
    );
    Some(text)
}

/// `TCA_CLS_FLAGS_*` names (`linux/pkt_cls.h`), without the prefix.
pub(super) const CLASSIFIER_FLAGS: &[(u32, &str)] =
    &[(0x1, "SKIP_HW"), (0x2, "SKIP_SW"), (0x4, "IN_HW"), (0x8, "NOT_IN_HW"), (0x10, "VERBOSE")];

/// `TC_U32_*` selector flags, without the prefix.
const U32_SELECTOR_FLAGS: &[(u32, &str)] = &[
    (TC_U32_TERMINAL as u32, "TERMINAL"),
    (TC_U32_OFFSET as u32, "OFFSET"),
    (TC_U32_VAROFFSET as u32, "VAROFFSET"),
    (TC_U32_EAT as u32, "EAT"),
];

/// Formats a tc handle as `major:minor` in hex, the notation tc uses.
pub(super) fn tc_handle(handle: u32) -> String {
    format!("{:x}:{:x}", handle >> 16, handle & TC_H_MIN_MASK)
}

/// Formats a tc parent handle, with the name of the special parents.
fn tc_parent(parent: u32) -> String {
    let name = match parent {
        TC_H_ROOT => "root",
        TC_H_INGRESS => "ingress",
        _ if parent == tc_h_make(TC_H_CLSACT, TC_H_MIN_INGRESS) => "clsact ingress",
        _ if parent == tc_h_make(TC_H_CLSACT, TC_H_MIN_EGRESS) => "clsact egress",
        _ => return tc_handle(parent),
    };
    format!("{} ({name})", tc_handle(parent))
}

fn verdict_name(verdict: i32) -> String {
    let name = match verdict {
        TC_ACT_UNSPEC => "UNSPEC",
        TC_ACT_OK => "OK",
        TC_ACT_RECLASSIFY => "RECLASSIFY",
        TC_ACT_SHOT => "SHOT",
        TC_ACT_PIPE => "PIPE",
        TC_ACT_STOLEN => "STOLEN",
        TC_ACT_QUEUED => "QUEUED",
        TC_ACT_REPEAT => "REPEAT",
        TC_ACT_REDIRECT => "REDIRECT",
        TC_ACT_TRAP => "TRAP",
        _ => return verdict.to_string(),
    };
    name.to_owned()
}

fn mirred_action_name(eaction: i32) -> String {
    let name = match eaction {
        TCA_EGRESS_REDIR => "EGRESS_REDIR",
        TCA_EGRESS_MIRROR => "EGRESS_MIRROR",
        TCA_INGRESS_REDIR => "INGRESS_REDIR",
        TCA_INGRESS_MIRROR => "INGRESS_MIRROR",
        _ => return eaction.to_string(),
    };
    name.to_owned()
}
