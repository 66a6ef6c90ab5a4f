//! Endpoint values: one parser serves every endpoint option (`-d -n -a -p -c -e`) and every
//! delete option (`-D -N -A -P -C -E`).
//!
//! An endpoint value names a namespace and an interface in it, then optional fields:
//! `NAME,LINK[,FIELD...]` (comma form) or `NAME:LINK[:ADDR/PREFIX]` (the older colon form).
//! The current namespace (`-c`) has no NAME. Everything here is pure string checking.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::cli::{Error, NamespaceKind};
use crate::plan::{Endpoint, IpNet, Mirror, MirrorDirection, Namespace};

/// Maximum interface name length in bytes: the kernel's `IFNAMSIZ` (16) minus the NUL.
pub const MAX_INTERFACE_NAME: usize = 15;

/// Maximum length of a netns name or container name or id, in bytes. A netns name is a
/// file name, and Linux file systems cap those at 255 bytes (`NAME_MAX`).
pub const MAX_IDENTIFIER: usize = 255;

const FIELD_FORMS: &str =
    "ADDR/PREFIX, mac=XX:XX:XX:XX:XX:XX, mirror:ingress:IF, mirror:egress:IF or mirror:both:IF";

/// The three parts of an endpoint or delete value before validation.
struct Parts<'a> {
    /// Container name, netns name, path or pid; empty for the current namespace.
    identifier: &'a str,
    link: &'a str,
    fields: Vec<&'a str>,
}

/// Parses the value of an endpoint option such as `-d c1,eth1,10.0.0.1/24`.
///
/// Errors start with the option and its value, e.g. `-d c1,eth1,10.0.0.1: ...`.
pub fn parse_endpoint(kind: NamespaceKind, value: &str) -> Result<Endpoint, Error> {
    parse_endpoint_fields(kind, value).map_err(|err| err.in_option(kind.endpoint_flag(), value))
}

fn parse_endpoint_fields(kind: NamespaceKind, value: &str) -> Result<Endpoint, Error> {
    let parts = split_endpoint(kind, value)?;
    let namespace = parse_namespace(kind, parts.identifier)?;
    validate_interface_name(parts.link)?;

    let mut endpoint = Endpoint {
        namespace,
        link: parts.link.to_string(),
        addrs: Vec::new(),
        mac: None,
        mirror: None,
    };
    let mut fields = parts.fields.into_iter();
    while let Some(field) = fields.next() {
        if field.is_empty() {
            return Err(Error::new(format!(
                "empty field (expected {FIELD_FORMS}; remove the extra separator)"
            )));
        }

        if let Some(text) = strip_prefix_ignore_case(field, "mac=") {
            if endpoint.mac.is_some() {
                return Err(Error::new(format!("more than one mac field (second is {field:?})")));
            }
            endpoint.mac = Some(parse_mac(text)?);
        } else if let Some(text) = strip_prefix_ignore_case(field, "mirror:") {
            if endpoint.mirror.is_some() {
                return Err(Error::new(format!(
                    "more than one mirror field (second is {field:?})"
                )));
            }
            // `mirror:DIR,IF` is koko's documented spelling: the comma splits it into two
            // fields, so the source interface is the next field.
            let (direction, source) = match text.split_once(':') {
                Some((direction, source)) => (direction, Some(source)),
                None => (text, fields.next()),
            };
            let direction = parse_mirror_direction(direction)?;
            let Some(source) = source else {
                return Err(Error::new(format!(
                    "missing mirror source interface after {field:?} \
                     (expected mirror:{text}:IF or mirror:{text},IF)"
                )));
            };
            validate_interface_name(source)?;
            let mirror = Mirror { direction, source: source.to_string() };
            if mirror.source == endpoint.link {
                return Err(Error::new(format!(
                    "mirror source {:?} is the endpoint's own interface \
                     (expected another interface in the same namespace)",
                    mirror.source
                )));
            }
            endpoint.mirror = Some(mirror);
        } else if field.contains('/') || field.parse::<IpAddr>().is_ok() {
            let net = parse_interface_address(field)?;
            if endpoint.addrs.iter().any(|known| known.addr == net.addr) {
                return Err(Error::new(format!(
                    "duplicate address {} (each address may be given once per endpoint)",
                    net.addr
                )));
            }
            endpoint.addrs.push(net);
        } else {
            return Err(Error::new(format!("unknown field {field:?} (expected {FIELD_FORMS})")));
        }
    }
    Ok(endpoint)
}

