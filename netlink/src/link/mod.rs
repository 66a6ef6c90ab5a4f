//! Link requests (`RTM_NEWLINK`, `RTM_DELLINK`, `RTM_GETLINK`) with `struct ifinfomsg`,
//! and the parser for link replies. Each link kind's `IFLA_INFO_DATA` lives in its own file.

pub mod macvlan;
pub mod veth;
pub mod vlan;
pub mod vxlan;

use crate::attr::AttrIter;
use crate::message::{EncodeError, Message, MessageBuilder, NLM_F_CREATE, NLM_F_EXCL};

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_SETLINK: u16 = 19;

pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_BROADCAST: u16 = 2;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_MTU: u16 = 4;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_MASTER: u16 = 10;
pub const IFLA_TXQLEN: u16 = 13;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_NET_NS_PID: u16 = 19;
pub const IFLA_GROUP: u16 = 27;
pub const IFLA_NET_NS_FD: u16 = 28;
pub const IFLA_EXT_MASK: u16 = 29;
pub const IFLA_NUM_TX_QUEUES: u16 = 31;
pub const IFLA_NUM_RX_QUEUES: u16 = 32;
pub const IFLA_LINK_NETNSID: u16 = 37;

pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_LOWER_UP: u32 = 0x10000;

/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;

/// `struct ifinfomsg`: the family header of every link message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IfInfoMsg {
    pub family: u8,
    /// Device type (`ARPHRD_*`); 0 in requests.
    pub kind: u16,
    /// Interface index; 0 in a request lets the kernel choose, or look up `IFLA_IFNAME`.
    pub index: i32,
    pub flags: u32,
    /// Mask of the `flags` bits that the request changes.
    pub change: u32,
}

impl IfInfoMsg {
    pub fn to_bytes(&self) -> [u8; IFINFOMSG_LEN] {
        let mut out = [0u8; IFINFOMSG_LEN];
        out[0] = self.family;
        out[2..4].copy_from_slice(&self.kind.to_ne_bytes());
        out[4..8].copy_from_slice(&self.index.to_ne_bytes());
        out[8..12].copy_from_slice(&self.flags.to_ne_bytes());
        out[12..16].copy_from_slice(&self.change.to_ne_bytes());
        out
    }

    pub fn parse(buf: &[u8]) -> Option<IfInfoMsg> {
        let bytes = buf.get(..IFINFOMSG_LEN)?;
        Some(IfInfoMsg {
            family: bytes[0],
            kind: u16::from_ne_bytes([bytes[2], bytes[3]]),
            index: i32::from_ne_bytes(bytes[4..8].try_into().ok()?),
            flags: u32::from_ne_bytes(bytes[8..12].try_into().ok()?),
            change: u32::from_ne_bytes(bytes[12..16].try_into().ok()?),
        })
    }
}

/// Attributes common to a new link of any kind, and to each end of a veth pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkSettings {
    /// Final interface name (`IFLA_IFNAME`).
    pub name: String,
    /// Namespace to create the link in (`IFLA_NET_NS_FD`); `None` means the socket's own.
    pub netns_fd: Option<u32>,
    /// Interface index to request; 0 lets the kernel choose.
    pub index: i32,
    /// Set `IFF_UP` at creation.
    pub up: bool,
    pub mtu: Option<u32>,
    /// Hardware address (`IFLA_ADDRESS`).
    pub mac: Option<[u8; 6]>,
    /// Interface group (`IFLA_GROUP`).
    pub group: Option<u32>,
    /// Index of the lower device (`IFLA_LINK`), for vxlan, macvlan and vlan parents.
    pub parent_index: Option<u32>,
    /// Queue counts (`IFLA_NUM_TX_QUEUES`, `IFLA_NUM_RX_QUEUES`).
    pub queues: Option<u32>,
}

impl LinkSettings {
    pub fn named(name: &str) -> Self {
        LinkSettings { name: name.to_owned(), ..LinkSettings::default() }
    }

