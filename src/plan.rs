//! Command-line parsing, second phase: validate [`Args`] into a [`Plan`].
//!
//! A `Plan` holds only checked values, so the executor that applies it to the kernel
//! needs no further argument checks. Building a plan is pure: no files, no system calls.

use std::ffi::OsString;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Args, Error, LinkKindFlag};
use crate::endpoint::{self, parse_decimal};

mod link_kind;

pub use link_kind::{parse_macvlan, parse_vlan, parse_vxlan};

/// Minimum MTU accepted by `--mtu` and the vxlan `mtu=` key: the IPv4 minimum (RFC 791).
pub const MIN_MTU: u32 = 68;
/// Maximum MTU accepted: the largest value an IPv4 total length can express.
pub const MAX_MTU: u32 = 65535;
/// Maximum `--wait`, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 3600;

/// A network namespace as the user named it; the executor resolves it to a file descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Namespace of a running Docker (or Podman) container, by name or id.
    Docker(String),
    /// Named netns, the file /run/netns/NAME.
    Named(String),
    /// Any netns file, such as a bind mount or /proc/PID/ns/net.
    Path(PathBuf),
    /// Namespace of a process, /proc/PID/ns/net.
    Pid(u32),
    /// koko's own namespace.
    Current,
    /// Namespace of a CRI-O container, by id.
    Crio(String),
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Namespace::Docker(name) => write!(f, "container {name:?}"),
            Namespace::Named(name) => write!(f, "netns {name:?}"),
            Namespace::Path(path) => write!(f, "netns file {path:?}"),
            Namespace::Pid(pid) => write!(f, "netns of pid {pid}"),
            Namespace::Current => f.write_str("koko's own netns"),
            Namespace::Crio(id) => write!(f, "CRI-O container {id:?}"),
        }
    }
}

/// An interface address with its prefix length; the prefix fits the address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Direction of the mirror source's traffic that is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MirrorDirection {
    Ingress,
    Egress,
    Both,
}

/// A request to copy the traffic of another interface to the endpoint's interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mirror {
    pub direction: MirrorDirection,
    /// Interface whose traffic is copied, in the endpoint's namespace.
    pub source: String,
}

/// One end of a veth pair, or the namespace and name of a vxlan, macvlan or vlan interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub namespace: Namespace,
    /// Name of the interface to create in `namespace`.
    pub link: String,
    /// Addresses to assign, in command-line order, with no address repeated.
    pub addrs: Vec<IpNet>,
    /// MAC address to set: unicast and not all zero.
    pub mac: Option<[u8; 6]>,
    pub mirror: Option<Mirror>,
}

/// Settings of a vxlan interface (`-x`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vxlan {
    /// Underlay interface in koko's own namespace.
    pub parent: String,
    /// Remote VTEP address or multicast group; never unspecified.
    pub remote: IpAddr,
    /// VXLAN network identifier, 0 to 16777215.
    pub vni: u32,
    /// UDP destination port; 4789 unless `port=` was given.
    pub port: u16,
    /// MTU from the `mtu=` key, 68 to 65535.
    pub mtu: Option<u32>,
    /// Source address, of the same IP version as `remote`.
    pub local: Option<IpAddr>,
    pub ttl: Option<u8>,
    pub tos: Option<u8>,
    /// Whether the kernel learns remote MAC addresses; true unless `learning=off`.
    pub learning: bool,
    /// UDP source port range, low to high, both at least 1.
    pub srcport: Option<(u16, u16)>,
    pub udpcsum: Option<bool>,
}

impl Vxlan {
    /// Returns whether `remote` is a multicast group rather than a single VTEP.
    pub fn is_multicast(&self) -> bool {
        self.remote.is_multicast()
    }
}

/// Mode of a macvlan interface (`-M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacvlanMode {
    /// Whatever mode the kernel picks when no mode attribute is sent.
    Default,
    Private,
    Vepa,
    Bridge,
    Passthru,
    Source,
}

impl MacvlanMode {
    /// Value of `IFLA_MACVLAN_MODE` (`enum macvlan_mode` in linux/if_link.h), or `None`
    /// for [`MacvlanMode::Default`], which sends no mode attribute.
    pub fn kernel_value(self) -> Option<u32> {
        match self {
            MacvlanMode::Default => None,
            MacvlanMode::Private => Some(1),
            MacvlanMode::Vepa => Some(2),
            MacvlanMode::Bridge => Some(4),
            MacvlanMode::Passthru => Some(8),
            MacvlanMode::Source => Some(16),
        }
    }
}

/// Settings of a macvlan interface (`-M`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Macvlan {
    /// Lower interface in koko's own namespace.
    pub parent: String,
    pub mode: MacvlanMode,
}

/// Settings of a vlan interface (`-V`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vlan {
    /// Lower interface in koko's own namespace.
    pub parent: String,
    /// 802.1Q VLAN id, 1 to 4094.
    pub vid: u16,
}

/// The kind of a single interface created on a parent in koko's own namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkKind {
    Vxlan(Vxlan),
    Macvlan(Macvlan),
    Vlan(Vlan),
}

/// Source of the command lines of a bulk run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BulkSource {
    /// `-f -`
    Stdin,
    File(PathBuf),
}

/// Behaviour of a bulk run when a line fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnError {
    /// Stop at the first failed line (the default).
    Stop,
    /// Run the remaining lines (`--keep-going`).
    KeepGoing,
    /// Undo the lines already done (`--atomic`).
    Atomic,
}

