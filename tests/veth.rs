//! Integration tests of koko's main job: a veth pair between two namespaces, with
//! addresses, MTU and MAC, for every endpoint kind. Each test runs the real binary in
//! its own [`Sandbox`] and checks the result with `ip` and `ping`.

mod common;

use common::{Output, Sandbox};

/// Returns the addresses of `ifname` without IPv6 link-local ones, which the kernel adds
/// by itself when the link comes up.
#[track_caller]
fn global_addrs(sb: &Sandbox, netns: Option<&str>, ifname: &str) -> Vec<String> {
    sb.addrs(netns, ifname).into_iter().filter(|addr| !addr.starts_with("fe80:")).collect()
}

/// Runs `ip args` in the network namespace of process `pid`.
#[track_caller]
fn ip_in_pid(pid: u32, args: &[&str]) -> Output {
    let pid = pid.to_string();
    let mut full = vec!["--target", pid.as_str(), "--net", "--", "ip"];
    full.extend_from_slice(args);
    let output = common::run_command("nsenter", &full);
    output.assert_success();
    output
}

/// Returns the `ip -o link show dev IFNAME` line of a link in a named namespace, or in
/// the sandbox's own namespace for `None`.
#[track_caller]
fn link_line(sb: &Sandbox, netns: Option<&str>, ifname: &str) -> String {
    let output = match netns {
        Some(name) => sb.ip(&["-n", name, "-o", "link", "show", "dev", ifname]),
        None => sb.ip(&["-o", "link", "show", "dev", ifname]),
    };
    output.stdout
}

/// Runs koko and checks that it succeeded silently: no output on success.
#[track_caller]
fn koko_ok(sb: &Sandbox, args: &[&str]) {
    let output = sb.koko(args);
    output.assert_success();
    assert_eq!(output.stdout, "", "koko printed to stdout:\n{output}");
    assert_eq!(output.stderr, "", "koko printed to stderr:\n{output}");
}

#[track_caller]
fn assert_ping(sb: &Sandbox, from: &str, to: &str) {
    let output = sb.ping(from, to);
    assert!(output.success(), "ping from {from} to {to} failed:\n{output}");
}

#[track_caller]
fn assert_up(sb: &Sandbox, netns: Option<&str>, ifname: &str) {
    let flags = sb.link_flags(netns, ifname);
    assert!(flags.iter().any(|flag| flag == "UP"), "{ifname} in {netns:?} is not up: {flags:?}");
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| name.to_string()).collect()
}

/// Creates named namespaces A and B, which most tests connect.
fn sandbox_with_a_and_b() -> Sandbox {
    let sb = Sandbox::new();
    sb.add_netns("A");
    sb.add_netns("B");
    sb
}

/// Checks the common outcome of a veth pair `a` in A and `b` in B: the right links in
/// the right namespaces, both up, with exactly the requested addresses, and nothing in
/// the sandbox's own namespace, where koko ran.
#[track_caller]
fn assert_pair(sb: &Sandbox, addrs_a: &[&str], addrs_b: &[&str]) {
    assert_eq!(sb.link_names(Some("A")), names(&["lo", "a"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo", "b"]));
    assert_eq!(sb.link_names(None), names(&["lo"]));
    assert_up(sb, Some("A"), "a");
    assert_up(sb, Some("B"), "b");
    assert_eq!(global_addrs(sb, Some("A"), "a"), names(addrs_a));
    assert_eq!(global_addrs(sb, Some("B"), "b"), names(addrs_b));
}

#[test]
fn veth_ipv4_both_ends() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"]);

    assert_pair(&sb, &["10.0.0.1/24"], &["10.0.0.2/24"]);
    assert_ping(&sb, "A", "10.0.0.2");
    assert_ping(&sb, "B", "10.0.0.1");
}

#[test]
fn veth_ipv6_both_ends() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,fd00::1/64", "-n", "B,b,fd00::2/64"]);

    assert_pair(&sb, &["fd00::1/64"], &["fd00::2/64"]);
    // koko waits for duplicate address detection, so the addresses are usable at once.
    for netns in ["A", "B"] {
        let output = sb.ip(&["-n", netns, "-6", "-o", "addr", "show", "tentative"]);
        assert!(
            !output.stdout.contains("fd00::"),
            "address still tentative after koko returned:\n{output}"
        );
    }
    assert_ping(&sb, "A", "fd00::2");
    assert_ping(&sb, "B", "fd00::1");
}

#[test]
fn veth_dual_stack() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,10.0.0.1/24,fd00::1/64", "-n", "B,b,fd00::2/64,10.0.0.2/24"]);

    assert_pair(&sb, &["10.0.0.1/24", "fd00::1/64"], &["10.0.0.2/24", "fd00::2/64"]);
    assert_ping(&sb, "A", "10.0.0.2");
    assert_ping(&sb, "A", "fd00::2");
    assert_ping(&sb, "B", "10.0.0.1");
    assert_ping(&sb, "B", "fd00::1");
}

