//! Values of the link-kind options: `-x` (vxlan), `-M` (macvlan) and `-V` (vlan).

use std::net::{IpAddr, Ipv4Addr};

use super::{parse_mtu, Macvlan, MacvlanMode, Vlan, Vxlan};
use crate::cli::Error;
use crate::endpoint::{parse_decimal, validate_interface_name};

/// Default vxlan UDP destination port, assigned by IANA (RFC 7348).
pub const VXLAN_PORT: u16 = 4789;
/// Largest VNI: the identifier is 24 bits wide.
pub const MAX_VNI: u32 = 0xff_ffff;

const VXLAN_KEYS: [&str; 8] =
    ["port", "mtu", "local", "ttl", "tos", "learning", "srcport", "udpcsum"];
const VXLAN_KEY_LIST: &str = "port, mtu, local, ttl, tos, learning, srcport or udpcsum";

/// Parses `-x PARENT,REMOTE,VNI[,KEY=VALUE...]`, or `PARENT:REMOTE:VNI` with an IPv4 remote.
///
/// Errors start with `-x VALUE: `.
pub fn parse_vxlan(value: &str) -> Result<Vxlan, Error> {
    parse_vxlan_parts(value).map_err(|err| err.in_option('x', value))
}

fn parse_vxlan_parts(value: &str) -> Result<Vxlan, Error> {
    let syntax = "expected PARENT,REMOTE,VNI[,KEY=VALUE...], e.g. eth0,192.0.2.2,42";
    let (parent, remote_text, vni_text, settings): (&str, &str, &str, Vec<&str>) =
        if value.contains(',') {
            let mut parts = value.split(',');
            let parent = parts.next().unwrap_or("");
            let remote = parts
                .next()
                .filter(|remote| !remote.is_empty())
                .ok_or_else(|| Error::new(format!("missing remote address ({syntax})")))?;
            let vni = parts
                .next()
                .filter(|vni| !vni.is_empty())
                .ok_or_else(|| Error::new(format!("missing VNI ({syntax})")))?;
            (parent, remote, vni, parts.collect())
        } else if value.contains(':') {
            // IPv6 remotes contain colons, so the colon form only works for IPv4.
            let parts: Vec<&str> = value.split(':').collect();
            match parts.as_slice() {
                [parent, remote, vni] if remote.parse::<Ipv4Addr>().is_ok() => {
                    (*parent, *remote, *vni, Vec::new())
                }
                _ => {
                    return Err(Error::new(
                        "invalid colon form (expected PARENT:REMOTE:VNI with an IPv4 REMOTE; \
                         for IPv6 or settings use PARENT,REMOTE,VNI[,KEY=VALUE...])",
                    ))
                }
            }
        } else {
            return Err(Error::new(format!("missing remote address and VNI ({syntax})")));
        };

    validate_interface_name(parent)?;
    let remote = parse_remote(remote_text)?;
    let vni = match parse_decimal(vni_text) {
        Some(vni) if vni <= u64::from(MAX_VNI) => vni as u32,
        _ => return Err(Error::new(format!("invalid VNI {vni_text:?} (expected 0 to {MAX_VNI})"))),
    };

    let mut vxlan = Vxlan {
        parent: parent.to_string(),
        remote,
        vni,
        port: VXLAN_PORT,
        mtu: None,
        local: None,
        ttl: None,
        tos: None,
        learning: true,
        srcport: None,
        udpcsum: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    for setting in settings {
        let Some((key, text)) = setting.split_once('=') else {
            let problem = if setting.is_empty() {
                "empty setting".to_string()
            } else {
                format!("missing '=' in vxlan setting {setting:?}")
            };
            return Err(Error::new(format!(
                "{problem} (expected KEY=VALUE with KEY one of {VXLAN_KEY_LIST})"
            )));
        };
        if !VXLAN_KEYS.contains(&key) {
            return Err(Error::new(format!(
                "unknown vxlan setting {key:?} (expected {VXLAN_KEY_LIST})"
            )));
        }
        if seen.contains(&key) {
            return Err(Error::new(format!(
                "vxlan setting {key:?} given more than once (expected each key at most once)"
            )));
        }
        seen.push(key);
        if text.is_empty() {
            return Err(Error::new(format!(
                "empty value for vxlan setting {key:?} (expected {key}={})",
                key_syntax(key)
            )));
        }
        apply_setting(&mut vxlan, key, text)?;
    }
    Ok(vxlan)
}

fn key_syntax(key: &str) -> &'static str {
    match key {
        "port" => "PORT, 1 to 65535",
        "mtu" => "BYTES, 68 to 65535",
        "local" => "ADDR of the same IP version as the remote",
        "ttl" => "N, 0 to 255",
        "tos" => "N, 0 to 255",
        "learning" | "udpcsum" => "on or off",
        "srcport" => "MIN-MAX, 1 to 65535",
        _ => "VALUE",
    }
}