/// Operation that a plan performs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a veth pair with end `a` and end `b`.
    Veth { a: Endpoint, b: Endpoint },
    /// Create one interface of `kind` and move it to the endpoint's namespace.
    Interface { endpoint: Endpoint, kind: LinkKind },
    /// Delete interface `link` in `namespace`.
    Delete { namespace: Namespace, link: String },
    /// Run each line of a bulk file as a command line.
    Bulk { source: BulkSource, on_error: OnError },
    /// Print [`cli::USAGE`].
    Help,
    /// Print the version.
    Version,
}

/// Settings that apply to the whole action.
///
/// With [`Action::Bulk`] they are defaults for every line, merged with [`Options::overlay`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// MTU of both veth ends or of the new interface, 68 to 65535.
    pub mtu: Option<u32>,
    /// Whether IPv6 addresses skip duplicate address detection (`IFA_F_NODAD`).
    pub nodad: bool,
    /// How long to wait for namespaces and containers to appear; more than 0, at most 3600 s.
    pub wait: Option<Duration>,
}

impl Options {
    /// Merges a bulk line's options over these defaults: a value the line sets wins, and
    /// `nodad` holds if either sets it.
    pub fn overlay(&self, line: &Options) -> Options {
        Options {
            mtu: line.mtu.or(self.mtu),
            nodad: self.nodad || line.nodad,
            wait: line.wait.or(self.wait),
        }
    }
}

/// A validated command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plan {
    pub action: Action,
    pub options: Options,
}

/// Parses and validates command-line arguments (without the program name).
pub fn from_args<I>(args: I) -> Result<Plan, Error>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    build(cli::parse_args(args)?)
}

/// Parses and validates one line of a bulk file.
///
/// Returns `Ok(None)` for a blank or comment-only line. Options inside the line apply to
/// that line only. `-f`, `--keep-going`, `--atomic`, `-h` and `-v` are rejected.
pub fn from_line(line: &str) -> Result<Option<Plan>, Error> {
    let Some(words) = cli::split_line(line)? else {
        return Ok(None);
    };
    let args = cli::parse_args(words)?;
    let rejected = [
        (!args.files.is_empty(), "-f"),
        (args.keep_going, "--keep-going"),
        (args.atomic, "--atomic"),
        (args.help, "-h/--help"),
        (args.version, "-v/--version"),
    ];
    for (present, option) in rejected {
        if present {
            return Err(Error::new(format!(
                "{option} is not allowed in a bulk file line (give it on the command line)"
            )));
        }
    }
    build(args).map(Some)
}

/// Validates recorded arguments into a plan.
///
/// `-h` wins over everything else, then `-v`. Otherwise exactly one action must follow
/// from the options: `-f`, one delete option, one endpoint with one link-kind option, or
/// two endpoints.
pub fn build(args: Args) -> Result<Plan, Error> {
    if args.help {
        return Ok(Plan { action: Action::Help, options: Options::default() });
    }
    if args.version {
        return Ok(Plan { action: Action::Version, options: Options::default() });
    }

    let options = build_options(&args)?;
    let action = if !args.files.is_empty() {
        build_bulk(args)?
    } else if args.keep_going || args.atomic {
        let option = if args.keep_going { "--keep-going" } else { "--atomic" };
        return Err(Error::new(format!(
            "{option} needs -f FILE (it sets how a bulk run handles a failed line)"
        )));
    } else if !args.deletes.is_empty() {
        build_delete(args, &options)?
    } else if !args.link_kinds.is_empty() {
        build_interface(args, &options)?
    } else {
        build_veth(args)?
    };
    check_ipv6_mtu(&action, &options)?;
    Ok(Plan { action, options })
}

/// Smallest MTU of a link that carries IPv6 (RFC 8200). Below it the kernel keeps no IPv6
/// state for the link, so an IPv6 address could only fail after the link exists.
pub const MIN_IPV6_MTU: u32 = 1280;

fn check_ipv6_mtu(action: &Action, options: &Options) -> Result<(), Error> {
    let (endpoints, mtu): (Vec<&Endpoint>, Option<u32>) = match action {
        Action::Veth { a, b } => (vec![a, b], options.mtu),
        Action::Interface { endpoint, kind } => {
            let kind_mtu = match kind {
                LinkKind::Vxlan(vxlan) => vxlan.mtu,
                _ => None,
            };
            (vec![endpoint], options.mtu.or(kind_mtu))
        }
        _ => return Ok(()),
    };
    let Some(mtu) = mtu.filter(|&mtu| mtu < MIN_IPV6_MTU) else {
        return Ok(());
    };
    for endpoint in endpoints {
        if let Some(net) = endpoint.addrs.iter().find(|net| net.addr.is_ipv6()) {
            return Err(Error::new(format!(
                "MTU {mtu} is too small for IPv6 address {net} on \"{}\" (IPv6 needs an MTU of at least {MIN_IPV6_MTU})",
                endpoint.link
            )));
        }
    }
    Ok(())
}

fn build_options(args: &Args) -> Result<Options, Error> {
    let mtu = match single(&args.mtu, "--mtu")? {
        Some(text) => Some(parse_mtu(text).map_err(|err| prefix_long("--mtu", text, err))?),
        None => None,
    };
    let wait = match single(&args.wait, "--wait")? {
        Some(text) => Some(parse_wait(text).map_err(|err| prefix_long("--wait", text, err))?),
        None => None,
    };
    Ok(Options { mtu, nodad: args.nodad, wait })
}

