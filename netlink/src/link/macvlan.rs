//! macvlan links: a second MAC address on a lower device, named by the top-level
//! `IFLA_LINK`, with the forwarding mode in `IFLA_INFO_DATA`.

use super::{create as create_link, LinkSettings};
use crate::message::{EncodeError, MessageBuilder};

/// Forwarding mode, `u32` (`linux/if_link.h`).
pub const IFLA_MACVLAN_MODE: u16 = 1;

/// Frames between macvlans on one lower device are dropped.
pub const MACVLAN_MODE_PRIVATE: u32 = 1;
/// Frames between macvlans on one lower device go out to the external switch.
pub const MACVLAN_MODE_VEPA: u32 = 2;
/// Frames between macvlans on one lower device are switched directly.
pub const MACVLAN_MODE_BRIDGE: u32 = 4;
/// The only macvlan on the lower device takes over its traffic.
pub const MACVLAN_MODE_PASSTHRU: u32 = 8;
/// Only frames from a list of source MAC addresses are received.
pub const MACVLAN_MODE_SOURCE: u32 = 16;

/// Builds the `RTM_NEWLINK` request that creates a macvlan link on the device with index
/// `settings.parent_index`.
///
/// `mode` is one of the `MACVLAN_MODE_*` values. `None` sends no `IFLA_INFO_DATA`, and
/// Linux then uses `MACVLAN_MODE_VEPA`. Other values are sent as given, for the kernel to
/// reject.
pub fn create(settings: &LinkSettings, mode: Option<u32>) -> Result<MessageBuilder, EncodeError> {
    create_link(settings, "macvlan", |msg| match mode {
        Some(mode) => msg.put_u32(IFLA_MACVLAN_MODE, mode),
        None => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::AttrIter;
    use crate::link::{IFINFOMSG_LEN, IFLA_INFO_DATA, IFLA_LINK, IFLA_LINKINFO};
    use crate::message::HEADER_LEN;

    #[test]
    fn extreme_values_encode() {
        let settings = LinkSettings {
            parent_index: Some(u32::MAX),
            netns_fd: Some(u32::MAX),
            mtu: Some(u32::MAX),
            ..LinkSettings::named("mv")
        };
        let msg = create(&settings, Some(u32::MAX)).unwrap();
        let attrs = &msg.as_bytes()[HEADER_LEN + IFINFOMSG_LEN..];
        assert_eq!(AttrIter::find(attrs, IFLA_LINK).unwrap().as_u32(), Some(u32::MAX));
        let info = AttrIter::find(attrs, IFLA_LINKINFO).unwrap();
        let data = AttrIter::find(info.payload, IFLA_INFO_DATA).unwrap();
        let mode = AttrIter::find(data.payload, IFLA_MACVLAN_MODE).unwrap();
        assert_eq!(mode.as_u32(), Some(u32::MAX));
    }

    #[test]
    fn no_mode_sends_no_data() {
        let msg = create(&LinkSettings::named("mv"), None).unwrap();
        let attrs = &msg.as_bytes()[HEADER_LEN + IFINFOMSG_LEN..];
        let info = AttrIter::find(attrs, IFLA_LINKINFO).unwrap();
        assert!(AttrIter::find(info.payload, IFLA_INFO_DATA).is_none());
    }
}