fn apply_setting(vxlan: &mut Vxlan, key: &str, text: &str) -> Result<(), Error> {
    let invalid =
        || Error::new(format!("invalid vxlan {key} {text:?} (expected {key}={})", key_syntax(key)));
    match key {
        "port" => vxlan.port = parse_port(text).ok_or_else(invalid)?,
        "mtu" => vxlan.mtu = Some(parse_mtu(text).map_err(|_| invalid())?),
        "local" => vxlan.local = Some(parse_local(text, vxlan.remote)?),
        "ttl" => vxlan.ttl = Some(parse_u8(text).ok_or_else(invalid)?),
        "tos" => vxlan.tos = Some(parse_u8(text).ok_or_else(invalid)?),
        "learning" => vxlan.learning = parse_switch(text).ok_or_else(invalid)?,
        "udpcsum" => vxlan.udpcsum = Some(parse_switch(text).ok_or_else(invalid)?),
        "srcport" => {
            let (low, high) = text.split_once('-').ok_or_else(invalid)?;
            let low = parse_port(low).ok_or_else(invalid)?;
            let high = parse_port(high).ok_or_else(invalid)?;
            if low > high {
                return Err(Error::new(format!(
                    "invalid vxlan srcport {text:?} (expected MIN-MAX with MIN at most MAX)"
                )));
            }
            vxlan.srcport = Some((low, high));
        }
        _ => return Err(invalid()),
    }
    Ok(())
}

fn parse_remote(text: &str) -> Result<IpAddr, Error> {
    let Ok(remote) = text.parse::<IpAddr>() else {
        return Err(Error::new(format!(
            "invalid remote address {text:?} \
             (expected an IPv4 or IPv6 address, unicast or multicast)"
        )));
    };
    if remote.is_unspecified() {
        return Err(Error::new(format!(
            "invalid remote address {text:?} \
             (unspecified; expected a VTEP address or multicast group)"
        )));
    }
    Ok(remote)
}

fn parse_local(text: &str, remote: IpAddr) -> Result<IpAddr, Error> {
    let Ok(local) = text.parse::<IpAddr>() else {
        return Err(Error::new(format!(
            "invalid vxlan local {text:?} (expected an IPv4 or IPv6 address)"
        )));
    };
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(Error::new(format!(
            "vxlan local {local} and remote {remote} differ in IP version (expected both \
             IPv4 or both IPv6)"
        )));
    }
    if local.is_unspecified() || local.is_multicast() {
        return Err(Error::new(format!(
            "invalid vxlan local {local} (expected a unicast address of this host)"
        )));
    }
    Ok(local)
}

fn parse_port(text: &str) -> Option<u16> {
    match parse_decimal(text)? {
        port @ 1..=65535 => Some(port as u16),
        _ => None,
    }
}

fn parse_u8(text: &str) -> Option<u8> {
    u8::try_from(parse_decimal(text)?).ok()
}

fn parse_switch(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("on") {
        Some(true)
    } else if text.eq_ignore_ascii_case("off") {
        Some(false)
    } else {
        None
    }
}