/// Parses the value of a delete option such as `-D c1,eth1` or `-D c1:eth1`.
///
/// Returns the namespace and the name of the interface to delete. Errors start with the
/// option and its value.
pub fn parse_delete(kind: NamespaceKind, value: &str) -> Result<(Namespace, String), Error> {
    parse_delete_parts(kind, value).map_err(|err| err.in_option(kind.delete_flag(), value))
}

fn parse_delete_parts(kind: NamespaceKind, value: &str) -> Result<(Namespace, String), Error> {
    let separator = if value.contains(',') || kind == NamespaceKind::Current { ',' } else { ':' };
    let (identifier, link) = if kind == NamespaceKind::Current {
        ("", value)
    } else {
        match value.split_once(separator) {
            Some((identifier, link)) => (identifier, link),
            None => return Err(missing_delete_link(kind)),
        }
    };
    if link.is_empty() {
        return Err(missing_delete_link(kind));
    }
    if let Some((link, extra)) = link.split_once(separator) {
        return Err(Error::new(format!(
            "unexpected field {extra:?} after {link:?} (a delete takes only {})",
            delete_syntax(kind)
        )));
    }

    let namespace = parse_namespace(kind, identifier)?;
    validate_interface_name(link)?;
    Ok((namespace, link.to_string()))
}

// NOTE: the identifier ends at the first separator, so an `-a` path that contains ',' (or
// ':' in the colon form) cannot be written. A bind mount under a plain name works around it.
fn split_endpoint(kind: NamespaceKind, value: &str) -> Result<Parts<'_>, Error> {
    let current = kind == NamespaceKind::Current;
    let parts = if value.contains(',') {
        let mut pieces = value.split(',');
        let identifier = if current { "" } else { pieces.next().unwrap_or("") };
        let link = pieces.next().unwrap_or("");
        Parts { identifier, link, fields: pieces.collect() }
    } else if value.contains(':') {
        // The address may be IPv6 and contain colons, so only the first one or two colons
        // separate parts. A trailing colon leaves an empty address, which means none.
        let mut pieces = value.splitn(if current { 2 } else { 3 }, ':');
        let identifier = if current { "" } else { pieces.next().unwrap_or("") };
        let link = pieces.next().unwrap_or("");
        let fields = pieces.filter(|address| !address.is_empty()).collect();
        let parts = Parts { identifier, link, fields };
        if let Some(field) = parts.fields.first() {
            if !field.contains('/') && field.parse::<IpAddr>().is_err() {
                return Err(Error::new(format!(
                    "invalid address {field:?} in colon form (expected {}; \
                     write fields other than one address in the comma form)",
                    colon_syntax(kind)
                )));
            }
        }
        parts
    } else if current {
        Parts { identifier: "", link: value, fields: Vec::new() }
    } else {
        return Err(missing_link(kind));
    };

    if parts.link.is_empty() {
        return Err(missing_link(kind));
    }
    Ok(parts)
}

fn missing_link(kind: NamespaceKind) -> Error {
    Error::new(format!(
        "missing link name (expected {}, e.g. {})",
        endpoint_syntax(kind),
        endpoint_example(kind)
    ))
}

fn missing_delete_link(kind: NamespaceKind) -> Error {
    let example = endpoint_example(kind).replacen(
        &format!("-{}", kind.endpoint_flag()),
        &format!("-{}", kind.delete_flag()),
        1,
    );
    Error::new(format!("missing link name (expected {}, e.g. {example})", delete_syntax(kind)))
}

fn endpoint_syntax(kind: NamespaceKind) -> &'static str {
    match kind {
        NamespaceKind::Docker => "CONTAINER,LINK[,FIELD...]",
        NamespaceKind::Named => "NAME,LINK[,FIELD...]",
        NamespaceKind::Path => "PATH,LINK[,FIELD...]",
        NamespaceKind::Pid => "PID,LINK[,FIELD...]",
        NamespaceKind::Current => "LINK[,FIELD...]",
        NamespaceKind::Crio => "ID,LINK[,FIELD...]",
    }
}

fn colon_syntax(kind: NamespaceKind) -> &'static str {
    match kind {
        NamespaceKind::Docker => "CONTAINER:LINK[:ADDR/PREFIX]",
        NamespaceKind::Named => "NAME:LINK[:ADDR/PREFIX]",
        NamespaceKind::Path => "PATH:LINK[:ADDR/PREFIX]",
        NamespaceKind::Pid => "PID:LINK[:ADDR/PREFIX]",
        NamespaceKind::Current => "LINK[:ADDR/PREFIX]",
        NamespaceKind::Crio => "ID:LINK[:ADDR/PREFIX]",
    }
}

