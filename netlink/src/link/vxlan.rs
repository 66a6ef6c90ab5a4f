//! vxlan links: a UDP tunnel whose settings all live in `IFLA_INFO_DATA`, including the
//! lower device (`IFLA_VXLAN_LINK`), so a vxlan request carries no top-level `IFLA_LINK`.

use super::{create as create_link, LinkSettings};
use crate::message::{EncodeError, MessageBuilder};
use std::net::IpAddr;

/// `IFLA_VXLAN_*` attribute types (`linux/if_link.h`).
pub const IFLA_VXLAN_ID: u16 = 1;
/// Remote unicast address or multicast group, IPv4.
pub const IFLA_VXLAN_GROUP: u16 = 2;
pub const IFLA_VXLAN_LINK: u16 = 3;
pub const IFLA_VXLAN_LOCAL: u16 = 4;
pub const IFLA_VXLAN_TTL: u16 = 5;
pub const IFLA_VXLAN_TOS: u16 = 6;
pub const IFLA_VXLAN_LEARNING: u16 = 7;
pub const IFLA_VXLAN_AGEING: u16 = 8;
pub const IFLA_VXLAN_LIMIT: u16 = 9;
/// Source port range, `struct ifla_vxlan_port_range`: two `__be16`, low then high.
pub const IFLA_VXLAN_PORT_RANGE: u16 = 10;
pub const IFLA_VXLAN_PROXY: u16 = 11;
pub const IFLA_VXLAN_RSC: u16 = 12;
pub const IFLA_VXLAN_L2MISS: u16 = 13;
pub const IFLA_VXLAN_L3MISS: u16 = 14;
/// Destination UDP port, `__be16`.
pub const IFLA_VXLAN_PORT: u16 = 15;
/// Remote unicast address or multicast group, IPv6.
pub const IFLA_VXLAN_GROUP6: u16 = 16;
pub const IFLA_VXLAN_LOCAL6: u16 = 17;
pub const IFLA_VXLAN_UDP_CSUM: u16 = 18;
pub const IFLA_VXLAN_UDP_ZERO_CSUM6_TX: u16 = 19;
pub const IFLA_VXLAN_UDP_ZERO_CSUM6_RX: u16 = 20;
pub const IFLA_VXLAN_REMCSUM_TX: u16 = 21;
pub const IFLA_VXLAN_REMCSUM_RX: u16 = 22;
pub const IFLA_VXLAN_GBP: u16 = 23;
pub const IFLA_VXLAN_REMCSUM_NOPARTIAL: u16 = 24;
pub const IFLA_VXLAN_COLLECT_METADATA: u16 = 25;
pub const IFLA_VXLAN_LABEL: u16 = 26;
pub const IFLA_VXLAN_GPE: u16 = 27;
pub const IFLA_VXLAN_TTL_INHERIT: u16 = 28;
pub const IFLA_VXLAN_DF: u16 = 29;

/// Largest VXLAN network identifier: the field is 24 bits wide.
pub const VNI_MAX: u32 = (1 << 24) - 1;
/// Destination port assigned by IANA. Without `IFLA_VXLAN_PORT` Linux uses 8472 instead.
pub const IANA_PORT: u16 = 4789;

