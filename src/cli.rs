//! Command-line parsing, first phase: record what the user typed.
//!
//! [`parse_args`] sorts the arguments into [`Args`] with lexopt. It reads no files, makes
//! no system calls and checks no values; [`crate::plan::build`] validates the result.

use std::ffi::OsString;
use std::fmt;

mod line;

pub use line::split_line;

/// Help text printed by `koko --help`.
pub const USAGE: &str = "\
Usage: koko ENDPOINT ENDPOINT [OPTIONS]        create a veth pair between two endpoints
       koko ENDPOINT LINK-KIND [OPTIONS]       create one vxlan, macvlan or vlan interface
       koko DELETE [--wait SECONDS]            delete one interface
       koko -f FILE [--keep-going | --atomic] [OPTIONS]
                                               run the command line on each line of FILE
       koko -h | --help | -v | --version

ENDPOINT names a network namespace and the interface LINK to create in it:
  -d CONTAINER,LINK[,FIELD...]  Docker container name or id (Podman through DOCKER_HOST)
  -n NAME,LINK[,FIELD...]       named netns /run/netns/NAME
  -a PATH,LINK[,FIELD...]       netns file at PATH
  -p PID,LINK[,FIELD...]        netns of process PID (/proc/PID/ns/net)
  -c LINK[,FIELD...]            koko's own netns
  -e ID,LINK[,FIELD...]         CRI-O container id
  The first ENDPOINT is end A of the veth pair and the second is end B.

FIELD, in any order, at most one mac and one mirror per endpoint:
  ADDR/PREFIX               IPv4 or IPv6 address for LINK, e.g. 10.0.0.1/24 or
                            fd00::1/64; repeat the field for more addresses
  mac=XX:XX:XX:XX:XX:XX     unicast MAC address for LINK
  mirror:DIR:IF             mirror the traffic of interface IF, in the same netns, to LINK;
                            DIR is ingress, egress or both; also written mirror:DIR,IF
  The older colon form NAME:LINK[:ADDR/PREFIX] (for -c, LINK[:ADDR/PREFIX]) takes one
  address, e.g. -d web:eth1:10.0.0.1/24 or -n ns1:eth1:fd00::1/64.

LINK-KIND, given with exactly one ENDPOINT, creates LINK on PARENT, an interface in
koko's own netns, directly inside the ENDPOINT's netns:
  -x PARENT,REMOTE,VNI[,KEY=VALUE...]
                  vxlan to REMOTE (IPv4 or IPv6, unicast or multicast) with VNI 0 to
                  16777215; older colon form PARENT:REMOTE:VNI for an IPv4 REMOTE.
                  KEY=VALUE settings:
                    port=PORT        UDP destination port, 1 to 65535 (default 4789)
                    mtu=BYTES        MTU of LINK, 68 to 65535
                    local=ADDR       source address, same IP version as REMOTE
                    ttl=N            TTL or hop limit of outer packets, 0 to 255
                    tos=N            TOS of outer packets, 0 to 255
                    learning=on|off  learn remote MAC addresses (default on)
                    srcport=MIN-MAX  UDP source port range, 1 to 65535
                    udpcsum=on|off   UDP checksums on outer packets
  -M PARENT,MODE  macvlan; MODE is default, private, vepa, bridge, passthru or source
  -V PARENT,VID   vlan with VLAN id VID, 1 to 4094

DELETE removes interface LINK, naming its netns as the ENDPOINT letters do:
  -D CONTAINER,LINK   -N NAME,LINK   -A PATH,LINK   -P PID,LINK   -E ID,LINK   -C LINK
  The colon form X:LINK works too.

