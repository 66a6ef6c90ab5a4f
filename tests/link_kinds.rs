//! vxlan, macvlan and vlan interfaces (`-x`, `-M`, `-V`) created by the real binary in
//! private namespaces.
//!
//! The parent of each interface is looked up in koko's own namespace. Tests that need the
//! parent elsewhere than in the sandbox's namespace run koko with `ip netns exec HOST`.

mod common;

use common::{koko_bin, Output, Sandbox};
use std::thread;
use std::time::{Duration, Instant};

/// Maximum time a ping across a new tunnel or macvlan may take to get its first reply,
/// which includes neighbour resolution on a loaded machine.
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs koko inside the named namespace `netns`, so that it looks up parents there.
fn koko_in(sb: &Sandbox, netns: &str, args: &[&str]) -> Output {
    let mut full = vec!["netns", "exec", netns, koko_bin()];
    full.extend_from_slice(args);
    sb.run("ip", &full)
}

/// Pings `addr` from `netns` until a reply arrives or [`PING_TIMEOUT`] passes, and panics
/// with the last output on timeout.
#[track_caller]
fn assert_ping(sb: &Sandbox, netns: &str, addr: &str) {
    let deadline = Instant::now() + PING_TIMEOUT;
    loop {
        let output = sb.ping(netns, addr);
        if output.success() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("no reply from {addr} in netns {netns}:\n{output}");
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Returns `ip -d -o link show dev NAME` in `netns` (the sandbox's namespace for `None`).
#[track_caller]
fn link_details(sb: &Sandbox, netns: Option<&str>, name: &str) -> String {
    let output = match netns {
        Some(netns) => sb.ip(&["-n", netns, "-d", "-o", "link", "show", "dev", name]),
        None => sb.ip(&["-d", "-o", "link", "show", "dev", name]),
    };
    output.stdout
}

/// Returns the field that follows the words of `key` in `ip -d -o link` output, such as
/// `8472` for `dstport` or `bridge` for `macvlan mode`. Keys that appear twice (`mode`
/// and `group` also describe the link itself) need the kind's word in front.
fn field_after<'a>(details: &'a str, key: &str) -> Option<&'a str> {
    let words: Vec<&str> = key.split_whitespace().collect();
    let fields: Vec<&str> = details.split_whitespace().collect();
    fields
        .windows(words.len() + 1)
        .find(|window| window[..words.len()] == words[..])
        .map(|window| window[words.len()])
}

fn has_field(details: &str, word: &str) -> bool {
    details.split_whitespace().any(|field| field == word)
}

/// Builds two "hosts", netns H1 and H2, joined by a veth underlay `u1`-`u2` with
/// addresses `underlay1` and `underlay2`, plus netns C1 and C2 for the tunnel ends.
fn two_hosts(sb: &Sandbox, underlay1: &str, underlay2: &str) {
    for netns in ["H1", "H2", "C1", "C2"] {
        sb.add_netns(netns);
    }
    sb.ip(&["-n", "H1", "link", "add", "u1", "type", "veth", "peer", "u2", "netns", "H2"]);
    sb.ip(&["-n", "H1", "addr", "add", underlay1, "dev", "u1", "nodad"]);
    sb.ip(&["-n", "H2", "addr", "add", underlay2, "dev", "u2", "nodad"]);
    sb.ip(&["-n", "H1", "link", "set", "u1", "up"]);
    sb.ip(&["-n", "H2", "link", "set", "u2", "up"]);
}

/// Creates veth `p0`-`p1` in the sandbox's own namespace, both up, as a macvlan parent.
fn local_parent(sb: &Sandbox) {
    sb.ip(&["link", "add", "p0", "type", "veth", "peer", "p1"]);
    sb.ip(&["link", "set", "p0", "up"]);
    sb.ip(&["link", "set", "p1", "up"]);
}

#[test]
fn vxlan_tunnel_over_ipv4() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "192.168.77.1/24", "192.168.77.2/24");
    let c2 = sb.spawn_sleeper_netns().to_string();

    koko_in(&sb, "H1", &["-x", "u1,192.168.77.2,42", "-n", "C1,vx0,10.1.0.1/24"]).assert_success();
    let endpoint = format!("{c2},vx0,10.1.0.2/24");
    koko_in(&sb, "H2", &["-x", "u2,192.168.77.1,42", "-p", &endpoint]).assert_success();

    let details = link_details(&sb, Some("C1"), "vx0");
    assert_eq!(field_after(&details, "vxlan id"), Some("42"), "{details}");
    assert_eq!(field_after(&details, "remote"), Some("192.168.77.2"), "{details}");
    assert_eq!(field_after(&details, "dstport"), Some("4789"), "{details}");
    assert!(!has_field(&details, "nolearning"), "{details}");
    assert!(sb.link_flags(Some("C1"), "vx0").contains(&"UP".to_string()));
    assert!(!sb.link_names(Some("H1")).contains(&"vx0".to_string()));

    assert_ping(&sb, "C1", "10.1.0.2");
}

