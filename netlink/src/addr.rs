//! Address requests (`RTM_NEWADDR`, `RTM_GETADDR`) with `struct ifaddrmsg`, and the parser
//! for address replies.

use crate::attr::AttrIter;
use crate::message::{EncodeError, Message, MessageBuilder, NLM_F_CREATE, NLM_F_EXCL};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;

pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;
pub const IFA_BROADCAST: u16 = 4;
pub const IFA_CACHEINFO: u16 = 6;
/// 32-bit flags; the `u8` in `ifaddrmsg` holds only the low 8 bits.
pub const IFA_FLAGS: u16 = 8;

pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_PERMANENT: u32 = 0x80;

/// Size of `struct ifaddrmsg`.
pub const IFADDRMSG_LEN: usize = 8;

/// `struct ifaddrmsg`: the family header of every address message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IfAddrMsg {
    pub family: u8,
    pub prefix_len: u8,
    pub flags: u8,
    pub scope: u8,
    pub index: u32,
}

impl IfAddrMsg {
    pub fn to_bytes(&self) -> [u8; IFADDRMSG_LEN] {
        let mut out = [0u8; IFADDRMSG_LEN];
        out[0] = self.family;
        out[1] = self.prefix_len;
        out[2] = self.flags;
        out[3] = self.scope;
        out[4..8].copy_from_slice(&self.index.to_ne_bytes());
        out
    }

    pub fn parse(buf: &[u8]) -> Option<IfAddrMsg> {
        let bytes = buf.get(..IFADDRMSG_LEN)?;
        Some(IfAddrMsg {
            family: bytes[0],
            prefix_len: bytes[1],
            flags: bytes[2],
            scope: bytes[3],
            index: u32::from_ne_bytes(bytes[4..8].try_into().ok()?),
        })
    }
}

fn family_of(addr: &IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => libc::AF_INET as u8,
        IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

fn addr_bytes(addr: &IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// Builds `RTM_NEWADDR` that adds `addr/prefix_len` to the link with `index`, as
/// `ip addr add` does: `IFA_LOCAL` and `IFA_ADDRESS` both carry the address. `flags` may
/// hold `IFA_F_NODAD` for IPv6.
pub fn add(
    index: u32,
    addr: IpAddr,
    prefix_len: u8,
    flags: u32,
) -> Result<MessageBuilder, EncodeError> {
    let mut msg = MessageBuilder::new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    let header = IfAddrMsg {
        family: family_of(&addr),
        prefix_len,
        flags: (flags & 0xff) as u8,
        scope: 0,
        index,
    };
    msg.put_raw(&header.to_bytes());
    let bytes = addr_bytes(&addr);
    msg.put(IFA_LOCAL, &bytes)?;
    msg.put(IFA_ADDRESS, &bytes)?;
    if flags > 0xff {
        msg.put_u32(IFA_FLAGS, flags)?;
    }
    Ok(msg)
}

/// Builds `RTM_GETADDR` for a dump of one family's addresses on the link with `index`, or
/// on every link when `index` is 0. The kernel filters by index only on strict-checking
/// sockets.
pub fn dump(family: u8, index: u32) -> MessageBuilder {
    let mut msg = MessageBuilder::new(RTM_GETADDR, 0);
    msg.put_raw(&IfAddrMsg { family, index, ..IfAddrMsg::default() }.to_bytes());
    msg
}

/// Address fields that koko reads from an `RTM_NEWADDR` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressInfo {
    pub index: u32,
    pub prefix_len: u8,
    /// Flags from `IFA_FLAGS` when present, else from the header.
    pub flags: u32,
    pub scope: u8,
    /// `IFA_LOCAL` if present (it differs from `IFA_ADDRESS` on point-to-point links),
    /// else `IFA_ADDRESS`.
    pub addr: Option<IpAddr>,
}

fn parse_ip(family: u8, payload: &[u8]) -> Option<IpAddr> {
    match family as i32 {
        libc::AF_INET => {
            let octets: [u8; 4] = payload.get(..4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        libc::AF_INET6 => {
            let octets: [u8; 16] = payload.get(..16)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

impl AddressInfo {
    /// Parses an `RTM_NEWADDR` message; unknown attributes are skipped. Returns `None` if
    /// the message is too short for its `ifaddrmsg`.
    pub fn parse(message: &Message<'_>) -> Option<AddressInfo> {
        let header = IfAddrMsg::parse(message.payload)?;
        let mut info = AddressInfo {
            index: header.index,
            prefix_len: header.prefix_len,
            flags: header.flags as u32,
            scope: header.scope,
            addr: None,
        };
        let mut address = None;
        let mut local = None;
        for attr in AttrIter::new(&message.payload[IFADDRMSG_LEN..]) {
            match attr.kind {
                IFA_ADDRESS => address = parse_ip(header.family, attr.payload),
                IFA_LOCAL => local = parse_ip(header.family, attr.payload),
                IFA_FLAGS => info.flags = attr.as_u32().unwrap_or(info.flags),
                _ => {}
            }
        }
        info.addr = local.or(address);
        Some(info)
    }
}