fn single<'a>(values: &'a [String], option: &str) -> Result<Option<&'a str>, Error> {
    match values {
        [] => Ok(None),
        [value] => Ok(Some(value)),
        [first, second, ..] => Err(Error::new(format!(
            "{option} given more than once ({first:?} and {second:?}; expected one value)"
        ))),
    }
}

fn prefix_long(option: &str, value: &str, err: Error) -> Error {
    Error::new(format!("{option} {}: {err}", cli::quote_if_needed(value)))
}

/// Parses an MTU in bytes, 68 to 65535.
pub fn parse_mtu(text: &str) -> Result<u32, Error> {
    match parse_decimal(text) {
        Some(mtu) if (MIN_MTU as u64..=MAX_MTU as u64).contains(&mtu) => Ok(mtu as u32),
        _ => {
            Err(Error::new(format!("invalid MTU {text:?} (expected {MIN_MTU} to {MAX_MTU} bytes)")))
        }
    }
}

/// Parses `--wait` seconds: decimal digits with an optional fraction of at most nine
/// digits, more than 0 and at most 3600.
pub fn parse_wait(text: &str) -> Result<Duration, Error> {
    let invalid = || {
        Error::new(format!(
            "invalid wait time {text:?} (expected seconds, more than 0 and at most \
             {MAX_WAIT_SECONDS}, e.g. 2 or 0.5)"
        ))
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(invalid());
    }
    let seconds = if whole.is_empty() { 0 } else { parse_decimal(whole).ok_or_else(invalid)? };
    if fraction.len() > 9 || !fraction.bytes().all(|digit| digit.is_ascii_digit()) {
        return Err(invalid());
    }
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |nanos, digit| nanos * 10 + u32::from(digit - b'0'));
    if seconds > MAX_WAIT_SECONDS {
        return Err(invalid());
    }
    let wait = Duration::new(seconds, nanos);
    if wait.is_zero() || wait > Duration::from_secs(MAX_WAIT_SECONDS) {
        return Err(invalid());
    }
    Ok(wait)
}

fn build_bulk(args: Args) -> Result<Action, Error> {
    if let Some(conflict) = first_action_option(&args) {
        return Err(Error::new(format!(
            "-f cannot be combined with {conflict} (put endpoint, link-kind and delete \
             options on the lines of the file)"
        )));
    }
    if args.files.len() > 1 {
        return Err(Error::new("-f given more than once (expected one file)"));
    }
    if args.keep_going && args.atomic {
        return Err(Error::new(
            "--keep-going and --atomic cannot be combined (choose one way to handle a failed line)",
        ));
    }

    let file = args.files.into_iter().next().unwrap_or_default();
    let source = if file.is_empty() {
        return Err(Error::new("-f: empty file name (expected a path, or - for standard input)"));
    } else if file == "-" {
        BulkSource::Stdin
    } else {
        BulkSource::File(PathBuf::from(file))
    };
    let on_error = if args.keep_going {
        OnError::KeepGoing
    } else if args.atomic {
        OnError::Atomic
    } else {
        OnError::Stop
    };
    Ok(Action::Bulk { source, on_error })
}

/// Returns the first endpoint, link-kind or delete option, as `-d`, for conflict errors.
fn first_action_option(args: &Args) -> Option<String> {
    if let Some(arg) = args.endpoints.first() {
        return Some(format!("-{}", arg.kind.endpoint_flag()));
    }
    if let Some(arg) = args.link_kinds.first() {
        return Some(format!("-{}", arg.kind.flag()));
    }
    args.deletes.first().map(|arg| format!("-{}", arg.kind.delete_flag()))
}

fn build_delete(args: Args, options: &Options) -> Result<Action, Error> {
    let first = &args.deletes[0];
    let letter = first.kind.delete_flag();
    if let Some(second) = args.deletes.get(1) {
        return Err(Error::new(format!(
            "only one delete option is allowed (got -{letter} and -{}; \
             run koko once per interface)",
            second.kind.delete_flag()
        )));
    }
    let conflict = args
        .endpoints
        .first()
        .map(|arg| arg.kind.endpoint_flag())
        .or_else(|| args.link_kinds.first().map(|arg| arg.kind.flag()));
    if let Some(conflict) = conflict {
        return Err(Error::new(format!(
            "-{letter} cannot be combined with -{conflict} (a delete takes no other endpoint or \
             link-kind option)"
        )));
    }
    if options.mtu.is_some() {
        return Err(Error::new(format!("--mtu does not apply to a delete (-{letter})")));
    }
    if options.nodad {
        return Err(Error::new(format!("--nodad does not apply to a delete (-{letter})")));
    }

    let (namespace, link) = endpoint::parse_delete(first.kind, &first.value)?;
    Ok(Action::Delete { namespace, link })
}