/// Settings of a new vxlan link.
///
/// Values are sent as given and the kernel validates them. Linux 6.18 rejects a VNI above
/// [`VNI_MAX`], a source port range whose high end is below its low end, a local and a
/// remote address of different families, and a multicast group without a lower device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vxlan {
    /// VXLAN network identifier (`IFLA_VXLAN_ID`), at most [`VNI_MAX`].
    pub vni: u32,
    /// Unicast remote or multicast group (`IFLA_VXLAN_GROUP` or `IFLA_VXLAN_GROUP6`). Both go
    /// in the same attribute, as iproute2 sends `remote` and `group`, and Linux distinguishes
    /// them by whether the address is multicast.
    pub remote: Option<IpAddr>,
    /// Source address (`IFLA_VXLAN_LOCAL` or `IFLA_VXLAN_LOCAL6`).
    pub local: Option<IpAddr>,
    /// Index of the lower device (`IFLA_VXLAN_LINK`), in the namespace of the socket.
    pub parent_index: Option<u32>,
    /// Destination UDP port (`IFLA_VXLAN_PORT`). With `None` or 0 the kernel uses 8472.
    pub port: Option<u16>,
    /// Time to live of the outer packets. With 0 the kernel chooses it.
    pub ttl: Option<u8>,
    /// Type of service of the outer packets. The value 1 copies it from the inner packet.
    pub tos: Option<u8>,
    /// Learning of remote addresses from received packets (`IFLA_VXLAN_LEARNING`).
    pub learning: bool,
    /// Source UDP port range (`IFLA_VXLAN_PORT_RANGE`), low and high, both inclusive.
    pub port_range: Option<(u16, u16)>,
    /// UDP checksums on transmitted IPv4 packets (`IFLA_VXLAN_UDP_CSUM`). With `None` the
    /// kernel default applies, which is on in Linux 6.18.
    pub udp_checksum: Option<bool>,
}

impl Vxlan {
    /// Starts the settings for `vni` with learning on, the kernel's default for a new link.
    pub fn new(vni: u32) -> Self {
        Vxlan {
            vni,
            remote: None,
            local: None,
            parent_index: None,
            port: None,
            ttl: None,
            tos: None,
            learning: true,
            port_range: None,
            udp_checksum: None,
        }
    }

    /// Writes the `IFLA_INFO_DATA` attributes in the order iproute2 6.1 sends for
    /// `ip link add ... type vxlan id VNI remote ADDR local ADDR dev PARENT dstport PORT
    /// ttl TTL tos TOS nolearning srcport LOW HIGH udpcsum`. iproute2 appends `dev`, `ttl`,
    /// `tos`, `srcport` and `udpcsum` as it reads them, so their order follows the command
    /// line. It appends the other attributes after reading the whole command line.
    fn put_data(&self, msg: &mut MessageBuilder) -> Result<(), EncodeError> {
        if let Some(parent) = self.parent_index {
            msg.put_u32(IFLA_VXLAN_LINK, parent)?;
        }
        if let Some(ttl) = self.ttl {
            msg.put_u8(IFLA_VXLAN_TTL, ttl)?;
        }
        if let Some(tos) = self.tos {
            msg.put_u8(IFLA_VXLAN_TOS, tos)?;
        }
        if let Some((low, high)) = self.port_range {
            let mut range = [0u8; 4];
            range[..2].copy_from_slice(&low.to_be_bytes());
            range[2..].copy_from_slice(&high.to_be_bytes());
            msg.put(IFLA_VXLAN_PORT_RANGE, &range)?;
        }
        if let Some(checksum) = self.udp_checksum {
            msg.put_u8(IFLA_VXLAN_UDP_CSUM, u8::from(checksum))?;
        }

        msg.put_u32(IFLA_VXLAN_ID, self.vni)?;
        match self.local {
            Some(IpAddr::V4(local)) => msg.put(IFLA_VXLAN_LOCAL, &local.octets())?,
            Some(IpAddr::V6(local)) => msg.put(IFLA_VXLAN_LOCAL6, &local.octets())?,
            None => {}
        }
        match self.remote {
            Some(IpAddr::V4(remote)) => msg.put(IFLA_VXLAN_GROUP, &remote.octets())?,
            Some(IpAddr::V6(remote)) => msg.put(IFLA_VXLAN_GROUP6, &remote.octets())?,
            None => {}
        }

        // Sent even when on, as iproute2 does, so the request states the mode outright.
        msg.put_u8(IFLA_VXLAN_LEARNING, u8::from(self.learning))?;
        if let Some(port) = self.port {
            msg.put_be16(IFLA_VXLAN_PORT, port)?;
        }
        Ok(())
    }
}

