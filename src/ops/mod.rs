//! Link operations against the kernel: each takes open namespaces and validated values and
//! either completes or leaves the namespaces as they were.

pub mod address;
pub mod delete;
pub mod interface;
pub mod mirror;
pub mod veth;

use crate::error::{Error, Result};
use crate::netns::Netns;
use koko_netlink::link::{self, LinkInfo, LinkRef};
use koko_netlink::Socket;

/// One end of a new link: where it goes, its final name and its addresses.
#[derive(Debug, Clone, Copy)]
pub struct End<'a> {
    pub netns: &'a Netns,
    pub name: &'a str,
    /// Addresses with their prefix lengths.
    pub addrs: &'a [(std::net::IpAddr, u8)],
    pub mac: Option<[u8; 6]>,
}

/// Settings that apply to every link of one operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkOptions {
    pub mtu: Option<u32>,
    /// Add IPv6 addresses with `IFA_F_NODAD` and do not wait for duplicate address
    /// detection.
    pub nodad: bool,
}

/// Looks up a link by name through `socket`; `Ok(None)` when there is no such link.
pub fn find_link(socket: &mut Socket, name: &str) -> Result<Option<LinkInfo>, koko_netlink::Error> {
    let mut request = link::get(LinkRef::Name(name))?;
    let mut found = None;
    let outcome = socket.request_with(&mut request, |message| {
        if message.header.kind == link::RTM_NEWLINK {
            found = LinkInfo::parse(message);
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(found),
        Err(error) if error.errno() == Some(libc::ENODEV) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Looks up a link that must exist, for messages that name its namespace.
pub fn require_link(socket: &mut Socket, netns: &Netns, name: &str) -> Result<LinkInfo> {
    match find_link(socket, name) {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(Error::new(format!("link \"{name}\" not found in {netns}"))),
        Err(error) => {
            Err(Error::netlink(format_args!("look up link \"{name}\" in {netns}"), &error))
        }
    }
}