fn delete_syntax(kind: NamespaceKind) -> &'static str {
    match kind {
        NamespaceKind::Docker => "CONTAINER,LINK",
        NamespaceKind::Named => "NAME,LINK",
        NamespaceKind::Path => "PATH,LINK",
        NamespaceKind::Pid => "PID,LINK",
        NamespaceKind::Current => "LINK",
        NamespaceKind::Crio => "ID,LINK",
    }
}

fn endpoint_example(kind: NamespaceKind) -> &'static str {
    match kind {
        NamespaceKind::Docker => "-d web,eth1",
        NamespaceKind::Named => "-n ns1,eth1",
        NamespaceKind::Path => "-a /run/netns/ns1,eth1",
        NamespaceKind::Pid => "-p 4242,eth1",
        NamespaceKind::Current => "-c eth1",
        NamespaceKind::Crio => "-e 3f1c9a,eth1",
    }
}

/// Validates the identifier part of an endpoint for `kind` and returns the namespace.
///
/// `identifier` is ignored for [`NamespaceKind::Current`].
pub fn parse_namespace(kind: NamespaceKind, identifier: &str) -> Result<Namespace, Error> {
    match kind {
        NamespaceKind::Docker => {
            validate_container(identifier, "container name or id")?;
            Ok(Namespace::Docker(identifier.to_string()))
        }
        NamespaceKind::Crio => {
            validate_container(identifier, "CRI-O container id")?;
            Ok(Namespace::Crio(identifier.to_string()))
        }
        NamespaceKind::Named => {
            validate_netns_name(identifier)?;
            Ok(Namespace::Named(identifier.to_string()))
        }
        NamespaceKind::Path => {
            if identifier.is_empty() {
                return Err(Error::new(
                    "empty netns path (expected a file such as /run/netns/ns1)",
                ));
            }
            if identifier.contains('\0') {
                return Err(Error::new(format!(
                    "invalid netns path {identifier:?} (NUL is not allowed)"
                )));
            }
            Ok(Namespace::Path(PathBuf::from(identifier)))
        }
        NamespaceKind::Pid => match parse_decimal(identifier) {
            Some(pid @ 1..=0x7fff_ffff) => Ok(Namespace::Pid(pid as u32)),
            _ => Err(Error::new(format!(
                "invalid pid {identifier:?} (expected a decimal number from 1 to {})",
                i32::MAX
            ))),
        },
        NamespaceKind::Current => Ok(Namespace::Current),
    }
}

fn validate_container(identifier: &str, description: &str) -> Result<(), Error> {
    let reason = if identifier.is_empty() {
        "must not be empty"
    } else if identifier.len() > MAX_IDENTIFIER {
        "at most 255 bytes"
    } else if identifier.contains('/') {
        "'/' is not allowed"
    } else if !identifier.bytes().all(|byte| byte.is_ascii_graphic()) {
        "expected printable ASCII without spaces"
    } else {
        return Ok(());
    };
    Err(Error::new(format!("invalid {description} {identifier:?} ({reason})")))
}

fn validate_netns_name(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "must not be empty"
    } else if name.len() > MAX_IDENTIFIER {
        "at most 255 bytes"
    } else if name.contains('/') {
        "'/' is not allowed; use -a for a path"
    } else if name.contains('\0') {
        "NUL is not allowed"
    } else if name == "." || name == ".." {
        "\".\" and \"..\" are not netns names"
    } else {
        return Ok(());
    };
    Err(Error::new(format!("invalid netns name {name:?} ({reason})")))
}

/// Checks an interface name against the kernel's rules (`dev_valid_name()`: 1 to 15 bytes,
/// no '/', no whitespace, not "." or ".."). It also rejects ':', the colon form's
/// separator, and non-ASCII whitespace, which the kernel would accept.
pub fn validate_interface_name(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "expected 1 to 15 bytes"
    } else if name == "." || name == ".." {
        "\".\" and \"..\" are reserved"
    } else if name.contains('/') {
        "'/' is not allowed"
    } else if name.contains(':') {
        "':' is not allowed"
    } else if name.contains('\0') {
        "NUL is not allowed"
    } else if name.chars().any(char::is_whitespace) {
        "whitespace is not allowed"
    } else if name.chars().any(char::is_control) {
        "control characters are not allowed"
    } else if name.contains('%') {
        // The kernel expands "%d" in a new link's name to a free number, so the link
        // would not get the name koko was asked for.
        "'%' is not allowed"
    } else if name == "all" || name == "default" {
        // Both clash with the kernel's per-interface sysctl directories.
        "\"all\" and \"default\" are reserved"
    } else if name.len() > MAX_INTERFACE_NAME {
        "at most 15 bytes"
    } else {
        return Ok(());
    };
    Err(Error::new(format!("invalid interface name {name:?} ({reason})")))
}