OPTIONS:
  --mtu BYTES      MTU of both veth ends or of the new interface, 68 to 65535
  --nodad          skip duplicate address detection for IPv6 addresses
  --wait SECONDS   wait up to SECONDS for containers and namespaces to appear; more than
                   0 and at most 3600, fractions allowed (e.g. 2 or 0.5)
  -f FILE          read one koko command line per line of FILE ('-' is standard input);
                   words split at whitespace, quotes group words, '#' starts a comment;
                   --mtu, --nodad and --wait given with -f apply to every line unless the
                   line sets its own
  --keep-going     with -f, run the remaining lines after a line fails
  --atomic         with -f, undo the lines already done when a line fails
  -h, --help       print this help
  -v, --version    print the version

Examples:
  koko -n ns1,veth1,10.0.0.1/24 -n ns2,veth2,10.0.0.2/24
  koko -d web,eth1,10.1.0.1/24,fd00::1/64 -p 4242,eth1,10.1.0.2/24,mac=02:00:5e:10:00:02
  koko -c vx42,192.0.2.1/24 -x eth0,198.51.100.7,42,port=8472,learning=off
  koko -n ns1,mv0,10.2.0.5/24 -M eth0,bridge
  koko -d web,eth0.100 -V eth0,100 --mtu 1400
  koko -N ns1,veth1
";

/// An error from parsing or validating a command line.
///
/// The message names the option, the bad value and what is allowed; `main` adds the
/// `koko: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// Creates an error whose whole text is `message`.
    pub fn new(message: impl Into<String>) -> Error {
        Error { message: message.into() }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with the option and value it came from: `-d c1,eth1: ...`.
    pub(crate) fn in_option(self, letter: char, value: &str) -> Error {
        Error::new(format!("-{letter} {}: {}", quote_if_needed(value), self.message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<lexopt::Error> for Error {
    fn from(err: lexopt::Error) -> Error {
        Error::new(format!("{err} (run 'koko --help' for usage)"))
    }
}

/// Returns `value` as typed when it is safe to print bare, else quoted and escaped.
pub(crate) fn quote_if_needed(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '"');
    if plain {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

/// Kind of network namespace that an endpoint or delete option names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamespaceKind {
    /// Docker (or Podman) container name or id: `-d`, `-D`.
    Docker,
    /// Named netns under /run/netns: `-n`, `-N`.
    Named,
    /// Path of a netns file: `-a`, `-A`.
    Path,
    /// Process id: `-p`, `-P`.
    Pid,
    /// koko's own netns: `-c`, `-C`.
    Current,
    /// CRI-O container id: `-e`, `-E`.
    Crio,
}

impl NamespaceKind {
    /// Returns the option letter that creates an endpoint in this kind of namespace.
    pub fn endpoint_flag(self) -> char {
        match self {
            NamespaceKind::Docker => 'd',
            NamespaceKind::Named => 'n',
            NamespaceKind::Path => 'a',
            NamespaceKind::Pid => 'p',
            NamespaceKind::Current => 'c',
            NamespaceKind::Crio => 'e',
        }
    }

    /// Returns the option letter that deletes an interface in this kind of namespace.
    pub fn delete_flag(self) -> char {
        self.endpoint_flag().to_ascii_uppercase()
    }
}

/// Option that requests a vxlan, macvlan or vlan interface instead of a veth pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKindFlag {
    /// `-x PARENT,REMOTE,VNI[,KEY=VALUE...]`
    Vxlan,
    /// `-M PARENT,MODE`
    Macvlan,
    /// `-V PARENT,VID`
    Vlan,
}

impl LinkKindFlag {
    pub fn flag(self) -> char {
        match self {
            LinkKindFlag::Vxlan => 'x',
            LinkKindFlag::Macvlan => 'M',
            LinkKindFlag::Vlan => 'V',
        }
    }
}

/// An endpoint or delete option as typed: its namespace kind and its unparsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointArg {
    pub kind: NamespaceKind,
    pub value: String,
}

/// A link-kind option as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkKindArg {
    pub kind: LinkKindFlag,
    pub value: String,
}

/// Everything the user typed, sorted by option but not yet checked.
///
/// Options that take a value are kept in lists so that the plan can reject repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// Endpoint options (`-d -n -a -p -c -e`) in command-line order.
    pub endpoints: Vec<EndpointArg>,
    /// Link-kind options (`-x -M -V`) in command-line order.
    pub link_kinds: Vec<LinkKindArg>,
    /// Delete options (`-D -N -A -P -C -E`) in command-line order.
    pub deletes: Vec<EndpointArg>,
    /// Values of every `--mtu`.
    pub mtu: Vec<String>,
    /// Values of every `--wait`.
    pub wait: Vec<String>,
    /// Whether `--nodad` appeared.
    pub nodad: bool,
    /// Values of every `-f`, kept as `OsString` because a file name need not be UTF-8.
    pub files: Vec<OsString>,
    /// Whether `--keep-going` appeared.
    pub keep_going: bool,
    /// Whether `--atomic` appeared.
    pub atomic: bool,
    /// Whether `-h` or `--help` appeared.
    pub help: bool,
    /// Whether `-v` or `--version` appeared.
    pub version: bool,
}