#[test]
fn vxlan_tunnel_over_ipv6() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "fd77::1/64", "fd77::2/64");

    let c1 = ["-n", "C1,vx6,10.6.0.1/24,fd06::1/64", "-x", "u1,fd77::2,4242"];
    koko_in(&sb, "H1", &c1).assert_success();
    let c2 = ["-n", "C2,vx6,10.6.0.2/24,fd06::2/64", "-x", "u2,fd77::1,4242"];
    koko_in(&sb, "H2", &c2).assert_success();

    let details = link_details(&sb, Some("C2"), "vx6");
    assert_eq!(field_after(&details, "remote"), Some("fd77::1"), "{details}");
    assert_eq!(field_after(&details, "vxlan id"), Some("4242"), "{details}");
    assert!(sb.addrs(Some("C2"), "vx6").contains(&"fd06::2/64".to_string()));

    assert_ping(&sb, "C1", "10.6.0.2");
    assert_ping(&sb, "C1", "fd06::2");
}

#[test]
fn vxlan_in_current_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);

    sb.koko(&["-c", "vx0,10.3.0.1/24", "-x", "p0,192.0.2.9,7"]).assert_success();

    assert!(sb.link_names(None).contains(&"vx0".to_string()));
    assert_eq!(sb.addrs(None, "vx0")[0], "10.3.0.1/24");
    sb.koko(&["-C", "vx0"]).assert_success();
    assert!(!sb.link_names(None).contains(&"vx0".to_string()));
}

#[test]
fn vxlan_concurrent_vnis_share_parent() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "192.168.78.1/24", "192.168.78.2/24");

    let (first, second) = thread::scope(|scope| {
        let first = scope.spawn(|| {
            koko_in(&sb, "H1", &["-n", "C1,vx1,10.4.1.1/24", "-x", "u1,192.168.78.2,101"])
        });
        let second = scope.spawn(|| {
            koko_in(&sb, "H1", &["-n", "C1,vx2,10.4.2.1/24", "-x", "u1,192.168.78.2,102"])
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    first.assert_success();
    second.assert_success();

    assert_eq!(field_after(&link_details(&sb, Some("C1"), "vx1"), "vxlan id"), Some("101"));
    assert_eq!(field_after(&link_details(&sb, Some("C1"), "vx2"), "vxlan id"), Some("102"));
}

#[test]
fn vxlan_settings_reach_kernel() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "192.168.79.1/24", "192.168.79.2/24");

    let settings = "u1,192.168.79.2,9,port=8472,mtu=1400,ttl=9,tos=16,learning=off,\
                    local=192.168.79.1,srcport=1000-2000,udpcsum=off";
    koko_in(&sb, "H1", &["-n", "C1,vx9", "-x", settings]).assert_success();

    let details = link_details(&sb, Some("C1"), "vx9");
    assert_eq!(field_after(&details, "dstport"), Some("8472"), "{details}");
    assert_eq!(field_after(&details, "mtu"), Some("1400"), "{details}");
    assert_eq!(field_after(&details, "ttl"), Some("9"), "{details}");
    assert_eq!(field_after(&details, "tos"), Some("0x10"), "{details}");
    assert_eq!(field_after(&details, "local"), Some("192.168.79.1"), "{details}");
    assert_eq!(field_after(&details, "srcport"), Some("1000"), "{details}");
    assert!(has_field(&details, "nolearning"), "{details}");
    assert!(has_field(&details, "noudpcsum"), "{details}");
}

#[test]
fn vxlan_global_mtu_and_multicast_group() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("C1");

    sb.koko(&["-n", "C1,vxm", "-x", "p0,239.1.1.1,5", "--mtu", "1300"]).assert_success();

    let details = link_details(&sb, Some("C1"), "vxm");
    assert_eq!(field_after(&details, "vxlan id 5 group"), Some("239.1.1.1"), "{details}");
    assert_eq!(field_after(&details, "mtu"), Some("1300"), "{details}");
}