    fn header(&self) -> IfInfoMsg {
        let up = if self.up { IFF_UP } else { 0 };
        IfInfoMsg { index: self.index, flags: up, change: up, ..IfInfoMsg::default() }
    }

    /// Writes the attributes in the order iproute2 6.1 uses for
    /// `ip link add netns NS mtu N address MAC group G link PARENT name NAME`, so that the
    /// golden-byte tests can compare whole requests.
    fn put_attrs(&self, msg: &mut MessageBuilder) -> Result<(), EncodeError> {
        if let Some(queues) = self.queues {
            msg.put_u32(IFLA_NUM_TX_QUEUES, queues)?;
            msg.put_u32(IFLA_NUM_RX_QUEUES, queues)?;
        }
        if let Some(fd) = self.netns_fd {
            msg.put_u32(IFLA_NET_NS_FD, fd)?;
        }
        if let Some(mtu) = self.mtu {
            msg.put_u32(IFLA_MTU, mtu)?;
        }
        if let Some(mac) = self.mac {
            msg.put(IFLA_ADDRESS, &mac)?;
        }
        if let Some(group) = self.group {
            msg.put_u32(IFLA_GROUP, group)?;
        }
        if let Some(parent) = self.parent_index {
            msg.put_u32(IFLA_LINK, parent)?;
        }
        msg.put_str(IFLA_IFNAME, &self.name)
    }
}

/// Builds `RTM_NEWLINK` with `NLM_F_CREATE | NLM_F_EXCL` for a link of `kind`;
/// `put_data` writes the kind's `IFLA_INFO_DATA` attributes, and the nest is left out
/// when it writes none.
pub fn create<F>(
    settings: &LinkSettings,
    kind: &str,
    put_data: F,
) -> Result<MessageBuilder, EncodeError>
where
    F: FnOnce(&mut MessageBuilder) -> Result<(), EncodeError>,
{
    let mut msg = MessageBuilder::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    msg.put_raw(&settings.header().to_bytes());
    settings.put_attrs(&mut msg)?;
    let info = msg.nest_start(IFLA_LINKINFO);
    // Without a NUL, as iproute2 sends it; the kernel compares the kind by length.
    msg.put(IFLA_INFO_KIND, kind.as_bytes())?;
    let data = msg.nest_start(IFLA_INFO_DATA);
    let empty_len = msg.as_bytes().len();
    put_data(&mut msg)?;
    if msg.as_bytes().len() == empty_len {
        msg.nest_cancel(data);
    } else {
        msg.nest_end(data)?;
    }
    msg.nest_end(info)?;
    Ok(msg)
}

/// Identifies an existing link: by index, or by name in the socket's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRef<'a> {
    Index(i32),
    Name(&'a str),
}

fn existing(
    kind: u16,
    flags: u16,
    link: LinkRef<'_>,
    header: IfInfoMsg,
) -> Result<MessageBuilder, EncodeError> {
    let mut msg = MessageBuilder::new(kind, flags);
    match link {
        LinkRef::Index(index) => msg.put_raw(&IfInfoMsg { index, ..header }.to_bytes()),
        LinkRef::Name(name) => {
            msg.put_raw(&header.to_bytes());
            msg.put_str(IFLA_IFNAME, name)?;
        }
    }
    Ok(msg)
}

/// Builds `RTM_NEWLINK` without `NLM_F_CREATE`, which changes the `change` bits of an
/// existing link's flags to those in `flags` (`ip link set NAME up`).
pub fn set_flags(
    link: LinkRef<'_>,
    flags: u32,
    change: u32,
) -> Result<MessageBuilder, EncodeError> {
    existing(RTM_NEWLINK, 0, link, IfInfoMsg { flags, change, ..IfInfoMsg::default() })
}