/// Sorts command-line arguments (without the program name) into [`Args`].
///
/// Fails on an unknown option, a positional argument, a missing option value or a value
/// that is not UTF-8 (except for `-f`). Every other check belongs to the plan.
pub fn parse_args<I>(args: I) -> Result<Args, Error>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut parsed = Args::default();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('d') => {
                parsed.push_endpoint(NamespaceKind::Docker, text_value(&mut parser, "-d")?)
            }
            Short('n') => {
                parsed.push_endpoint(NamespaceKind::Named, text_value(&mut parser, "-n")?)
            }
            Short('a') => parsed.push_endpoint(NamespaceKind::Path, text_value(&mut parser, "-a")?),
            Short('p') => parsed.push_endpoint(NamespaceKind::Pid, text_value(&mut parser, "-p")?),
            Short('c') => {
                parsed.push_endpoint(NamespaceKind::Current, text_value(&mut parser, "-c")?)
            }
            Short('e') => parsed.push_endpoint(NamespaceKind::Crio, text_value(&mut parser, "-e")?),
            Short('D') => parsed.push_delete(NamespaceKind::Docker, text_value(&mut parser, "-D")?),
            Short('N') => parsed.push_delete(NamespaceKind::Named, text_value(&mut parser, "-N")?),
            Short('A') => parsed.push_delete(NamespaceKind::Path, text_value(&mut parser, "-A")?),
            Short('P') => parsed.push_delete(NamespaceKind::Pid, text_value(&mut parser, "-P")?),
            Short('C') => {
                parsed.push_delete(NamespaceKind::Current, text_value(&mut parser, "-C")?)
            }
            Short('E') => parsed.push_delete(NamespaceKind::Crio, text_value(&mut parser, "-E")?),
            Short('x') => {
                parsed.push_link_kind(LinkKindFlag::Vxlan, text_value(&mut parser, "-x")?)
            }
            Short('M') => {
                parsed.push_link_kind(LinkKindFlag::Macvlan, text_value(&mut parser, "-M")?)
            }
            Short('V') => parsed.push_link_kind(LinkKindFlag::Vlan, text_value(&mut parser, "-V")?),
            Long("mtu") => parsed.mtu.push(text_value(&mut parser, "--mtu")?),
            Long("wait") => parsed.wait.push(text_value(&mut parser, "--wait")?),
            Long("nodad") => parsed.nodad = true,
            Short('f') => parsed.files.push(parser.value()?),
            Long("keep-going") => parsed.keep_going = true,
            Long("atomic") => parsed.atomic = true,
            Short('h') | Long("help") => parsed.help = true,
            Short('v') | Long("version") => parsed.version = true,
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(parsed)
}

impl Args {
    fn push_endpoint(&mut self, kind: NamespaceKind, value: String) {
        self.endpoints.push(EndpointArg { kind, value });
    }

    fn push_delete(&mut self, kind: NamespaceKind, value: String) {
        self.deletes.push(EndpointArg { kind, value });
    }