fn build_interface(args: Args, options: &Options) -> Result<Action, Error> {
    let kind_arg = &args.link_kinds[0];
    let letter = kind_arg.kind.flag();
    if let Some(second) = args.link_kinds.get(1) {
        return Err(Error::new(format!(
            "only one of -x, -M and -V is allowed (got -{letter} and -{})",
            second.kind.flag()
        )));
    }
    if args.endpoints.len() != 1 {
        return Err(Error::new(format!(
            "-{letter} needs exactly one endpoint option (-d, -n, -a, -p, -c or -e) naming the \
             new interface and its netns, got {}",
            args.endpoints.len()
        )));
    }

    let endpoint_arg = &args.endpoints[0];
    let endpoint = endpoint::parse_endpoint(endpoint_arg.kind, &endpoint_arg.value)?;
    let kind = match kind_arg.kind {
        LinkKindFlag::Vxlan => LinkKind::Vxlan(parse_vxlan(&kind_arg.value)?),
        LinkKindFlag::Macvlan => LinkKind::Macvlan(parse_macvlan(&kind_arg.value)?),
        LinkKindFlag::Vlan => LinkKind::Vlan(parse_vlan(&kind_arg.value)?),
    };

    let parent = match &kind {
        LinkKind::Vxlan(vxlan) => &vxlan.parent,
        LinkKind::Macvlan(macvlan) => &macvlan.parent,
        LinkKind::Vlan(vlan) => &vlan.parent,
    };
    if endpoint.namespace == Namespace::Current && endpoint.link == *parent {
        return Err(Error::new(format!(
            "-c {}: interface {:?} is also the parent of -{letter} in the same netns \
             (expected a new name)",
            cli::quote_if_needed(&endpoint_arg.value),
            endpoint.link
        )));
    }
    if let LinkKind::Vxlan(Vxlan { mtu: Some(_), .. }) = &kind {
        if options.mtu.is_some() {
            return Err(Error::new(
                "--mtu and the vxlan mtu= setting cannot be combined (give the MTU once)",
            ));
        }
    }
    Ok(Action::Interface { endpoint, kind })
}