/// Builds the `RTM_NEWLINK` request that creates a vxlan link.
///
/// The lower device is `vxlan.parent_index`. Leave `settings.parent_index` at `None`:
/// it would be sent as a top-level `IFLA_LINK`, which the vxlan driver ignores without an
/// error (checked on Linux 6.18, even for an index that does not exist).
pub fn create(settings: &LinkSettings, vxlan: &Vxlan) -> Result<MessageBuilder, EncodeError> {
    create_link(settings, "vxlan", |msg| vxlan.put_data(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::AttrIter;
    use crate::link::{IFINFOMSG_LEN, IFLA_INFO_DATA, IFLA_LINKINFO};
    use crate::message::HEADER_LEN;

    fn data_attrs(msg: &MessageBuilder) -> Vec<(u16, Vec<u8>)> {
        let attrs = &msg.as_bytes()[HEADER_LEN + IFINFOMSG_LEN..];
        let info = AttrIter::find(attrs, IFLA_LINKINFO).unwrap();
        let data = AttrIter::find(info.payload, IFLA_INFO_DATA).unwrap();
        let mut iter = AttrIter::new(data.payload);
        let out = iter.by_ref().map(|attr| (attr.kind, attr.payload.to_vec())).collect();
        assert!(!iter.malformed());
        out
    }

    #[test]
    fn extreme_values_encode() {
        let vxlan = Vxlan {
            remote: Some("ff0e::1".parse().unwrap()),
            local: Some("::".parse().unwrap()),
            parent_index: Some(u32::MAX),
            port: Some(u16::MAX),
            ttl: Some(u8::MAX),
            tos: Some(u8::MAX),
            learning: false,
            port_range: Some((u16::MAX, 0)),
            udp_checksum: Some(true),
            ..Vxlan::new(VNI_MAX)
        };
        let settings = LinkSettings { netns_fd: Some(u32::MAX), ..LinkSettings::named("vx") };
        let msg = create(&settings, &vxlan).unwrap();
        let attrs = data_attrs(&msg);
        assert!(attrs.contains(&(IFLA_VXLAN_ID, VNI_MAX.to_ne_bytes().to_vec())));
        assert!(attrs.contains(&(IFLA_VXLAN_PORT, vec![0xff, 0xff])));
        assert!(attrs.contains(&(IFLA_VXLAN_PORT_RANGE, vec![0xff, 0xff, 0, 0])));
        assert!(attrs.contains(&(IFLA_VXLAN_LINK, u32::MAX.to_ne_bytes().to_vec())));
        assert!(attrs.contains(&(IFLA_VXLAN_LEARNING, vec![0])));
    }

    #[test]
    fn oversized_vni_is_sent_unchanged() {
        let msg = create(&LinkSettings::named("vx"), &Vxlan::new(u32::MAX)).unwrap();
        assert!(data_attrs(&msg).contains(&(IFLA_VXLAN_ID, u32::MAX.to_ne_bytes().to_vec())));
    }

    #[test]
    fn minimal_vxlan_sends_id_and_learning() {
        let msg = create(&LinkSettings::named("vx"), &Vxlan::new(0)).unwrap();
        let kinds: Vec<u16> = data_attrs(&msg).iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds, [IFLA_VXLAN_ID, IFLA_VXLAN_LEARNING]);
    }

    #[test]
    fn port_range_is_big_endian_low_then_high() {
        let vxlan = Vxlan { port_range: Some((0x0102, 0x0304)), ..Vxlan::new(1) };
        let msg = create(&LinkSettings::named("vx"), &vxlan).unwrap();
        assert!(data_attrs(&msg).contains(&(IFLA_VXLAN_PORT_RANGE, vec![1, 2, 3, 4])));
    }

    #[test]
    fn name_length_limit_is_checked() {
        let settings = LinkSettings::named(&"x".repeat(65000));
        assert!(create(&settings, &Vxlan::new(VNI_MAX)).is_ok());
        let settings = LinkSettings::named(&"x".repeat(70000));
        assert!(create(&settings, &Vxlan::new(VNI_MAX)).is_err());
    }
}