/// Parses `ADDR/PREFIX` for assignment to an interface.
///
/// Unspecified (`0.0.0.0`, `::`) and multicast addresses are rejected because neither
/// can identify one interface.
pub fn parse_interface_address(text: &str) -> Result<IpNet, Error> {
    let Some((addr_text, prefix_text)) = text.split_once('/') else {
        let example = if text.contains(':') { "fd00::1/64" } else { "10.0.0.1/24" };
        return Err(Error::new(format!(
            "missing prefix length in address {text:?} (expected ADDR/PREFIX, e.g. {example})"
        )));
    };
    let Ok(addr) = addr_text.parse::<IpAddr>() else {
        return Err(Error::new(format!(
            "invalid IP address {addr_text:?} in {text:?} \
             (expected IPv4 such as 10.0.0.1 or IPv6 such as fd00::1)"
        )));
    };
    let max_prefix = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match parse_decimal(prefix_text) {
        Some(prefix) if prefix <= max_prefix => prefix as u8,
        _ => {
            return Err(Error::new(format!(
            "invalid prefix length {prefix_text:?} in {text:?} (expected 0 to {max_prefix} for {})",
            if addr.is_ipv4() { "IPv4" } else { "IPv6" }
        )))
        }
    };
    if addr.is_unspecified() {
        return Err(Error::new(format!(
            "unspecified address {addr} cannot be assigned to an interface"
        )));
    }
    if addr.is_multicast() {
        return Err(Error::new(format!(
            "multicast address {addr} cannot be assigned to an interface"
        )));
    }
    Ok(IpNet { addr, prefix })
}