fn build_veth(args: Args) -> Result<Action, Error> {
    let [a_arg, b_arg] =
        match args.endpoints.as_slice() {
            [] => return Err(Error::new(
                "missing endpoints (expected two endpoint options for a veth pair, one with -x, \
                 -M or -V, a delete option, or -f; run 'koko --help' for usage)",
            )),
            [only] => {
                return Err(Error::new(format!(
                    "-{} {}: missing second endpoint (a veth pair needs two endpoint options; \
                 add -x, -M or -V to create a single interface)",
                    only.kind.endpoint_flag(),
                    cli::quote_if_needed(&only.value)
                )))
            }
            [a, b] => [a, b],
            more => {
                return Err(Error::new(format!(
                    "too many endpoint options ({}; a veth pair has exactly two ends)",
                    more.len()
                )))
            }
        };

    let a = endpoint::parse_endpoint(a_arg.kind, &a_arg.value)?;
    let b = endpoint::parse_endpoint(b_arg.kind, &b_arg.value)?;
    if a.namespace == b.namespace && a.link == b.link {
        return Err(Error::new(format!(
            "both endpoints name interface {:?} in the same {} (expected different names)",
            a.link, a.namespace
        )));
    }
    if a.namespace == b.namespace {
        for (end, peer) in [(&a, &b), (&b, &a)] {
            if let Some(mirror) = end.mirror.as_ref().filter(|mirror| mirror.source == peer.link) {
                return Err(Error::new(format!(
                    "mirror source {:?} is the peer of {:?}, so mirrored packets would loop \
                     between the two ends forever (expected another interface)",
                    mirror.source, end.link
                )));
            }
        }
    }
    Ok(Action::Veth { a, b })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn plan_of(args: &[&str]) -> Plan {
        match from_args(args.iter().copied()) {
            Ok(plan) => plan,
            Err(err) => panic!("{args:?}: {err}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match from_args(args.iter().copied()) {
            Ok(plan) => panic!("{args:?} should fail, got {plan:?}"),
            Err(err) => err.to_string(),
        }
    }

    fn endpoint(namespace: Namespace, link: &str) -> Endpoint {
        Endpoint { namespace, link: link.into(), addrs: Vec::new(), mac: None, mirror: None }
    }

    #[test]
    fn veth_between_named_netns() {
        let plan = plan_of(&["-n", "ns1,veth1,10.0.0.1/24", "-n", "ns2,veth2,10.0.0.2/24"]);
        let mut a = endpoint(Namespace::Named("ns1".into()), "veth1");
        a.addrs.push(IpNet { addr: "10.0.0.1".parse().unwrap(), prefix: 24 });
        let mut b = endpoint(Namespace::Named("ns2".into()), "veth2");
        b.addrs.push(IpNet { addr: "10.0.0.2".parse().unwrap(), prefix: 24 });
        assert_eq!(plan.action, Action::Veth { a, b });
        assert_eq!(plan.options, Options::default());
    }

    #[test]
    fn veth_keeps_order() {
        let plan = plan_of(&["-p", "7,b", "-d", "web,a"]);
        let Action::Veth { a, b } = plan.action else { panic!("{plan:?}") };
        assert_eq!(a, endpoint(Namespace::Pid(7), "b"));
        assert_eq!(b, endpoint(Namespace::Docker("web".into()), "a"));
    }

    #[test]
    fn veth_every_endpoint_letter() {
        let values = [
            ("-d", "c1,eth1"),
            ("-n", "ns1,eth1"),
            ("-a", "/run/netns/x,eth1"),
            ("-p", "1,eth1"),
            ("-c", "eth1"),
            ("-e", "abc,eth1"),
        ];
        for (letter, value) in values {
            let plan = plan_of(&[letter, value, "-n", "other,peer"]);
            let Action::Veth { a, .. } = plan.action else { panic!("{letter}") };
            assert_eq!(a.link, "eth1", "{letter}");
        }
    }

    #[test]
    fn veth_colon_forms() {
        let plan = plan_of(&["-d", "c1:eth1:10.0.0.1/24", "-c", "eth1:fd00::2/64"]);
        let Action::Veth { a, b } = plan.action else { panic!() };
        assert_eq!(a.namespace, Namespace::Docker("c1".into()));
        assert_eq!(a.addrs[0].to_string(), "10.0.0.1/24");
        assert_eq!(b.namespace, Namespace::Current);
        assert_eq!(b.addrs[0].to_string(), "fd00::2/64");
    }

    #[test]
    fn options_parsed() {
        let plan = plan_of(&["-c", "a", "-c", "b", "--mtu", "9000", "--nodad", "--wait", "2.5"]);
        assert_eq!(
            plan.options,
            Options { mtu: Some(9000), nodad: true, wait: Some(Duration::from_millis(2500)) }
        );
    }

    #[test]
    fn mtu_bounds() {
        assert_eq!(parse_mtu("68").unwrap(), 68);
        assert_eq!(parse_mtu("65535").unwrap(), 65535);
        for bad in
            ["67", "65536", "0", "", "-1", "+1500", "1500.0", "1e3", "99999999999999999999999"]
        {
            let message = parse_mtu(bad).unwrap_err().to_string();
            assert!(message.contains("expected 68 to 65535 bytes"), "{bad}: {message}");
        }
        assert_eq!(
            error(&["-c", "a", "-c", "b", "--mtu", "67"]),
            "--mtu 67: invalid MTU \"67\" (expected 68 to 65535 bytes)"
        );
    }

    #[test]
    fn wait_values() {
        assert_eq!(parse_wait("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_wait("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_wait(".25").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_wait("3.").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_wait("3600").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_wait("3600.000000000").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_wait("0.000000001").unwrap(), Duration::from_nanos(1));
        for bad in [
            "0",
            "0.0",
            ".",
            "",
            "-1",
            "+1",
            "3600.000000001",
            "3601",
            "1e3",
            "1,5",
            "0.0000000001",
            "1.2.3",
            " 1",
            "inf",
            "NaN",
            "18446744073709551616",
            "99999999999999999999",
        ] {
            let message = parse_wait(bad).unwrap_err().to_string();
            assert!(message.contains("invalid wait time"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn repeated_options_rejected() {
        let message = error(&["-c", "a", "-c", "b", "--mtu", "1500", "--mtu", "1400"]);
        assert_eq!(
            message,
            "--mtu given more than once (\"1500\" and \"1400\"; expected one value)"
        );
        let message = error(&["-c", "a", "-c", "b", "--wait", "1", "--wait", "2"]);
        assert!(message.contains("--wait given more than once"), "{message}");
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(plan_of(&["-h"]).action, Action::Help);
        assert_eq!(plan_of(&["--help", "-d", "bad"]).action, Action::Help);
        assert_eq!(plan_of(&["-v"]).action, Action::Version);
        assert_eq!(plan_of(&["--version", "--mtu", "1"]).action, Action::Version);
        assert_eq!(plan_of(&["-v", "-h"]).action, Action::Help);
    }

    #[test]
    fn no_arguments_is_error() {
        let message = error(&[]);
        assert!(message.starts_with("missing endpoints"), "{message}");
        assert!(message.contains("koko --help"), "{message}");
    }

    #[test]
    fn one_endpoint_without_link_kind() {
        let message = error(&["-n", "ns1,eth1"]);
        assert_eq!(
            message,
            "-n ns1,eth1: missing second endpoint (a veth pair needs two endpoint options; \
             add -x, -M or -V to create a single interface)"
        );
    }

    #[test]
    fn three_endpoints_rejected() {
        let message = error(&["-c", "a", "-c", "b", "-c", "c"]);
        assert!(message.contains("too many endpoint options (3"), "{message}");
    }

    #[test]
    fn same_name_same_namespace_rejected() {
        let cases: [&[&str]; 6] = [
            &["-n", "x,eth1", "-n", "x,eth1"],
            &["-p", "5,eth1", "-p", "5,eth1"],
            &["-c", "eth1", "-c", "eth1"],
            &["-d", "c,eth1", "-d", "c:eth1"],
            &["-a", "/run/netns/x,eth1", "-a", "/run/netns/x,eth1"],
            &["-e", "id,eth1", "-e", "id,eth1"],
        ];
        for args in cases {
            let message = error(args);
            assert!(
                message.starts_with("both endpoints name interface \"eth1\" in the same"),
                "{message}"
            );
        }
        assert_eq!(
            error(&["-n", "x,eth1", "-n", "x,eth1"]),
            "both endpoints name interface \"eth1\" in the same netns \"x\" (expected different names)"
        );
    }

    #[test]
    fn same_name_other_namespace_allowed() {
        plan_of(&["-n", "x,eth1", "-n", "y,eth1"]);
        plan_of(&["-n", "x,eth1", "-d", "x,eth1"]);
        plan_of(&["-p", "5,eth1", "-p", "6,eth1"]);
        plan_of(&["-c", "eth1", "-c", "eth2"]);
    }

    #[test]
    fn endpoint_error_reaches_plan() {
        assert_eq!(
            error(&["-d", "c1,eth1,10.0.0.1", "-c", "x"]),
            "-d c1,eth1,10.0.0.1: missing prefix length in address \"10.0.0.1\" \
             (expected ADDR/PREFIX, e.g. 10.0.0.1/24)"
        );
        assert_eq!(
            error(&["-c", "x", "-n", "ns1,averyveryverylongname"]),
            "-n ns1,averyveryverylongname: invalid interface name \"averyveryverylongname\" \
             (at most 15 bytes)"
        );
    }

    #[test]
    fn interface_vxlan() {
        let plan = plan_of(&[
            "-c",
            "vx42,192.0.2.1/24",
            "-x",
            "eth0,198.51.100.7,42,port=8472",
            "--mtu",
            "1450",
        ]);
        let Action::Interface { endpoint, kind: LinkKind::Vxlan(vxlan) } = plan.action else {
            panic!("{plan:?}")
        };
        assert_eq!(endpoint.link, "vx42");
        assert_eq!(vxlan.port, 8472);
        assert_eq!(vxlan.vni, 42);
        assert_eq!(plan.options.mtu, Some(1450));
    }

    #[test]
    fn interface_macvlan_and_vlan() {
        let plan = plan_of(&["-n", "ns1,mv0", "-M", "eth0,Bridge"]);
        assert_eq!(
            plan.action,
            Action::Interface {
                endpoint: endpoint(Namespace::Named("ns1".into()), "mv0"),
                kind: LinkKind::Macvlan(Macvlan {
                    parent: "eth0".into(),
                    mode: MacvlanMode::Bridge
                }),
            }
        );
        let vlan_plan = plan_of(&["-V", "eth0,100", "-d", "web,eth0.100"]);
        assert_eq!(
            vlan_plan.action,
            Action::Interface {
                endpoint: endpoint(Namespace::Docker("web".into()), "eth0.100"),
                kind: LinkKind::Vlan(Vlan { parent: "eth0".into(), vid: 100 }),
            }
        );
    }

    #[test]
    fn interface_with_mirror() {
        let plan = plan_of(&["-n", "ns1,mv0,mirror:ingress,eth3", "-M", "eth0,private"]);
        let Action::Interface { endpoint, .. } = plan.action else { panic!() };
        assert_eq!(
            endpoint.mirror,
            Some(Mirror { direction: MirrorDirection::Ingress, source: "eth3".into() })
        );
    }

    #[test]
    fn link_kind_conflicts() {
        let message = error(&["-c", "a", "-c", "b", "-x", "eth0,192.0.2.2,1"]);
        assert!(message.starts_with("-x needs exactly one endpoint option"), "{message}");
        assert!(message.ends_with("got 2"), "{message}");
        let message = error(&["-V", "eth0,5"]);
        assert!(message.starts_with("-V needs exactly one endpoint option"), "{message}");
        assert!(message.ends_with("got 0"), "{message}");
        let message = error(&["-c", "a", "-M", "eth0,vepa", "-V", "eth0,5"]);
        assert_eq!(message, "only one of -x, -M and -V is allowed (got -M and -V)");
    }

    #[test]
    fn link_kind_parent_clash() {
        let message = error(&["-c", "eth0", "-V", "eth0,5"]);
        assert!(message.contains("also the parent of -V"), "{message}");
        plan_of(&["-n", "ns1,eth0", "-V", "eth0,5"]);
    }

    #[test]
    fn mirror_of_own_peer_rejected() {
        let message = error(&["-n", "A,m1,mirror:both:m1p", "-n", "A,m1p"]);
        assert!(message.contains("is the peer of \"m1\""), "{message}");
        let message = error(&["-c", "m1", "-c", "m1p,mirror:ingress:m1"]);
        assert!(message.contains("would loop"), "{message}");
        assert!(plan_of(&["-n", "A,m1,mirror:both:m1p", "-n", "B,m1p"]).options.mtu.is_none());
    }

    #[test]
    fn small_mtu_with_ipv6_rejected() {
        let message = error(&["-n", "A,a,fd00::1/64", "-n", "B,b", "--mtu", "1279"]);
        assert!(message.contains("too small for IPv6 address fd00::1/64"), "{message}");
        let message = error(&["-n", "A,a,fd00::1/64", "-x", "eth0,192.0.2.2,1,mtu=1000"]);
        assert!(message.contains("at least 1280"), "{message}");
        assert!(
            plan_of(&["-n", "A,a,10.0.0.1/24", "-n", "B,b", "--mtu", "1000"]).options.mtu
                == Some(1000)
        );
        assert!(
            plan_of(&["-n", "A,a,fd00::1/64", "-n", "B,b", "--mtu", "1280"]).options.mtu
                == Some(1280)
        );
    }

    #[test]
    fn vxlan_mtu_twice_rejected() {
        let message = error(&["-c", "vx0", "-x", "eth0,192.0.2.2,1,mtu=1400", "--mtu", "1400"]);
        assert!(message.contains("--mtu and the vxlan mtu= setting"), "{message}");
    }

    #[test]
    fn deletes() {
        let cases: [(&[&str], Namespace); 7] = [
            (&["-D", "c1,eth1"], Namespace::Docker("c1".into())),
            (&["-N", "ns1,eth1"], Namespace::Named("ns1".into())),
            (&["-A", "/run/netns/ns1,eth1"], Namespace::Path("/run/netns/ns1".into())),
            (&["-P", "42,eth1"], Namespace::Pid(42)),
            (&["-C", "eth1"], Namespace::Current),
            (&["-E", "abc,eth1"], Namespace::Crio("abc".into())),
            (&["-N", "ns1:eth1"], Namespace::Named("ns1".into())),
        ];
        for (args, namespace) in cases {
            assert_eq!(
                plan_of(args).action,
                Action::Delete { namespace, link: "eth1".into() },
                "{args:?}"
            );
        }
        let wait_plan = plan_of(&["-D", "c1,eth1", "--wait", "3"]);
        assert_eq!(wait_plan.options.wait, Some(Duration::from_secs(3)));
    }

    #[test]
    fn delete_conflicts() {
        let message = error(&["-D", "c1,eth1", "-N", "ns1,eth1"]);
        assert_eq!(
            message,
            "only one delete option is allowed (got -D and -N; run koko once per interface)"
        );
        let message = error(&["-N", "ns1,eth1", "-n", "ns1,eth2"]);
        assert_eq!(
            message,
            "-N cannot be combined with -n (a delete takes no other endpoint or link-kind option)"
        );
        let message = error(&["-C", "eth1", "-x", "eth0,192.0.2.2,1"]);
        assert_eq!(
            message,
            "-C cannot be combined with -x (a delete takes no other endpoint or link-kind option)"
        );
        assert!(error(&["-C", "eth1", "--mtu", "1500"]).contains("--mtu does not apply"));
        assert!(error(&["-C", "eth1", "--nodad"]).contains("--nodad does not apply"));
    }

    #[test]
    fn bulk_sources() {
        assert_eq!(
            plan_of(&["-f", "-"]).action,
            Action::Bulk { source: BulkSource::Stdin, on_error: OnError::Stop }
        );
        assert_eq!(
            plan_of(&["-f", "links.txt", "--keep-going"]).action,
            Action::Bulk {
                source: BulkSource::File("links.txt".into()),
                on_error: OnError::KeepGoing
            }
        );
        assert_eq!(
            plan_of(&["--atomic", "-f", "/etc/koko"]).action,
            Action::Bulk {
                source: BulkSource::File("/etc/koko".into()),
                on_error: OnError::Atomic
            }
        );
        let name = OsString::from_vec(vec![b'f', 0xff]);
        let odd_plan = from_args([OsString::from("-f"), name.clone()]).unwrap();
        assert_eq!(
            odd_plan.action,
            Action::Bulk { source: BulkSource::File(name.into()), on_error: OnError::Stop }
        );
    }

    #[test]
    fn bulk_keeps_default_options() {
        let plan = plan_of(&["-f", "-", "--mtu", "1400", "--wait", "1"]);
        assert_eq!(plan.options.mtu, Some(1400));
        assert_eq!(plan.options.wait, Some(Duration::from_secs(1)));
    }

    #[test]
    fn bulk_conflicts() {
        for letter in [
            "-d", "-n", "-a", "-p", "-c", "-e", "-x", "-M", "-V", "-D", "-N", "-A", "-P", "-C",
            "-E",
        ] {
            let message = error(&["-f", "-", letter, "v"]);
            assert!(
                message.starts_with(&format!("-f cannot be combined with {letter} ")),
                "{message}"
            );
        }
        assert_eq!(error(&["-f", "a", "-f", "b"]), "-f given more than once (expected one file)");
        assert!(error(&["-f", "a", "--keep-going", "--atomic"]).contains("cannot be combined"));
        assert!(error(&["-f", ""]).contains("empty file name"));
        assert!(error(&["--keep-going", "-c", "a", "-c", "b"]).starts_with("--keep-going needs -f"));
        assert!(error(&["--atomic"]).starts_with("--atomic needs -f"));
    }

    #[test]
    fn bulk_line_plans() {
        assert_eq!(from_line("   # nothing here").unwrap(), None);
        assert_eq!(from_line("").unwrap(), None);
        let plan = from_line("-n ns1,veth1 -n 'ns2',veth2 --nodad # pair").unwrap().unwrap();
        assert!(plan.options.nodad);
        let Action::Veth { b, .. } = plan.action else { panic!() };
        assert_eq!(b.namespace, Namespace::Named("ns2".into()));
        let plan = from_line("-a '/run/my ns',eth0 -c peer0").unwrap().unwrap();
        let Action::Veth { a, .. } = plan.action else { panic!() };
        assert_eq!(a.namespace, Namespace::Path("/run/my ns".into()));
    }

    #[test]
    fn bulk_line_rejects_run_options() {
        for (line, option) in [
            ("-f other", "-f"),
            ("-c a -c b --keep-going", "--keep-going"),
            ("-c a -c b --atomic", "--atomic"),
            ("-h", "-h/--help"),
            ("--version", "-v/--version"),
        ] {
            let message = from_line(line).unwrap_err().to_string();
            assert_eq!(
                message,
                format!(
                    "{option} is not allowed in a bulk file line (give it on the command line)"
                )
            );
        }
        assert!(from_line("-c 'a").unwrap_err().to_string().starts_with("unterminated"));
        assert!(from_line("-c a -c b extra")
            .unwrap_err()
            .to_string()
            .contains("unexpected argument"));
    }

    #[test]
    fn overlay_line_options() {
        let defaults = Options { mtu: Some(1400), nodad: true, wait: Some(Duration::from_secs(5)) };
        let line = Options { mtu: Some(9000), nodad: false, wait: None };
        assert_eq!(
            defaults.overlay(&line),
            Options { mtu: Some(9000), nodad: true, wait: Some(Duration::from_secs(5)) }
        );
        assert_eq!(Options::default().overlay(&line), line);
    }

    #[test]
    fn display_forms() {
        let net = IpNet { addr: "fd00::1".parse().unwrap(), prefix: 64 };
        assert_eq!(net.to_string(), "fd00::1/64");
        assert_eq!(Namespace::Docker("web".into()).to_string(), "container \"web\"");
        assert_eq!(Namespace::Pid(9).to_string(), "netns of pid 9");
        assert_eq!(Namespace::Current.to_string(), "koko's own netns");
    }

    /// Builds pseudo-random command lines from option letters and value fragments with a
    /// fixed-seed xorshift generator, so a failure reproduces; none may panic.
    #[test]
    fn random_command_lines_never_panic() {
        let words = [
            "-d",
            "-n",
            "-a",
            "-p",
            "-c",
            "-e",
            "-D",
            "-N",
            "-A",
            "-P",
            "-C",
            "-E",
            "-x",
            "-M",
            "-V",
            "--mtu",
            "--wait",
            "--nodad",
            "-f",
            "--keep-going",
            "--atomic",
            "--",
            "-",
        ];
        let fragments = [
            "",
            ",",
            ":",
            "/",
            "=",
            "-",
            ".",
            "eth0",
            "ns1",
            "10.0.0.1",
            "fd00::1",
            "24",
            "64",
            "mac=",
            "02:00:5e:10:00:01",
            "mirror:",
            "both",
            "ingress",
            "port=",
            "srcport=",
            "local=",
            "4789",
            "0",
            "65536",
            "bridge",
            "\u{e9}",
            "\u{0}",
            " ",
            "'",
            "#",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..20_000 {
            let mut args = Vec::new();
            for _ in 0..next(6) {
                args.push(words[next(words.len())].to_string());
                let mut value = String::new();
                for _ in 0..next(7) {
                    value.push_str(fragments[next(fragments.len())]);
                }
                args.push(value);
            }
            let line = args.join(" ");
            let _ = from_args(args);
            let _ = from_line(&line);
        }
    }

    /// Feeds many malformed command lines through both phases; none may panic.
    #[test]
    fn malformed_input_never_panics() {
        let letters = [
            "-d", "-n", "-a", "-p", "-c", "-e", "-D", "-N", "-A", "-P", "-C", "-E", "-x", "-M",
            "-V", "--mtu", "--wait", "-f",
        ];
        let values = [
            "",
            ",",
            ":",
            "::",
            ",,",
            "a,",
            ",a",
            "a,b,",
            "a:b:",
            "a:b:c:d",
            "a,b,c,d,e,f",
            "\0",
            "a\0,b",
            "é,ü",
            "€€€€€€,eth0",
            "x,eth0,mirror:",
            "x,eth0,mirror:both",
            "x,eth0,mirror:both,",
            "x,eth0,mac=",
            "x,eth0,mac=::::::",
            "x,eth0,mac=zz:zz:zz:zz:zz:zz",
            "x,eth0,/",
            "x,eth0,1.2.3.4/",
            "x,eth0,/24",
            "x,eth0,::/",
            "x,eth0,[::1]/64",
            "x,eth0,1.2.3.4/99999999999999999999999999",
            "eth0,,",
            "eth0,1.2.3.4,",
            "eth0,::1,1,=",
            "eth0,::1,1,==",
            "eth0,::1,1,srcport=-",
            "eth0,::1,1,srcport=--",
            "eth0,::1,1,port==1",
            "eth0:1.2.3.4:",
            "eth0:",
            "eth0,",
            "-",
            "--",
            "-1",
            "0",
            "4294967296",
            ".",
            "..",
            "\u{feff}",
            "\u{10ffff}",
            "a\u{300}",
            "\u{202e}eth0",
            " ",
            "\t",
            "\n",
            "0.",
            ".0",
            "1..2",
            "3600.0000000000",
            "#",
            "'",
            "\"",
        ];
        let mut checked = 0;
        for letter in letters {
            for value in values {
                for tail in [&[][..], &["-c", "peer"][..], &["-M", "eth0,bridge"][..]] {
                    let mut args = vec![letter, value];
                    args.extend_from_slice(tail);
                    let _ = from_args(args.iter().copied());
                    checked += 1;
                }
            }
        }
        for value in values {
            let _ = from_line(value);
            let _ = from_line(&format!("-c {value} -c x"));
            let _ = cli::split_line(value);
        }

        let raw: [&[u8]; 8] = [
            b"\xff",
            b"-\xff",
            b"--\xff",
            b"--mtu=\xff",
            b"-d\xff",
            b"\xc3",
            b"-\xe2\x82",
            b"--\xf0\x9f\x98",
        ];
        for bytes in raw {
            let odd = OsString::from_vec(bytes.to_vec());
            for args in [
                vec![odd.clone()],
                vec![OsString::from("-d"), odd.clone()],
                vec![OsString::from("-f"), odd.clone()],
                vec![OsString::from("-c"), OsString::from("a"), odd.clone()],
                vec![odd.clone(), OsString::from("-c"), OsString::from("a")],
            ] {
                let _ = from_args(args);
                checked += 1;
            }
        }
        assert!(checked > 3000, "{checked}");
    }
}
