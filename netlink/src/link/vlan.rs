//! 802.1Q and 802.1ad vlan links: a tagged sub-interface of the lower device named by the
//! top-level `IFLA_LINK`, with the tag in `IFLA_INFO_DATA`.

use super::{create as create_link, LinkSettings};
use crate::message::{EncodeError, MessageBuilder};

/// `IFLA_VLAN_*` attribute types (`linux/if_link.h`).
pub const IFLA_VLAN_ID: u16 = 1;
pub const IFLA_VLAN_FLAGS: u16 = 2;
pub const IFLA_VLAN_EGRESS_QOS: u16 = 3;
pub const IFLA_VLAN_INGRESS_QOS: u16 = 4;
/// Tag protocol, an ethertype as `__be16`.
pub const IFLA_VLAN_PROTOCOL: u16 = 5;

/// Ethertype of an 802.1Q tag, the kernel's default protocol.
pub const ETH_P_8021Q: u16 = 0x8100;
/// Ethertype of an 802.1ad (QinQ service) tag.
pub const ETH_P_8021AD: u16 = 0x88a8;

/// Largest VLAN id that Linux accepts: 4095 is reserved.
pub const VID_MAX: u16 = 4094;

/// Builds the `RTM_NEWLINK` request that creates an 802.1Q vlan link with id `vid` on the
/// device with index `settings.parent_index`.
///
/// No `IFLA_VLAN_PROTOCOL` is sent, as iproute2 6.1 does without `protocol`, so the kernel
/// uses 802.1Q. The kernel rejects a `vid` above [`VID_MAX`].
pub fn create(settings: &LinkSettings, vid: u16) -> Result<MessageBuilder, EncodeError> {
    create_link(settings, "vlan", |msg| msg.put_u16(IFLA_VLAN_ID, vid))
}

/// Like [`create`], with the tag protocol (`ETH_P_8021Q` or `ETH_P_8021AD`) sent
/// explicitly before the id, in the order iproute2 6.1 uses for `protocol P id N`.
pub fn create_with_protocol(
    settings: &LinkSettings,
    vid: u16,
    protocol: u16,
) -> Result<MessageBuilder, EncodeError> {
    create_link(settings, "vlan", |msg| {
        msg.put_be16(IFLA_VLAN_PROTOCOL, protocol)?;
        msg.put_u16(IFLA_VLAN_ID, vid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::AttrIter;
    use crate::link::{IFINFOMSG_LEN, IFLA_INFO_DATA, IFLA_LINKINFO};
    use crate::message::HEADER_LEN;

    fn data(msg: &MessageBuilder) -> Vec<(u16, Vec<u8>)> {
        let attrs = &msg.as_bytes()[HEADER_LEN + IFINFOMSG_LEN..];
        let info = AttrIter::find(attrs, IFLA_LINKINFO).unwrap();
        let data = AttrIter::find(info.payload, IFLA_INFO_DATA).unwrap();
        AttrIter::new(data.payload).map(|attr| (attr.kind, attr.payload.to_vec())).collect()
    }

    #[test]
    fn extreme_values_encode() {
        let settings = LinkSettings { parent_index: Some(u32::MAX), ..LinkSettings::named("v") };
        let msg = create(&settings, u16::MAX).unwrap();
        assert_eq!(data(&msg), [(IFLA_VLAN_ID, u16::MAX.to_ne_bytes().to_vec())]);
        let msg = create_with_protocol(&settings, 0, u16::MAX).unwrap();
        assert_eq!(
            data(&msg),
            [(IFLA_VLAN_PROTOCOL, vec![0xff, 0xff]), (IFLA_VLAN_ID, 0u16.to_ne_bytes().to_vec())]
        );
    }

    #[test]
    fn protocol_is_big_endian() {
        let msg = create_with_protocol(&LinkSettings::named("v"), 5, ETH_P_8021AD).unwrap();
        assert_eq!(data(&msg)[0], (IFLA_VLAN_PROTOCOL, vec![0x88, 0xa8]));
    }
}