#[test]
fn veth_without_addresses() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a", "-n", "B,b"]);

    assert_pair(&sb, &[], &[]);
}

#[test]
fn veth_path_endpoints() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    // A bind mount of B outside /run/netns. The tmpfs on /mnt exists only in the
    // sandbox's private mount namespace.
    sb.sh("mount -t tmpfs koko-test-mnt /mnt && touch /mnt/netns-b && mount --bind /run/netns/B /mnt/netns-b")
        .assert_success();

    koko_ok(&sb, &["-a", "/run/netns/A,a,10.0.0.1/24", "-a", "/mnt/netns-b,b,10.0.0.2/24"]);

    assert_pair(&sb, &["10.0.0.1/24"], &["10.0.0.2/24"]);
    assert_ping(&sb, "A", "10.0.0.2");
}

#[test]
fn veth_pid_endpoint() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");
    let pid = sb.spawn_sleeper_netns();
    let endpoint = format!("{pid},p0,10.0.0.1/24");

    koko_ok(&sb, &["-p", &endpoint, "-n", "B,b,10.0.0.2/24"]);

    let links = ip_in_pid(pid, &["-j", "link", "show"]);
    assert_eq!(common::json_string_fields(&links.stdout, "ifname"), names(&["lo", "p0"]));
    let line = ip_in_pid(pid, &["-o", "link", "show", "dev", "p0"]).stdout;
    let flags = common::parse_link_flags(&line).unwrap_or_default();
    assert!(flags.iter().any(|flag| flag == "UP"), "p0 is not up:\n{line}");
    let addrs = ip_in_pid(pid, &["-4", "-o", "addr", "show", "dev", "p0"]);
    assert_eq!(common::parse_addr_lines(&addrs.stdout), names(&["10.0.0.1/24"]));

    assert_eq!(sb.link_names(Some("B")), names(&["lo", "b"]));
    assert_eq!(sb.link_names(None), names(&["lo"]));
    assert_ping(&sb, "B", "10.0.0.1");
}

#[test]
fn veth_current_endpoint() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");

    // koko runs inside the sandbox, so -c means the sandbox's own namespace.
    koko_ok(&sb, &["-c", "c0,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"]);

    assert_eq!(sb.link_names(None), names(&["lo", "c0"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo", "b"]));
    assert_up(&sb, None, "c0");
    assert_up(&sb, Some("B"), "b");
    assert_eq!(global_addrs(&sb, None, "c0"), names(&["10.0.0.1/24"]));
    assert_ping(&sb, "B", "10.0.0.1");
}

#[test]
fn veth_mixed_pid_and_current() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    let pid = sb.spawn_sleeper_netns();
    let endpoint = format!("{pid},p1,10.0.1.1/24,fd00:1::1/64");

    koko_ok(&sb, &["-p", &endpoint, "-c", "c1,10.0.1.2/24,fd00:1::2/64"]);

    let links = ip_in_pid(pid, &["-j", "link", "show"]);
    assert_eq!(common::json_string_fields(&links.stdout, "ifname"), names(&["lo", "p1"]));
    assert_eq!(sb.link_names(None), names(&["lo", "c1"]));
    assert_eq!(global_addrs(&sb, None, "c1"), names(&["10.0.1.2/24", "fd00:1::2/64"]));
    for addr in ["10.0.1.1", "fd00:1::1"] {
        let output = sb.run("ping", &["-c", "1", "-W", "2", addr]);
        assert!(output.success(), "ping from the sandbox to {addr} failed:\n{output}");
    }
}

#[test]
fn veth_mixed_named_and_path() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,10.0.0.1/24", "-a", "/run/netns/B,b,10.0.0.2/24"]);

    assert_pair(&sb, &["10.0.0.1/24"], &["10.0.0.2/24"]);
    assert_ping(&sb, "B", "10.0.0.1");
}

