//! veth pairs: the peer is described inside `IFLA_INFO_DATA` by `VETH_INFO_PEER`, which
//! contains a whole `ifinfomsg` followed by the peer's own link attributes.

use super::{create, LinkSettings};
use crate::message::{EncodeError, MessageBuilder};

pub const VETH_INFO_PEER: u16 = 1;

/// Builds the `RTM_NEWLINK` request that creates a veth pair, each end with its final
/// name and in its own namespace when `netns_fd` is set.
///
/// The kernel rejects `IFF_UP` on the peer (`ENOTCONN`, checked on Linux 6.18) because the
/// peer is registered before the pair is linked, so `peer.up` is ignored here and the peer
/// must be brought up by a second request.
pub fn create_pair(end: &LinkSettings, peer: &LinkSettings) -> Result<MessageBuilder, EncodeError> {
    create(end, "veth", |msg| {
        let nest = msg.nest_start(VETH_INFO_PEER);
        let peer_header = super::IfInfoMsg { index: peer.index, ..super::IfInfoMsg::default() };
        msg.put_raw(&peer_header.to_bytes());
        peer.put_attrs(msg)?;
        msg.nest_end(nest)
    })
}