#[test]
fn vxlan_duplicate_vni_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "192.168.80.1/24", "192.168.80.2/24");
    koko_in(&sb, "H1", &["-n", "C1,vx0,10.5.0.1/24", "-x", "u1,192.168.80.2,42"]).assert_success();
    let before = sb.snapshot();

    let output = koko_in(&sb, "H1", &["-n", "C2,vx0,10.5.0.2/24", "-x", "u1,192.168.80.3,42"]);

    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(
        output.stderr.contains("A VXLAN device with the specified VNI already exists"),
        "{output}"
    );
    assert!(output.stderr.contains("VNI 42"), "{output}");
    assert_eq!(before, sb.snapshot());
}

#[test]
fn vxlan_same_vni_other_port_accepted() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    two_hosts(&sb, "192.168.81.1/24", "192.168.81.2/24");

    koko_in(&sb, "H1", &["-n", "C1,vx0", "-x", "u1,192.168.81.2,42"]).assert_success();
    koko_in(&sb, "H1", &["-n", "C2,vx0", "-x", "u1,192.168.81.2,42,port=4790"]).assert_success();
}

#[test]
fn existing_name_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("C1");
    sb.koko(&["-n", "C1,vx0", "-x", "p0,192.0.2.9,1"]).assert_success();
    let before = sb.snapshot();

    let output = sb.koko(&["-n", "C1,vx0", "-x", "p0,192.0.2.9,2"]);

    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(output.stderr.contains("link \"vx0\" already exists in netns \"C1\""), "{output}");
    assert_eq!(before, sb.snapshot());
}

#[test]
fn missing_parent_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("C1");
    let before = sb.snapshot();

    let cases: [&[&str]; 3] = [
        &["-n", "C1,vx0,10.0.0.1/24", "-x", "eth9,192.0.2.9,42"],
        &["-n", "C1,mv0", "-M", "eth9,bridge"],
        &["-n", "C1,vl0", "-V", "eth9,5"],
    ];
    for args in cases {
        let output = sb.koko(args);
        assert_eq!(output.status.code(), Some(1), "{output}");
        assert!(
            output.stderr.contains("parent interface \"eth9\" not found in the current namespace"),
            "{output}"
        );
    }
    assert_eq!(before, sb.snapshot());
}

#[test]
fn invalid_values_are_usage_errors() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("C1");
    let before = sb.snapshot();

    let cases: [(&[&str], &str); 4] = [
        (
            &["-n", "C1,vx0", "-x", "p0,192.0.2.9,16777216"],
            "invalid VNI \"16777216\" (expected 0 to 16777215)",
        ),
        (&["-n", "C1,vx0", "-x", "p0,192.0.2.9,1,colour=red"], "unknown vxlan setting \"colour\""),
        (&["-n", "C1,mv0", "-M", "p0,brige"], "invalid macvlan mode \"brige\""),
        (&["-n", "C1,vl0", "-V", "p0,4095"], "invalid VLAN id \"4095\" (expected 1 to 4094)"),
    ];
    for (args, expected) in cases {
        let output = sb.koko(args);
        assert_eq!(output.status.code(), Some(2), "{output}");
        assert!(output.stderr.contains(expected), "{output}");
    }
    assert_eq!(before, sb.snapshot());
}

#[test]
fn macvlan_bridge_connects_namespaces() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.ip(&["link", "set", "p0", "mtu", "1400"]);
    sb.add_netns("M1");
    sb.add_netns("M2");

    sb.koko(&["-n", "M1,mv0,10.2.0.1/24,fd02::1/64", "-M", "p0,bridge"]).assert_success();
    sb.koko(&["-n", "M2,mv0,10.2.0.2/24,fd02::2/64", "-M", "p0,bridge"]).assert_success();
    sb.koko(&["-c", "mv9,10.2.0.9/24", "-M", "p0,bridge"]).assert_success();

    let details = link_details(&sb, Some("M1"), "mv0");
    assert_eq!(field_after(&details, "macvlan mode"), Some("bridge"), "{details}");
    assert_eq!(field_after(&details, "mtu"), Some("1400"), "{details}");
    assert_ping(&sb, "M1", "10.2.0.2");
    assert_ping(&sb, "M1", "fd02::2");
    assert_ping(&sb, "M2", "10.2.0.9");
}