/// Parses a unicast MAC address written as six colon-separated pairs of hex digits.
pub fn parse_mac(text: &str) -> Result<[u8; 6], Error> {
    let invalid = || {
        Error::new(format!(
            "invalid MAC address {text:?} (expected six hex pairs such as 02:00:5e:10:00:01)"
        ))
    };
    let mut mac = [0u8; 6];
    let mut pairs = text.split(':');
    for byte in mac.iter_mut() {
        let pair = pairs.next().ok_or_else(invalid)?;
        if pair.len() != 2 || !pair.bytes().all(|digit| digit.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    if pairs.next().is_some() {
        return Err(invalid());
    }
    if mac == [0; 6] {
        return Err(Error::new(format!(
            "invalid MAC address {text:?} (all zero; expected a unicast address)"
        )));
    }
    if mac[0] & 1 != 0 {
        return Err(Error::new(format!(
            "invalid MAC address {text:?} (multicast, since the lowest bit of the first byte \
             is set; expected a unicast address such as 02:00:5e:10:00:01)"
        )));
    }
    Ok(mac)
}

fn parse_mirror_direction(text: &str) -> Result<MirrorDirection, Error> {
    if text.eq_ignore_ascii_case("ingress") {
        Ok(MirrorDirection::Ingress)
    } else if text.eq_ignore_ascii_case("egress") {
        Ok(MirrorDirection::Egress)
    } else if text.eq_ignore_ascii_case("both") {
        Ok(MirrorDirection::Both)
    } else {
        Err(Error::new(format!(
            "invalid mirror direction {text:?} (expected ingress, egress or both)"
        )))
    }
}

/// Parses an unsigned decimal number made only of ASCII digits (no sign, no spaces).
/// Returns `None` for anything else or for a value above `u64::MAX`.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|digit| digit.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn net(text: &str, prefix: u8) -> IpNet {
        IpNet { addr: text.parse().unwrap(), prefix }
    }

    fn error(kind: NamespaceKind, value: &str) -> String {
        parse_endpoint(kind, value).unwrap_err().to_string()
    }

    #[test]
    fn comma_form_every_kind() {
        let cases = [
            (NamespaceKind::Docker, "c1,eth1", Namespace::Docker("c1".into())),
            (NamespaceKind::Named, "ns1,eth1", Namespace::Named("ns1".into())),
            (NamespaceKind::Path, "/run/netns/x,eth1", Namespace::Path("/run/netns/x".into())),
            (NamespaceKind::Pid, "4242,eth1", Namespace::Pid(4242)),
            (NamespaceKind::Current, "eth1", Namespace::Current),
            (NamespaceKind::Crio, "3f1c9a,eth1", Namespace::Crio("3f1c9a".into())),
        ];
        for (kind, value, namespace) in cases {
            let endpoint = parse_endpoint(kind, value).unwrap();
            assert_eq!(endpoint.namespace, namespace, "{value}");
            assert_eq!(endpoint.link, "eth1", "{value}");
            assert!(endpoint.addrs.is_empty(), "{value}");
            assert_eq!(endpoint.mac, None, "{value}");
            assert_eq!(endpoint.mirror, None, "{value}");
        }
    }

    #[test]
    fn comma_form_fields() {
        let endpoint = parse_endpoint(
            NamespaceKind::Docker,
            "c1,eth1,10.0.0.1/24,fd00::1/64,mac=02:AA:bb:00:00:01,mirror:both:eth0",
        )
        .unwrap();
        assert_eq!(endpoint.addrs, vec![net("10.0.0.1", 24), net("fd00::1", 64)]);
        assert_eq!(endpoint.mac, Some([0x02, 0xaa, 0xbb, 0, 0, 1]));
        assert_eq!(
            endpoint.mirror,
            Some(Mirror { direction: MirrorDirection::Both, source: "eth0".into() })
        );
    }

    #[test]
    fn current_comma_form_fields() {
        let endpoint = parse_endpoint(NamespaceKind::Current, "veth0,192.0.2.1/30").unwrap();
        assert_eq!(endpoint.namespace, Namespace::Current);
        assert_eq!(endpoint.link, "veth0");
        assert_eq!(endpoint.addrs, vec![net("192.0.2.1", 30)]);
    }

    #[test]
    fn colon_form_ipv4() {
        let endpoint = parse_endpoint(NamespaceKind::Docker, "c1:eth1:10.0.0.1/24").unwrap();
        assert_eq!(endpoint.namespace, Namespace::Docker("c1".into()));
        assert_eq!(endpoint.link, "eth1");
        assert_eq!(endpoint.addrs, vec![net("10.0.0.1", 24)]);
    }

    #[test]
    fn colon_form_ipv6() {
        let endpoint = parse_endpoint(NamespaceKind::Named, "ns1:eth1:fd00::1/64").unwrap();
        assert_eq!(endpoint.link, "eth1");
        assert_eq!(endpoint.addrs, vec![net("fd00::1", 64)]);

        let endpoint = parse_endpoint(NamespaceKind::Current, "eth1:2001:db8::7/128").unwrap();
        assert_eq!(endpoint.link, "eth1");
        assert_eq!(endpoint.addrs, vec![net("2001:db8::7", 128)]);
    }

    #[test]
    fn colon_form_without_address() {
        let endpoint = parse_endpoint(NamespaceKind::Named, "ns1:eth1").unwrap();
        assert_eq!(endpoint.link, "eth1");
        assert!(endpoint.addrs.is_empty());

        let endpoint = parse_endpoint(NamespaceKind::Named, "ns1:eth1:").unwrap();
        assert_eq!(endpoint.link, "eth1");
        assert!(endpoint.addrs.is_empty());

        let endpoint = parse_endpoint(NamespaceKind::Current, "eth1:").unwrap();
        assert_eq!(endpoint.link, "eth1");
        assert!(endpoint.addrs.is_empty());
    }

    #[test]
    fn colon_form_other_kinds() {
        let endpoint = parse_endpoint(NamespaceKind::Pid, "77:eth1:10.0.0.1/8").unwrap();
        assert_eq!(endpoint.namespace, Namespace::Pid(77));
        let endpoint = parse_endpoint(NamespaceKind::Path, "/proc/1/ns/net:eth1").unwrap();
        assert_eq!(endpoint.namespace, Namespace::Path("/proc/1/ns/net".into()));
        let endpoint = parse_endpoint(NamespaceKind::Crio, "abc:eth1").unwrap();
        assert_eq!(endpoint.namespace, Namespace::Crio("abc".into()));
    }

    #[test]
    fn colon_form_rejects_non_address() {
        let message = error(NamespaceKind::Docker, "c1:eth1:mac=02:00:00:00:00:01");
        assert!(message.contains("invalid address"), "{message}");
        assert!(message.contains("comma form"), "{message}");
    }

    #[test]
    fn bare_name_is_missing_link() {
        for kind in [
            NamespaceKind::Docker,
            NamespaceKind::Named,
            NamespaceKind::Path,
            NamespaceKind::Pid,
            NamespaceKind::Crio,
        ] {
            let message = error(kind, "name");
            assert!(message.contains("missing link name"), "{message}");
            assert!(message.starts_with(&format!("-{} name: ", kind.endpoint_flag())), "{message}");
        }
    }

    #[test]
    fn empty_link_is_missing_link() {
        assert!(error(NamespaceKind::Docker, "c1,").contains("missing link name"));
        assert!(error(NamespaceKind::Docker, "c1:").contains("missing link name"));
        assert!(error(NamespaceKind::Current, "").contains("missing link name"));
        assert!(error(NamespaceKind::Current, ",10.0.0.1/24").contains("missing link name"));
    }

    #[test]
    fn missing_prefix_message() {
        assert_eq!(
            error(NamespaceKind::Docker, "c1,eth1,10.0.0.1"),
            "-d c1,eth1,10.0.0.1: missing prefix length in address \"10.0.0.1\" \
             (expected ADDR/PREFIX, e.g. 10.0.0.1/24)"
        );
        let message = error(NamespaceKind::Docker, "c1,eth1,fd00::1");
        assert!(message.contains("e.g. fd00::1/64"), "{message}");
    }

    #[test]
    fn address_errors() {
        let cases = [
            ("c1,eth1,10.0.0.256/24", "invalid IP address \"10.0.0.256\""),
            ("c1,eth1,10.0.0.1/33", "invalid prefix length \"33\""),
            ("c1,eth1,fd00::1/129", "expected 0 to 128 for IPv6"),
            ("c1,eth1,10.0.0.1/", "invalid prefix length \"\""),
            ("c1,eth1,10.0.0.1/+8", "invalid prefix length \"+8\""),
            ("c1,eth1,10.0.0.1/24/8", "invalid prefix length \"24/8\""),
            ("c1,eth1,0.0.0.0/0", "unspecified address 0.0.0.0"),
            ("c1,eth1,::/0", "unspecified address ::"),
            ("c1,eth1,224.0.0.1/4", "multicast address 224.0.0.1"),
            ("c1,eth1,ff02::1/64", "multicast address ff02::1"),
            ("c1,eth1,10.0.0.1/24,10.0.0.1/16", "duplicate address 10.0.0.1"),
        ];
        for (value, expected) in cases {
            let message = error(NamespaceKind::Docker, value);
            assert!(message.contains(expected), "{value}: {message}");
        }
    }

    #[test]
    fn address_prefix_bounds() {
        assert_eq!(parse_interface_address("10.0.0.1/0").unwrap().prefix, 0);
        assert_eq!(parse_interface_address("10.0.0.1/32").unwrap().prefix, 32);
        assert_eq!(parse_interface_address("fd00::1/128").unwrap().prefix, 128);
        assert_eq!(parse_interface_address("10.0.0.1/032").unwrap().prefix, 32);
        assert!(parse_interface_address("10.0.0.1/99999999999999999999999").is_err());
        assert_eq!(
            parse_interface_address("192.0.2.9/31").unwrap().addr,
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9))
        );
        assert_eq!(
            parse_interface_address("fe80::1/64").unwrap().addr,
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1))
        );
    }

    #[test]
    fn mac_field() {
        assert_eq!(parse_mac("02:00:5e:10:00:01").unwrap(), [2, 0, 0x5e, 0x10, 0, 1]);
        assert_eq!(parse_mac("FE:FF:FF:FF:FF:FF").unwrap(), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
        for bad in [
            "",
            "02:00:5e:10:00",
            "02:00:5e:10:00:01:02",
            "2:00:5e:10:00:01",
            "02:00:5e:10:00:0g",
            "02-00-5e-10-00-01",
            "02:00:5e:10:00:+1",
            "020:0:5e:10:00:01",
        ] {
            let message = parse_mac(bad).unwrap_err().to_string();
            assert!(message.contains("invalid MAC address"), "{bad}: {message}");
            assert!(message.contains("six hex pairs"), "{bad}: {message}");
        }
        assert!(parse_mac("00:00:00:00:00:00").unwrap_err().to_string().contains("all zero"));
        assert!(parse_mac("01:00:5e:00:00:01").unwrap_err().to_string().contains("multicast"));
        assert!(parse_mac("ff:ff:ff:ff:ff:ff").unwrap_err().to_string().contains("multicast"));
    }

    #[test]
    fn mac_field_once() {
        let message =
            error(NamespaceKind::Named, "ns1,eth1,mac=02:00:00:00:00:01,MAC=02:00:00:00:00:02");
        assert!(message.contains("more than one mac field"), "{message}");
    }

    #[test]
    fn mirror_forms() {
        let cases = [
            ("ns1,eth1,mirror:ingress:eth0", MirrorDirection::Ingress),
            ("ns1,eth1,mirror:egress:eth0", MirrorDirection::Egress),
            ("ns1,eth1,mirror:both:eth0", MirrorDirection::Both),
            ("ns1,eth1,mirror:ingress,eth0", MirrorDirection::Ingress),
            ("ns1,eth1,mirror:egress,eth0", MirrorDirection::Egress),
            ("ns1,eth1,mirror:both,eth0", MirrorDirection::Both),
            ("ns1,eth1,Mirror:BOTH:eth0", MirrorDirection::Both),
        ];
        for (value, direction) in cases {
            let endpoint = parse_endpoint(NamespaceKind::Named, value).unwrap();
            assert_eq!(
                endpoint.mirror,
                Some(Mirror { direction, source: "eth0".into() }),
                "{value}"
            );
        }
        let endpoint =
            parse_endpoint(NamespaceKind::Named, "ns1,eth1,mirror:both,eth0,10.0.0.1/24").unwrap();
        assert_eq!(endpoint.addrs, vec![net("10.0.0.1", 24)]);
        assert!(endpoint.mirror.is_some());
    }

    #[test]
    fn mirror_errors() {
        let cases = [
            ("ns1,eth1,mirror:both", "missing mirror source interface"),
            ("ns1,eth1,mirror:sideways:eth0", "invalid mirror direction \"sideways\""),
            ("ns1,eth1,mirror:ingress:", "invalid interface name \"\""),
            ("ns1,eth1,mirror:ingress:averyveryverylongname", "at most 15 bytes"),
            ("ns1,eth1,mirror:ingress,10.0.0.1/24", "'/' is not allowed"),
            ("ns1,eth1,mirror:ingress:eth0,mirror:egress:eth2", "more than one mirror field"),
            ("ns1,eth1,mirror:ingress:eth1", "endpoint's own interface"),
            ("ns1,eth1,mirror:", "invalid mirror direction \"\""),
            ("ns1,eth1,mirror:,eth0", "invalid mirror direction \"\""),
        ];
        for (value, expected) in cases {
            let message = error(NamespaceKind::Named, value);
            assert!(message.contains(expected), "{value}: {message}");
        }
    }

    #[test]
    fn unknown_field_lists_forms() {
        assert_eq!(
            error(NamespaceKind::Named, "ns1,eth1,mtu=1500"),
            "-n ns1,eth1,mtu=1500: unknown field \"mtu=1500\" (expected ADDR/PREFIX, \
             mac=XX:XX:XX:XX:XX:XX, mirror:ingress:IF, mirror:egress:IF or mirror:both:IF)"
        );
    }

    #[test]
    fn empty_field_rejected() {
        assert!(error(NamespaceKind::Named, "ns1,eth1,").contains("empty field"));
        assert!(error(NamespaceKind::Named, "ns1,eth1,,10.0.0.1/24").contains("empty field"));
    }

    #[test]
    fn interface_name_boundary() {
        assert!(validate_interface_name("a").is_ok());
        assert!(validate_interface_name("fifteen-bytes-x").is_ok());
        assert_eq!("fifteen-bytes-x".len(), 15);
        assert_eq!(
            validate_interface_name("sixteen-bytes-xx").unwrap_err().to_string(),
            "invalid interface name \"sixteen-bytes-xx\" (at most 15 bytes)"
        );
        assert_eq!(
            validate_interface_name("averyveryverylongname").unwrap_err().to_string(),
            "invalid interface name \"averyveryverylongname\" (at most 15 bytes)"
        );
        // '€' is three bytes in UTF-8 and 'é' two.
        assert!(validate_interface_name("€€€€€é").is_err());
        assert!(validate_interface_name("€€€€€").is_ok());
    }

    #[test]
    fn interface_name_characters() {
        for bad in [
            "", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\nb", "a\u{b}b", "a\0b", "a\u{a0}b",
            "x%d", "a%", "a\u{1}b", "a\u{7f}", "all", "default",
        ] {
            let message = validate_interface_name(bad).unwrap_err().to_string();
            assert!(message.starts_with("invalid interface name"), "{bad:?}: {message}");
        }
        for good in ["eth0", "veth-a_b.1", "...", ".a", "br@x", "all0", "Default"] {
            assert!(validate_interface_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn namespace_identifier_rules() {
        let bad = [
            (NamespaceKind::Docker, ""),
            (NamespaceKind::Docker, "a/b"),
            (NamespaceKind::Docker, "a b"),
            (NamespaceKind::Docker, "caf\u{e9}"),
            (NamespaceKind::Docker, "a\0"),
            (NamespaceKind::Crio, ""),
            (NamespaceKind::Crio, "x/y"),
            (NamespaceKind::Named, ""),
            (NamespaceKind::Named, "."),
            (NamespaceKind::Named, ".."),
            (NamespaceKind::Named, "a/b"),
            (NamespaceKind::Named, "a\0b"),
            (NamespaceKind::Path, ""),
            (NamespaceKind::Path, "/a\0b"),
            (NamespaceKind::Pid, ""),
            (NamespaceKind::Pid, "0"),
            (NamespaceKind::Pid, "-1"),
            (NamespaceKind::Pid, "+5"),
            (NamespaceKind::Pid, " 5"),
            (NamespaceKind::Pid, "2147483648"),
            (NamespaceKind::Pid, "0x10"),
            (NamespaceKind::Pid, "99999999999999999999999999"),
        ];
        for (kind, identifier) in bad {
            assert!(parse_namespace(kind, identifier).is_err(), "{kind:?} {identifier:?}");
        }
        assert_eq!(
            parse_namespace(NamespaceKind::Pid, "2147483647").unwrap(),
            Namespace::Pid(2147483647)
        );
        assert_eq!(parse_namespace(NamespaceKind::Pid, "1").unwrap(), Namespace::Pid(1));
        let longest = "c".repeat(MAX_IDENTIFIER);
        assert!(parse_namespace(NamespaceKind::Docker, &longest).is_ok());
        assert!(parse_namespace(NamespaceKind::Docker, &format!("{longest}c")).is_err());
        assert!(parse_namespace(NamespaceKind::Named, &longest).is_ok());
        assert!(parse_namespace(NamespaceKind::Named, &format!("{longest}c")).is_err());
        assert!(parse_namespace(NamespaceKind::Path, "relative/path").is_ok());
        assert_eq!(
            parse_namespace(NamespaceKind::Pid, "0").unwrap_err().to_string(),
            "invalid pid \"0\" (expected a decimal number from 1 to 2147483647)"
        );
    }

    #[test]
    fn delete_forms() {
        let cases = [
            (NamespaceKind::Docker, "c1,eth1", Namespace::Docker("c1".into())),
            (NamespaceKind::Docker, "c1:eth1", Namespace::Docker("c1".into())),
            (NamespaceKind::Named, "ns1,eth1", Namespace::Named("ns1".into())),
            (NamespaceKind::Named, "ns1:eth1", Namespace::Named("ns1".into())),
            (
                NamespaceKind::Path,
                "/var/run/netns/x,eth1",
                Namespace::Path("/var/run/netns/x".into()),
            ),
            (NamespaceKind::Pid, "12:eth1", Namespace::Pid(12)),
            (NamespaceKind::Current, "eth1", Namespace::Current),
            (NamespaceKind::Crio, "ab12,eth1", Namespace::Crio("ab12".into())),
        ];
        for (kind, value, namespace) in cases {
            let (parsed, link) = parse_delete(kind, value).unwrap();
            assert_eq!(parsed, namespace, "{value}");
            assert_eq!(link, "eth1", "{value}");
        }
    }

    #[test]
    fn delete_errors() {
        let cases = [
            (NamespaceKind::Docker, "c1", "-D c1: missing link name"),
            (NamespaceKind::Docker, "c1,", "missing link name"),
            (NamespaceKind::Docker, "c1,eth1,10.0.0.1/24", "unexpected field \"10.0.0.1/24\""),
            (NamespaceKind::Named, "ns1:eth1:10.0.0.1/24", "unexpected field \"10.0.0.1/24\""),
            (NamespaceKind::Named, "ns1,eth:1", "':' is not allowed"),
            (NamespaceKind::Current, "eth1,x", "-C eth1,x: unexpected field \"x\""),
            (NamespaceKind::Current, "", "missing link name"),
            (NamespaceKind::Pid, "0,eth1", "invalid pid"),
        ];
        for (kind, value, expected) in cases {
            let message = parse_delete(kind, value).unwrap_err().to_string();
            assert!(message.contains(expected), "{value}: {message}");
        }
    }

    #[test]
    fn error_prefix_names_option() {
        let message = error(NamespaceKind::Crio, "x,averyveryverylongname");
        assert_eq!(
            message,
            "-e x,averyveryverylongname: invalid interface name \"averyveryverylongname\" \
             (at most 15 bytes)"
        );
    }
}