/// Builds `RTM_NEWLINK` that sets the interface group of an existing link.
pub fn set_group(link: LinkRef<'_>, group: u32) -> Result<MessageBuilder, EncodeError> {
    let mut msg = existing(RTM_NEWLINK, 0, link, IfInfoMsg::default())?;
    msg.put_u32(IFLA_GROUP, group)?;
    Ok(msg)
}

/// Builds `RTM_NEWLINK` that changes the flags of every link in an interface group
/// (`ip link set group N up`).
pub fn set_group_flags(group: u32, flags: u32, change: u32) -> Result<MessageBuilder, EncodeError> {
    let mut msg = MessageBuilder::new(RTM_NEWLINK, 0);
    msg.put_raw(&IfInfoMsg { flags, change, ..IfInfoMsg::default() }.to_bytes());
    msg.put_u32(IFLA_GROUP, group)?;
    Ok(msg)
}

/// Builds `RTM_DELLINK` for one link.
pub fn delete(link: LinkRef<'_>) -> Result<MessageBuilder, EncodeError> {
    existing(RTM_DELLINK, 0, link, IfInfoMsg::default())
}

/// Builds `RTM_DELLINK` for every link in an interface group (`ip link del group N`),
/// which the kernel tears down in one batch.
pub fn delete_group(group: u32) -> Result<MessageBuilder, EncodeError> {
    let mut msg = MessageBuilder::new(RTM_DELLINK, 0);
    msg.put_raw(&IfInfoMsg::default().to_bytes());
    msg.put_u32(IFLA_GROUP, group)?;
    Ok(msg)
}

/// Builds `RTM_GETLINK` for one link. The kernel replies with one `RTM_NEWLINK`.
pub fn get(link: LinkRef<'_>) -> Result<MessageBuilder, EncodeError> {
    existing(RTM_GETLINK, 0, link, IfInfoMsg::default())
}

/// Builds `RTM_GETLINK` for a dump of every link in the socket's namespace.
pub fn dump() -> MessageBuilder {
    let mut msg = MessageBuilder::new(RTM_GETLINK, 0);
    msg.put_raw(&IfInfoMsg::default().to_bytes());
    msg
}

/// Link fields that koko reads from an `RTM_NEWLINK` message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: i32,
    pub flags: u32,
    pub name: String,
    pub mtu: Option<u32>,
    pub group: Option<u32>,
    /// `IFLA_INFO_KIND`, such as "veth" or "vxlan".
    pub kind: Option<String>,
    pub mac: Option<Vec<u8>>,
    /// `IFLA_LINK`: the peer's or parent's index, possibly in another namespace.
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: set when `link` is in another namespace.
    pub link_netnsid: Option<i32>,
}

impl LinkInfo {
    /// Parses an `RTM_NEWLINK` message; unknown attributes are skipped. Returns `None` if
    /// the message is too short for its `ifinfomsg`.
    pub fn parse(message: &Message<'_>) -> Option<LinkInfo> {
        let header = IfInfoMsg::parse(message.payload)?;
        let mut info = LinkInfo { index: header.index, flags: header.flags, ..LinkInfo::default() };
        for attr in AttrIter::new(&message.payload[IFINFOMSG_LEN..]) {
            match attr.kind {
                IFLA_IFNAME => info.name = attr.as_str().unwrap_or_default().to_owned(),
                IFLA_MTU => info.mtu = attr.as_u32(),
                IFLA_GROUP => info.group = attr.as_u32(),
                IFLA_ADDRESS => info.mac = Some(attr.payload.to_vec()),
                IFLA_LINK => info.link = attr.as_u32(),
                IFLA_LINK_NETNSID => info.link_netnsid = attr.as_i32(),
                IFLA_LINKINFO => {
                    let kind = AttrIter::find(attr.payload, IFLA_INFO_KIND);
                    info.kind = kind.and_then(|kind| kind.as_str()).map(str::to_owned);
                }
                _ => {}
            }
        }
        Some(info)
    }
}