/// Splits `PARENT,VALUE` (or `PARENT:VALUE`: interface names never contain either
/// separator) into its two parts.
fn split_parent<'a>(
    value: &'a str,
    missing_part: &str,
    syntax: &str,
) -> Result<(&'a str, &'a str), Error> {
    let separator = if value.contains(',') { ',' } else { ':' };
    let Some((parent, rest)) = value.split_once(separator) else {
        return Err(Error::new(format!("missing {missing_part} (expected {syntax})")));
    };
    if rest.is_empty() {
        return Err(Error::new(format!("missing {missing_part} (expected {syntax})")));
    }
    if rest.contains(separator) {
        return Err(Error::new(format!("too many fields in {value:?} (expected {syntax})")));
    }
    validate_interface_name(parent)?;
    Ok((parent, rest))
}

/// Parses `-M PARENT,MODE`; MODE is case-insensitive. Errors start with `-M VALUE: `.
pub fn parse_macvlan(value: &str) -> Result<Macvlan, Error> {
    parse_macvlan_parts(value).map_err(|err| err.in_option('M', value))
}

fn parse_macvlan_parts(value: &str) -> Result<Macvlan, Error> {
    let modes = "default, private, vepa, bridge, passthru or source";
    let (parent, mode_text) =
        split_parent(value, "macvlan mode", &format!("PARENT,MODE with MODE one of {modes}"))?;
    let mode = match mode_text.to_ascii_lowercase().as_str() {
        "default" => MacvlanMode::Default,
        "private" => MacvlanMode::Private,
        "vepa" => MacvlanMode::Vepa,
        "bridge" => MacvlanMode::Bridge,
        "passthru" => MacvlanMode::Passthru,
        "source" => MacvlanMode::Source,
        _ => {
            return Err(Error::new(format!(
                "invalid macvlan mode {mode_text:?} (expected {modes})"
            )))
        }
    };
    Ok(Macvlan { parent: parent.to_string(), mode })
}

/// Parses `-V PARENT,VID`. Errors start with `-V VALUE: `.
pub fn parse_vlan(value: &str) -> Result<Vlan, Error> {
    parse_vlan_parts(value).map_err(|err| err.in_option('V', value))
}