#[test]
fn colon_syntax_ipv4() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A:a:10.0.0.1/24", "-n", "B:b:10.0.0.2/24"]);

    assert_pair(&sb, &["10.0.0.1/24"], &["10.0.0.2/24"]);
    assert_ping(&sb, "A", "10.0.0.2");
}

#[test]
fn colon_syntax_trailing_colon() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A:a:", "-n", "B:b:"]);

    assert_pair(&sb, &[], &[]);
}

#[test]
fn colon_syntax_ipv6() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A:a:fd00:3::1/64", "-n", "B:b:fd00:3::2/64"]);

    assert_pair(&sb, &["fd00:3::1/64"], &["fd00:3::2/64"]);
    assert_ping(&sb, "A", "fd00:3::2");
}

#[test]
fn colon_syntax_current() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");

    koko_ok(&sb, &["-c", "c0:10.0.0.1/24", "-n", "B:b:10.0.0.2/24"]);

    assert_eq!(sb.link_names(None), names(&["lo", "c0"]));
    assert_eq!(global_addrs(&sb, None, "c0"), names(&["10.0.0.1/24"]));
    assert_ping(&sb, "B", "10.0.0.1");
}

#[test]
fn mtu_on_both_ends() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24", "--mtu", "1400"]);

    for (netns, ifname) in [("A", "a"), ("B", "b")] {
        let line = link_line(&sb, Some(netns), ifname);
        assert!(line.contains(" mtu 1400 "), "{ifname} has the wrong MTU:\n{line}");
    }
    assert_ping(&sb, "A", "10.0.0.2");
}

#[test]
fn mac_per_endpoint() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(
        &sb,
        &[
            "-n",
            "A,a,mac=02:00:5e:00:00:0a,10.0.0.1/24",
            "-n",
            "B,b,10.0.0.2/24,mac=02:00:5e:00:00:0b",
        ],
    );

    let line_a = link_line(&sb, Some("A"), "a");
    assert!(line_a.contains("link/ether 02:00:5e:00:00:0a "), "wrong MAC on a:\n{line_a}");
    let line_b = link_line(&sb, Some("B"), "b");
    assert!(line_b.contains("link/ether 02:00:5e:00:00:0b "), "wrong MAC on b:\n{line_b}");
    assert_ping(&sb, "A", "10.0.0.2");
}

#[test]
fn ipv6_in_namespace_with_ipv6_disabled() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    for netns in ["A", "B"] {
        sb.ip(&[
            "netns",
            "exec",
            netns,
            "sysctl",
            "-q",
            "-w",
            "net.ipv6.conf.default.disable_ipv6=1",
            "net.ipv6.conf.all.disable_ipv6=1",
        ]);
    }

    koko_ok(&sb, &["-n", "A,a,fd00::1/64", "-n", "B,b,fd00::2/64"]);

    assert_pair(&sb, &["fd00::1/64"], &["fd00::2/64"]);
    for (netns, ifname) in [("A", "a"), ("B", "b")] {
        let key = format!("net.ipv6.conf.{ifname}.disable_ipv6");
        let output = sb.ip(&["netns", "exec", netns, "sysctl", "-n", &key]);
        assert_eq!(output.stdout.trim(), "0", "IPv6 still disabled on {ifname}");
    }
    assert_ping(&sb, "A", "fd00::2");
}

#[test]
fn nodad_skips_duplicate_address_detection() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    koko_ok(&sb, &["-n", "A,a,fd00::1/64", "-n", "B,b,fd00::2/64", "--nodad"]);

    for (netns, ifname, addr) in [("A", "a", "fd00::1/64"), ("B", "b", "fd00::2/64")] {
        let output = sb.ip(&["-n", netns, "-6", "-o", "addr", "show", "dev", ifname]);
        let line = output
            .stdout
            .lines()
            .find(|line| line.contains(addr))
            .unwrap_or_else(|| panic!("{addr} missing on {ifname}:\n{output}"));
        assert!(line.contains(" nodad"), "{addr} lacks the nodad flag:\n{line}");
        assert!(!line.contains("tentative"), "{addr} is tentative:\n{line}");
    }
    assert_ping(&sb, "A", "fd00::2");
}