#[test]
fn macvlan_every_mode_accepted() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("M1");
    let before = sb.snapshot();

    // Linux uses vepa when the request carries no mode.
    let modes = [
        ("default", "vepa"),
        ("private", "private"),
        ("vepa", "vepa"),
        ("bridge", "bridge"),
        ("passthru", "passthru"),
        ("source", "source"),
    ];
    for (mode, shown) in modes {
        let kind = format!("p0,{mode}");
        sb.koko(&["-n", "M1,mv0,10.2.0.1/24", "-M", &kind, "--mtu", "1280"]).assert_success();

        let details = link_details(&sb, Some("M1"), "mv0");
        assert_eq!(field_after(&details, "macvlan mode"), Some(shown), "{mode}: {details}");
        assert_eq!(field_after(&details, "mtu"), Some("1280"), "{mode}: {details}");

        sb.koko(&["-N", "M1,mv0"]).assert_success();
        assert!(!sb.link_names(Some("M1")).contains(&"mv0".to_string()), "{mode}");
    }
    assert_eq!(before, sb.snapshot());
}

#[test]
fn macvlan_mac_from_endpoint() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    let pid = sb.spawn_sleeper_netns().to_string();

    let endpoint = format!("{pid},mv0,mac=02:00:5e:10:00:07");
    sb.koko(&["-p", &endpoint, "-M", "p0,private"]).assert_success();

    let output = sb.run(
        "nsenter",
        &["--target", &pid, "--net", "--", "ip", "-o", "link", "show", "dev", "mv0"],
    );
    output.assert_success();
    assert!(output.stdout.contains("link/ether 02:00:5e:10:00:07"), "{output}");
}

#[test]
fn macvlan_duplicate_address_rolled_back() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("M1");
    sb.add_netns("M2");
    sb.koko(&["-n", "M1,mv0,fd02::1/64", "-M", "p0,bridge"]).assert_success();
    let before = sb.snapshot();

    // Bridge mode delivers the second macvlan's neighbour solicitation to the first, which
    // defends fd02::1, so duplicate address detection fails after the link exists.
    let output = sb.koko(&["-n", "M2,mv0,fd02::1/64", "-M", "p0,bridge"]);

    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(output.stderr.contains("duplicate address detection failed for fd02::1"), "{output}");
    assert_eq!(before, sb.snapshot());
}

#[test]
fn macvlan_parent_without_carrier_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.ip(&["link", "set", "p1", "down"]);
    sb.add_netns("M1");
    let before = sb.snapshot();

    let output = sb.koko(&["-n", "M1,mv0,fd02::1/64", "-M", "p0,bridge"]);

    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(output.stderr.contains("parent interface \"p0\" has no carrier"), "{output}");
    assert!(output.stderr.contains("--nodad"), "{output}");
    assert_eq!(before, sb.snapshot());

    sb.koko(&["-n", "M1,mv0,fd02::1/64", "-M", "p0,bridge", "--nodad"]).assert_success();
}

/// Kernels without the 8021q module reject vlan links, and koko names the module. Where
/// the module is available the link must come out right instead.
#[test]
fn vlan_needs_8021q_module() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("V1");
    let before = sb.snapshot();

    let output = sb.koko(&["-n", "V1,vl0,10.8.0.1/24", "-V", "p0,5"]);

    if output.success() {
        let details = link_details(&sb, Some("V1"), "vl0");
        assert_eq!(field_after(&details, "vlan protocol 802.1Q id"), Some("5"), "{details}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(
        output.stderr.contains(
            "the kernel does not support vlan links: load the 8021q module (modprobe 8021q)"
        ),
        "{output}"
    );
    assert_eq!(before, sb.snapshot());
}

#[test]
fn unfit_parent_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    local_parent(&sb);
    sb.add_netns("C1");
    let before = sb.snapshot();

    let cases: [(&[&str], &str); 3] = [
        (
            &["-n", "C1,mv0", "-M", "p0,bridge", "--mtu", "9000"],
            "MTU 9000 is larger than the MTU 1500 of parent interface \"p0\"",
        ),
        (
            &["-n", "C1,vl0", "-V", "p0,5", "--mtu", "1600"],
            "MTU 1600 is larger than the MTU 1500 of parent interface \"p0\"",
        ),
        (&["-n", "C1,mv0", "-M", "lo,bridge"], "parent interface \"lo\" is a loopback interface"),
    ];
    for (args, expected) in cases {
        let output = sb.koko(args);
        assert_eq!(output.status.code(), Some(1), "{output}");
        assert!(output.stderr.contains(expected), "{output}");
    }
    assert_eq!(before, sb.snapshot());
}