fn parse_vlan_parts(value: &str) -> Result<Vlan, Error> {
    let (parent, vid_text) = split_parent(value, "VLAN id", "PARENT,VID, e.g. eth0,100")?;
    // 0 means "priority tag only" and 4095 is reserved (IEEE 802.1Q).
    match parse_decimal(vid_text) {
        Some(vid @ 1..=4094) => Ok(Vlan { parent: parent.to_string(), vid: vid as u16 }),
        _ => Err(Error::new(format!("invalid VLAN id {vid_text:?} (expected 1 to 4094)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn vxlan_error(value: &str) -> String {
        parse_vxlan(value).unwrap_err().to_string()
    }

    #[test]
    fn vxlan_defaults() {
        let vxlan = parse_vxlan("eth0,192.0.2.2,42").unwrap();
        assert_eq!(
            vxlan,
            Vxlan {
                parent: "eth0".into(),
                remote: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
                vni: 42,
                port: 4789,
                mtu: None,
                local: None,
                ttl: None,
                tos: None,
                learning: true,
                srcport: None,
                udpcsum: None,
            }
        );
        assert!(!vxlan.is_multicast());
    }

    #[test]
    fn vxlan_every_key() {
        let vxlan = parse_vxlan(
            "eth0,fd00::2,16777215,port=8472,mtu=1450,local=fd00::1,ttl=64,tos=0,learning=off,\
             srcport=1000-2000,udpcsum=on",
        )
        .unwrap();
        assert_eq!(vxlan.remote, IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)));
        assert_eq!(vxlan.vni, 16777215);
        assert_eq!(vxlan.port, 8472);
        assert_eq!(vxlan.mtu, Some(1450));
        assert_eq!(vxlan.local, Some("fd00::1".parse().unwrap()));
        assert_eq!(vxlan.ttl, Some(64));
        assert_eq!(vxlan.tos, Some(0));
        assert!(!vxlan.learning);
        assert_eq!(vxlan.srcport, Some((1000, 2000)));
        assert_eq!(vxlan.udpcsum, Some(true));
    }

    #[test]
    fn vxlan_key_bounds() {
        let ok = [
            "port=1",
            "port=65535",
            "mtu=68",
            "mtu=65535",
            "ttl=0",
            "ttl=255",
            "tos=255",
            "learning=on",
            "learning=OFF",
            "udpcsum=off",
            "srcport=1-1",
            "srcport=1-65535",
            "local=10.0.0.1",
        ];
        for setting in ok {
            assert!(parse_vxlan(&format!("eth0,10.0.0.2,1,{setting}")).is_ok(), "{setting}");
        }
    }

    #[test]
    fn vxlan_multicast_remote() {
        let vxlan = parse_vxlan("eth0,239.1.1.1,7").unwrap();
        assert!(vxlan.is_multicast());
        let vxlan = parse_vxlan("eth0,ff05::100,7").unwrap();
        assert!(vxlan.is_multicast());
    }

    #[test]
    fn vxlan_colon_form() {
        let vxlan = parse_vxlan("eth0:192.0.2.2:42").unwrap();
        assert_eq!(vxlan.parent, "eth0");
        assert_eq!(vxlan.remote, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        assert_eq!(vxlan.vni, 42);
        assert_eq!(vxlan.port, 4789);

        for value in
            ["eth0:fd00::2:42", "eth0:192.0.2.2", "eth0:192.0.2.2:42:port=1", "eth0:host:42"]
        {
            let message = vxlan_error(value);
            assert!(message.contains("invalid colon form"), "{value}: {message}");
        }
    }

    #[test]
    fn vxlan_structure_errors() {
        let cases = [
            ("eth0", "missing remote address and VNI"),
            ("eth0,", "missing remote address"),
            ("eth0,192.0.2.2", "missing VNI"),
            ("eth0,192.0.2.2,", "missing VNI"),
            (",192.0.2.2,1", "invalid interface name \"\""),
            ("averyveryverylongname,192.0.2.2,1", "at most 15 bytes"),
            ("eth0,example.com,1", "invalid remote address \"example.com\""),
            ("eth0,0.0.0.0,1", "unspecified"),
            ("eth0,::,1", "unspecified"),
            ("eth0,192.0.2.2,16777216", "invalid VNI \"16777216\" (expected 0 to 16777215)"),
            ("eth0,192.0.2.2,-1", "invalid VNI"),
            ("eth0,192.0.2.2,0x10", "invalid VNI"),
            ("eth0,192.0.2.2,1,", "empty setting"),
        ];
        for (value, expected) in cases {
            let message = vxlan_error(value);
            assert!(message.contains(expected), "{value}: {message}");
            assert!(message.starts_with("-x "), "{value}: {message}");
        }
        assert_eq!(parse_vxlan("eth0,192.0.2.2,0").unwrap().vni, 0);
    }

    #[test]
    fn vxlan_setting_errors() {
        let cases = [
            ("port", "missing '=' in vxlan setting \"port\" (expected KEY=VALUE with KEY one of port, mtu"),
            ("colour=red", "unknown vxlan setting \"colour\" (expected port, mtu, local, ttl, tos, learning, srcport or udpcsum)"),
            ("Port=1", "unknown vxlan setting \"Port\""),
            ("port=", "empty value for vxlan setting \"port\""),
            ("port=1,port=2", "vxlan setting \"port\" given more than once"),
            ("port=0", "invalid vxlan port \"0\" (expected port=PORT, 1 to 65535)"),
            ("port=65536", "invalid vxlan port"),
            ("port=+1", "invalid vxlan port"),
            ("mtu=67", "invalid vxlan mtu \"67\""),
            ("mtu=65536", "invalid vxlan mtu"),
            ("ttl=256", "invalid vxlan ttl \"256\" (expected ttl=N, 0 to 255)"),
            ("ttl=-1", "invalid vxlan ttl"),
            ("tos=256", "invalid vxlan tos"),
            ("learning=yes", "invalid vxlan learning \"yes\" (expected learning=on or off)"),
            ("udpcsum=1", "invalid vxlan udpcsum"),
            ("srcport=2000", "invalid vxlan srcport"),
            ("srcport=0-10", "invalid vxlan srcport"),
            ("srcport=10-65536", "invalid vxlan srcport"),
            ("srcport=-10", "invalid vxlan srcport"),
            ("srcport=10-", "invalid vxlan srcport"),
            ("srcport=20-10", "MIN at most MAX"),
            ("local=fd00::1", "differ in IP version"),
            ("local=nope", "invalid vxlan local \"nope\""),
            ("local=224.0.0.1", "expected a unicast address"),
            ("local=0.0.0.0", "expected a unicast address"),
        ];
        for (setting, expected) in cases {
            let value = format!("eth0,192.0.2.2,42,{setting}");
            let message = vxlan_error(&value);
            assert!(message.contains(expected), "{setting}: {message}");
        }
    }

    #[test]
    fn macvlan_modes_ignore_case() {
        let cases = [
            ("default", MacvlanMode::Default),
            ("private", MacvlanMode::Private),
            ("VEPA", MacvlanMode::Vepa),
            ("Bridge", MacvlanMode::Bridge),
            ("passthru", MacvlanMode::Passthru),
            ("SOURCE", MacvlanMode::Source),
        ];
        for (text, mode) in cases {
            let macvlan = parse_macvlan(&format!("eth0,{text}")).unwrap();
            assert_eq!(macvlan, Macvlan { parent: "eth0".into(), mode }, "{text}");
        }
        assert_eq!(parse_macvlan("eth0:bridge").unwrap().mode, MacvlanMode::Bridge);
    }

    #[test]
    fn macvlan_kernel_values() {
        assert_eq!(MacvlanMode::Default.kernel_value(), None);
        assert_eq!(MacvlanMode::Private.kernel_value(), Some(1));
        assert_eq!(MacvlanMode::Vepa.kernel_value(), Some(2));
        assert_eq!(MacvlanMode::Bridge.kernel_value(), Some(4));
        assert_eq!(MacvlanMode::Passthru.kernel_value(), Some(8));
        assert_eq!(MacvlanMode::Source.kernel_value(), Some(16));
    }

    #[test]
    fn macvlan_errors() {
        assert_eq!(
            parse_macvlan("eth0,brige").unwrap_err().to_string(),
            "-M eth0,brige: invalid macvlan mode \"brige\" \
             (expected default, private, vepa, bridge, passthru or source)"
        );
        for (value, expected) in [
            ("eth0", "missing macvlan mode"),
            ("eth0,", "missing macvlan mode"),
            ("eth0,bridge,x", "too many fields"),
            (",bridge", "invalid interface name"),
            ("e/0,bridge", "'/' is not allowed"),
        ] {
            let message = parse_macvlan(value).unwrap_err().to_string();
            assert!(message.contains(expected), "{value}: {message}");
        }
    }

    #[test]
    fn vlan_range() {
        assert_eq!(parse_vlan("eth0,1").unwrap(), Vlan { parent: "eth0".into(), vid: 1 });
        assert_eq!(parse_vlan("eth0,4094").unwrap().vid, 4094);
        assert_eq!(parse_vlan("eth0:100").unwrap().vid, 100);
        for vid in ["0", "4095", "65536", "-1", "1.5", "x", "99999999999999999999999"] {
            let message = parse_vlan(&format!("eth0,{vid}")).unwrap_err().to_string();
            assert!(
                message.contains(&format!("invalid VLAN id {vid:?} (expected 1 to 4094)")),
                "{vid}: {message}"
            );
        }
        assert!(parse_vlan("eth0").unwrap_err().to_string().contains("missing VLAN id"));
        assert!(parse_vlan("eth0,1,2").unwrap_err().to_string().contains("too many fields"));
    }
}