/// Runs koko with `args`, expects exit status 1 and a one-line `koko: ` message that
/// contains each of `needles`, and checks that no namespace changed.
#[track_caller]
fn assert_failure_rolled_back(sb: &Sandbox, args: &[&str], needles: &[&str]) {
    let before = sb.snapshot();
    let output = sb.koko(args);
    assert_eq!(output.status.code(), Some(1), "wrong exit status:\n{output}");
    assert!(output.stderr.starts_with("koko: "), "no koko: prefix:\n{output}");
    assert_eq!(output.stderr.lines().count(), 1, "message is not one line:\n{output}");
    for needle in needles {
        assert!(output.stderr.contains(needle), "message lacks {needle:?}:\n{output}");
    }
    assert_eq!(sb.snapshot(), before, "a failed koko run changed the namespaces");
}

/// Both ends get the same IPv6 address. Each end's neighbor solicitation for its
/// tentative address reaches the other end while that end's copy is still tentative, so
/// the kernel marks at least one copy `dadfailed`. koko must report it and delete the
/// pair it had already created.
#[test]
fn dad_failure_rolls_back() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_failure_rolled_back(
        &sb,
        &["-n", "A,a,fd00::1/64", "-n", "B,b,fd00::1/64"],
        &["duplicate address detection", "fd00::1"],
    );
}

/// The kernel rejects the loopback address on any other device, but only when the
/// address is added, which is after the pair exists.
#[test]
fn rejected_address_rolls_back() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_failure_rolled_back(
        &sb,
        &["-n", "A,a,10.0.0.1/24", "-n", "B,b,::1/128"],
        &["::1/128", "\"b\"", "netns \"B\""],
    );
}

#[test]
fn ipv6_with_small_mtu_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    let before = sb.snapshot();

    // Below 1280 bytes the kernel keeps no IPv6 state for a link, so the plan rejects the
    // combination before anything is created.
    let output = sb.koko(&["-n", "A,a,fd00::1/64", "-n", "B,b", "--mtu", "1000"]);
    assert_eq!(output.status.code(), Some(2), "wrong exit status:\n{output}");
    assert!(output.stderr.contains("1280"), "message lacks the minimum:\n{output}");
    assert!(output.stderr.contains("fd00::1/64"), "message lacks the address:\n{output}");
    assert_eq!(sb.snapshot(), before, "a rejected command line changed the namespaces");
}

/// `ip netns del B` while koko waits for duplicate address detection: the pair would
/// live on only in an unreachable namespace, so koko must fail and remove end `a`.
#[test]
fn named_netns_deleted_mid_run_fails() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    let koko = common::koko_bin();
    let script =
        format!("{koko} -n A,a,fd00::1/64 -n B,b,fd00::2/64 & sleep 0.4; ip netns del B; wait $!");
    let output = sb.sh(&script);
    assert_eq!(output.status.code(), Some(1), "wrong exit status:\n{output}");
    assert!(
        output.stderr.contains("netns \"B\" was deleted while koko was working"),
        "message lacks the reason:\n{output}"
    );
    assert_eq!(sb.link_names(Some("A")), names(&["lo"]), "end a was left behind:\n{output}");
}

/// SIGTERM while koko waits for duplicate address detection: koko must fail and remove
/// the pair it made, instead of dying with the links half configured.
#[test]
fn sigterm_during_dad_rolls_back() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    let before = sb.snapshot();
    let koko = common::koko_bin();
    let script = format!(
        "{koko} -n A,a,fd00::1/64 -n B,b,fd00::2/64 & pid=$!
         tries=0
         until ip -n B addr show dev b 2>/dev/null | grep -q fd00::2; do
             tries=$((tries + 1)); [ $tries -lt 3000 ] || break; sleep 0.01
         done
         kill -TERM $pid; wait $pid"
    );
    let output = sb.sh(&script);
    assert_eq!(output.status.code(), Some(1), "wrong exit status:\n{output}");
    assert!(output.stderr.contains("interrupted (SIGTERM)"), "message lacks the signal:\n{output}");
    assert_eq!(sb.snapshot(), before, "an interrupted run left links behind");
}
