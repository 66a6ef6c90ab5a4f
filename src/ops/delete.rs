//! Deleting one link; for a veth end the kernel removes the peer too.

use super::require_link;
use crate::error::{Error, Result};
use crate::netns::Netns;
use koko_netlink::link::{self, LinkRef};

/// Deletes link `name` in `netns`. A missing link is an error.
pub fn delete_link(netns: &Netns, name: &str) -> Result<()> {
    let mut socket = netns.socket()?;
    let info = require_link(&mut socket, netns, name)?;
    let mut request = link::delete(LinkRef::Index(info.index)).map_err(|e| {
        Error::new(format!("failed to encode the deletion of link \"{name}\": {e}"))
    })?;
    socket
        .request(&mut request)
        .map_err(|e| Error::netlink(format_args!("delete link \"{name}\" in {netns}"), &e))
}