    fn push_link_kind(&mut self, kind: LinkKindFlag, value: String) {
        self.link_kinds.push(LinkKindArg { kind, value });
    }
}

fn text_value(parser: &mut lexopt::Parser, option: &str) -> Result<String, Error> {
    parser.value()?.into_string().map_err(|value| {
        Error::new(format!("{option}: value {:?} is not valid UTF-8", value.to_string_lossy()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn parse(args: &[&str]) -> Result<Args, Error> {
        parse_args(args.iter().copied())
    }

    #[test]
    fn empty_command_line() {
        assert_eq!(parse(&[]).unwrap(), Args::default());
    }

    #[test]
    fn endpoint_letters_in_order() {
        let args = parse(&[
            "-d", "c1,eth1", "-n", "ns1,eth1", "-a", "/x,e", "-p", "5,e", "-c", "e", "-e", "id,e",
        ])
        .unwrap();
        let kinds: Vec<NamespaceKind> = args.endpoints.iter().map(|arg| arg.kind).collect();
        assert_eq!(
            kinds,
            [
                NamespaceKind::Docker,
                NamespaceKind::Named,
                NamespaceKind::Path,
                NamespaceKind::Pid,
                NamespaceKind::Current,
                NamespaceKind::Crio,
            ]
        );
        let values: Vec<&str> = args.endpoints.iter().map(|arg| arg.value.as_str()).collect();
        assert_eq!(values, ["c1,eth1", "ns1,eth1", "/x,e", "5,e", "e", "id,e"]);
        assert!(args.deletes.is_empty());
        assert!(args.link_kinds.is_empty());
    }

    #[test]
    fn delete_letters() {
        let args =
            parse(&["-D", "c,e", "-N", "n,e", "-A", "/p,e", "-P", "1,e", "-C", "e", "-E", "i,e"])
                .unwrap();
        let letters: String = args.deletes.iter().map(|arg| arg.kind.delete_flag()).collect();
        assert_eq!(letters, "DNAPCE");
        assert!(args.endpoints.is_empty());
    }

    #[test]
    fn link_kind_letters() {
        let args = parse(&["-x", "eth0,10.0.0.2,5", "-M", "eth0,bridge", "-V", "eth0,7"]).unwrap();
        let letters: String = args.link_kinds.iter().map(|arg| arg.kind.flag()).collect();
        assert_eq!(letters, "xMV");
        assert_eq!(args.link_kinds[1].value, "eth0,bridge");
    }

    #[test]
    fn options_recorded() {
        let args = parse(&[
            "--mtu",
            "1400",
            "--wait",
            "0.5",
            "--nodad",
            "-f",
            "-",
            "--keep-going",
            "--atomic",
            "-h",
            "-v",
        ])
        .unwrap();
        assert_eq!(args.mtu, ["1400"]);
        assert_eq!(args.wait, ["0.5"]);
        assert!(args.nodad);
        assert_eq!(args.files, [OsString::from("-")]);
        assert!(args.keep_going);
        assert!(args.atomic);
        assert!(args.help);
        assert!(args.version);
    }

    #[test]
    fn long_help_and_version() {
        assert!(parse(&["--help"]).unwrap().help);
        assert!(parse(&["--version"]).unwrap().version);
    }

    #[test]
    fn attached_and_equals_values() {
        let args = parse(&["-dc1,eth1", "--mtu=1500", "-n=ns1,eth1"]).unwrap();
        assert_eq!(args.endpoints[0].value, "c1,eth1");
        assert_eq!(args.endpoints[1].value, "ns1,eth1");
        assert_eq!(args.mtu, ["1500"]);
    }

    #[test]
    fn repeated_values_kept() {
        let args = parse(&["--mtu", "1", "--mtu", "2", "-f", "a", "-f", "b"]).unwrap();
        assert_eq!(args.mtu, ["1", "2"]);
        assert_eq!(args.files.len(), 2);
    }

    #[test]
    fn unknown_option_names_it() {
        let message = parse(&["--frobnicate"]).unwrap_err().to_string();
        assert_eq!(message, "invalid option '--frobnicate' (run 'koko --help' for usage)");
        let message = parse(&["-z"]).unwrap_err().to_string();
        assert!(message.contains("'-z'"), "{message}");
        assert!(message.contains("koko --help"), "{message}");
        let message = parse(&["-q"]).unwrap_err().to_string();
        assert!(message.contains("'-q'"), "{message}");
    }

    #[test]
    fn positional_argument_rejected() {
        let message = parse(&["-c", "eth0", "stray"]).unwrap_err().to_string();
        assert!(message.contains("unexpected argument \"stray\""), "{message}");
        assert!(message.contains("koko --help"), "{message}");
        assert!(parse(&["--", "-d"]).is_err());
    }

    #[test]
    fn missing_value_names_option() {
        let message = parse(&["-d"]).unwrap_err().to_string();
        assert!(message.contains("missing argument for option '-d'"), "{message}");
        let message = parse(&["--mtu"]).unwrap_err().to_string();
        assert!(message.contains("'--mtu'"), "{message}");
    }

    #[test]
    fn flag_with_value_rejected() {
        let message = parse(&["--nodad=yes"]).unwrap_err().to_string();
        assert!(message.contains("--nodad"), "{message}");
    }

    #[test]
    fn non_utf8_value_rejected() {
        let bad = OsString::from_vec(vec![b'c', 0xff, b',', b'e']);
        let message = parse_args([OsString::from("-d"), bad]).unwrap_err().to_string();
        assert!(message.starts_with("-d: value "), "{message}");
        assert!(message.contains("not valid UTF-8"), "{message}");
    }

    #[test]
    fn non_utf8_file_kept() {
        let name = OsString::from_vec(vec![b'/', b't', 0xfe]);
        let args = parse_args([OsString::from("-f"), name.clone()]).unwrap();
        assert_eq!(args.files, [name]);
    }

    #[test]
    fn flag_letters_match() {
        for kind in [
            NamespaceKind::Docker,
            NamespaceKind::Named,
            NamespaceKind::Path,
            NamespaceKind::Pid,
            NamespaceKind::Current,
            NamespaceKind::Crio,
        ] {
            let endpoint = format!("-{}", kind.endpoint_flag());
            let delete = format!("-{}", kind.delete_flag());
            let args = parse(&[&endpoint, "x", &delete, "y"]).unwrap();
            assert_eq!(args.endpoints[0].kind, kind);
            assert_eq!(args.deletes[0].kind, kind);
        }
    }

    #[test]
    fn error_prefix_quotes_odd_values() {
        assert_eq!(Error::new("bad").in_option('d', "c1,eth1").to_string(), "-d c1,eth1: bad");
        assert_eq!(Error::new("bad").in_option('d', "a b").to_string(), "-d \"a b\": bad");
        assert_eq!(Error::new("bad").in_option('d', "").to_string(), "-d \"\": bad");
        assert_eq!(Error::new("bad").in_option('d', "a\nb").to_string(), "-d \"a\\nb\": bad");
    }

    #[test]
    fn usage_mentions_every_option() {
        for option in [
            "-d ",
            "-n ",
            "-a ",
            "-p ",
            "-c ",
            "-e ",
            "-D ",
            "-N ",
            "-A ",
            "-P ",
            "-C ",
            "-E ",
            "-x ",
            "-M ",
            "-V ",
            "--mtu",
            "--nodad",
            "--wait",
            "-f ",
            "--keep-going",
            "--atomic",
            "--help",
            "--version",
            "port=",
            "mtu=",
            "local=",
            "ttl=",
            "tos=",
            "learning=",
            "srcport=",
            "udpcsum=",
            "mac=",
            "mirror:",
        ] {
            assert!(USAGE.contains(option), "{option}");
        }
        for line in USAGE.lines() {
            assert!(line.len() <= 92, "{line}");
        }
    }
}
