//! Address messages: `struct ifaddrmsg` and the `IFA_*` attributes.

use super::attrs::{exact, Value};
use super::{family_name, flag_names, line, truncated_header};
use crate::addr::{
    IFADDRMSG_LEN, IFA_ADDRESS, IFA_BROADCAST, IFA_CACHEINFO, IFA_FLAGS, IFA_F_DADFAILED,
    IFA_F_NODAD, IFA_F_PERMANENT, IFA_F_TENTATIVE, IFA_LABEL, IFA_LOCAL,
};

/// Writes `struct ifaddrmsg`; returns whether `payload` was long enough to hold it.
pub(super) fn format_ifaddrmsg(out: &mut String, payload: &[u8], depth: usize) -> bool {
    let Some(bytes) = payload.get(..IFADDRMSG_LEN) else {
        return truncated_header(out, depth, "ifaddrmsg", IFADDRMSG_LEN, payload);
    };
    let index = u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    line(
        out,
        depth,
        format_args!(
            "ifaddrmsg family {} prefixlen {} flags {} scope {} index {index}",
            family_name(bytes[0]),
            bytes[1],
            flag_names(u32::from(bytes[2]), ADDRESS_FLAGS),
            scope_name(bytes[3]),
        ),
    );
    true
}

/// Names an `IFA_*` attribute and its display format (`linux/if_addr.h`).
pub(super) fn describe_addr(kind: u16) -> Option<(&'static str, Value)> {
    let described = match kind {
        IFA_ADDRESS => ("IFA_ADDRESS", Value::Ip),
        IFA_LOCAL => ("IFA_LOCAL", Value::Ip),
        IFA_LABEL => ("IFA_LABEL", Value::Str),
        IFA_BROADCAST => ("IFA_BROADCAST", Value::Ip),
        5 => ("IFA_ANYCAST", Value::Ip),
        IFA_CACHEINFO => ("IFA_CACHEINFO", Value::CacheInfo),
        7 => ("IFA_MULTICAST", Value::Ip),
        IFA_FLAGS => ("IFA_FLAGS", Value::AddressFlags),
        9 => ("IFA_RT_PRIORITY", Value::U32),
        10 => ("IFA_TARGET_NETNSID", Value::I32),
        11 => ("IFA_PROTO", Value::U8),
        _ => return None,
    };
    Some(described)
}

/// Formats `struct ifa_cacheinfo`: the two lifetimes and the creation and update
/// timestamps.
pub(super) fn render_cache_info(payload: &[u8]) -> Option<String> {
    let bytes = exact::<16>(payload)?;
    let word =
        |at: usize| u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let text = format!(
        "preferred {} valid {} cstamp {} tstamp {}",
        lifetime(word(0)),
        lifetime(word(4)),
        word(8),
        word(12)
    );
    Some(text)
}

/// `IFA_F_*` names (`linux/if_addr.h`), without the prefix.
pub(super) const ADDRESS_FLAGS: &[(u32, &str)] = &[
    (0x01, "SECONDARY"),
    (IFA_F_NODAD, "NODAD"),
    (0x04, "OPTIMISTIC"),
    (IFA_F_DADFAILED, "DADFAILED"),
    (0x10, "HOMEADDRESS"),
    (0x20, "DEPRECATED"),
    (IFA_F_TENTATIVE, "TENTATIVE"),
    (IFA_F_PERMANENT, "PERMANENT"),
    (0x100, "MANAGETEMPADDR"),
    (0x200, "NOPREFIXROUTE"),
    (0x400, "MCAUTOJOIN"),
    (0x800, "STABLE_PRIVACY"),
];

/// `RT_SCOPE_*` names (`linux/rtnetlink.h`).
fn scope_name(scope: u8) -> String {
    let name = match scope {
        0 => "RT_SCOPE_UNIVERSE",
        200 => "RT_SCOPE_SITE",
        253 => "RT_SCOPE_LINK",
        254 => "RT_SCOPE_HOST",
        255 => "RT_SCOPE_NOWHERE",
        _ => return scope.to_string(),
    };
    name.to_owned()
}

/// Formats an address lifetime in seconds, where all bits set means "forever".
pub(super) fn lifetime(seconds: u32) -> String {
    if seconds == u32::MAX {
        "forever".to_owned()
    } else {
        seconds.to_string()
    }
}
