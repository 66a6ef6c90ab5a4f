//! Tests of the integration-test harness itself, using only `ip`, `tc` and `ping`.
//!
//! Each test also checks that the machine's own network namespace kept its interfaces,
//! because the harness exists to keep every change inside a sandbox.

mod common;

use common::Sandbox;

/// Returns the interface names of the test process's own network namespace, sorted.
///
/// Docker names the host end of a container's veth `veth` plus 7 hex digits. Other
/// programs on a shared machine create and delete those at any time, so they are left
/// out. The names this file creates never match that pattern.
fn root_link_names() -> Vec<String> {
    let output = common::run_command("ip", &["-j", "link", "show"]);
    output.assert_success();
    let mut names: Vec<String> = common::json_string_fields(&output.stdout, "ifname")
        .into_iter()
        .filter(|name| !is_docker_veth(name))
        .collect();
    names.sort();
    names
}

fn is_docker_veth(name: &str) -> bool {
    name.strip_prefix("veth")
        .is_some_and(|suffix| suffix.len() == 7 && suffix.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Runs `body` with the root namespace's link list recorded before and compared after.
fn with_root_unchanged(body: impl FnOnce()) {
    let before = root_link_names();
    body();
    let after = root_link_names();
    assert_eq!(before, after, "links in the test process's own namespace changed");
}

#[test]
fn sandbox_has_private_netns() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        let own = std::fs::read_link("/proc/self/ns/net").unwrap();
        let inside = std::fs::read_link(format!("/proc/{}/ns/net", sandbox.pid())).unwrap();
        assert_ne!(own, inside, "sandbox shares the test's network namespace");

        assert_eq!(sandbox.link_names(None), vec!["lo".to_string()]);
        assert!(sandbox.netns_names().is_empty(), "fresh /run/netns is not empty");
    });
}

#[test]
fn sandbox_netns_is_private() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let first = Sandbox::new();
        let second = Sandbox::new();
        first.add_netns("kh-private");

        assert_eq!(first.netns_names(), vec!["kh-private".to_string()]);
        assert!(second.netns_names().is_empty(), "netns of one sandbox seen by another");
        let host = common::run_command("ip", &["netns", "list"]);
        host.assert_success();
        assert!(!host.stdout.contains("kh-private"), "netns leaked to the host:\n{host}");

        let var_run = first.run("ls", &["-1", "/var/run/netns"]);
        var_run.assert_success();
        assert_eq!(
            var_run.stdout.trim(),
            "kh-private",
            "/var/run/netns is not the sandbox's:\n{var_run}"
        );
    });
}

#[test]
fn sandbox_drop_ends_processes() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    let holder_pid = sandbox.pid();
    let sleeper_pid = sandbox.spawn_sleeper_netns();
    drop(sandbox);

    assert!(
        !std::path::Path::new(&format!("/proc/{holder_pid}")).exists(),
        "sandbox process survived"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{sleeper_pid}")).exists(),
        "sleeper process survived"
    );
}

#[test]
fn snapshot_equal_after_noop() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        sandbox.add_netns("kh-a");
        sandbox.ip(&[
            "-n", "kh-a", "link", "add", "kh-veth", "type", "veth", "peer", "name", "kh-peer",
        ]);
        sandbox.ip(&["-n", "kh-a", "addr", "add", "fd00:1::1/64", "dev", "kh-veth"]);
        sandbox.spawn_sleeper_netns();
        // Carrier, link-local address and DAD settle after this, between the snapshots.
        sandbox.ip(&["-n", "kh-a", "link", "set", "kh-veth", "up"]);
        sandbox.ip(&["-n", "kh-a", "link", "set", "kh-peer", "up"]);

        let before = sandbox.snapshot();
        assert_eq!(
            before.namespaces.len(),
            3,
            "expected sandbox, netns kh-a and one pid:\n{before:#?}"
        );
        sandbox.sh("sleep 2").assert_success();
        let after = sandbox.snapshot();
        assert_eq!(before, after);
    });
}

#[test]
fn snapshot_sees_each_kind_of_change() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        sandbox.add_netns("kh-a");
        let start = sandbox.snapshot();

        sandbox.ip(&[
            "-n", "kh-a", "link", "add", "kh-veth", "type", "veth", "peer", "name", "kh-peer",
        ]);
        let with_link = sandbox.snapshot();
        assert_ne!(start, with_link, "new link not seen");

        sandbox.ip(&["-n", "kh-a", "addr", "add", "10.77.0.1/24", "dev", "kh-veth"]);
        let with_addr = sandbox.snapshot();
        assert_ne!(with_link, with_addr, "new address not seen");

        sandbox
            .run("tc", &["-n", "kh-a", "qdisc", "add", "dev", "kh-veth", "root", "pfifo"])
            .assert_success();
        let with_qdisc = sandbox.snapshot();
        assert_ne!(with_addr, with_qdisc, "new qdisc not seen");

        sandbox.add_netns("kh-b");
        let with_netns = sandbox.snapshot();
        assert_ne!(with_qdisc, with_netns, "new named netns not seen");
    });
}

#[test]
fn veth_made_with_ip_is_listed() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        sandbox.ip(&["link", "add", "kh-v0", "type", "veth", "peer", "name", "kh-v1"]);
        sandbox.ip(&["link", "set", "kh-v0", "up"]);
        sandbox.ip(&["addr", "add", "10.77.1.1/24", "dev", "kh-v0"]);

        let names = sandbox.link_names(None);
        assert!(names.contains(&"kh-v0".to_string()), "kh-v0 missing from {names:?}");
        assert!(names.contains(&"kh-v1".to_string()), "kh-v1 missing from {names:?}");
        assert_eq!(sandbox.addrs(None, "kh-v0").first().map(String::as_str), Some("10.77.1.1/24"));
        assert!(sandbox.link_flags(None, "kh-v0").contains(&"UP".to_string()));
        assert!(!sandbox.link_flags(None, "kh-v1").contains(&"UP".to_string()));
    });
}

#[test]
fn link_names_keep_at_sign() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.ip(&["link", "add", "kh@x", "type", "veth", "peer", "name", "kh@y"]);
    let mut names = sandbox.link_names(None);
    names.sort();
    assert_eq!(names, vec!["kh@x".to_string(), "kh@y".to_string(), "lo".to_string()]);
}

#[test]
fn ping_across_veth_between_netns() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        sandbox.add_netns("kh-left");
        sandbox.add_netns("kh-right");
        sandbox.ip(&[
            "link", "add", "kh-l", "netns", "kh-left", "type", "veth", "peer", "name", "kh-r",
            "netns", "kh-right",
        ]);
        sandbox.ip(&["-n", "kh-left", "addr", "add", "10.77.2.1/24", "dev", "kh-l"]);
        sandbox.ip(&["-n", "kh-right", "addr", "add", "10.77.2.2/24", "dev", "kh-r"]);
        sandbox.ip(&["-n", "kh-left", "addr", "add", "fd00:2::1/64", "dev", "kh-l"]);
        sandbox.ip(&["-n", "kh-right", "addr", "add", "fd00:2::2/64", "dev", "kh-r"]);
        sandbox.ip(&["-n", "kh-left", "link", "set", "kh-l", "up"]);
        sandbox.ip(&["-n", "kh-right", "link", "set", "kh-r", "up"]);

        let v4 = sandbox.ping("kh-left", "10.77.2.2");
        assert!(v4.success(), "IPv4 ping failed:\n{v4}");
        let v6 = sandbox.ping("kh-right", "fd00:2::1");
        assert!(v6.success(), "IPv6 ping failed:\n{v6}");
        assert!(sandbox.addrs(Some("kh-left"), "kh-l").contains(&"fd00:2::1/64".to_string()));
    });
}

#[test]
fn ping_fails_without_route() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("kh-lonely");
    let output = sandbox.ping("kh-lonely", "10.77.3.1");
    assert!(!output.success(), "ping reached an address nobody has:\n{output}");
}

#[test]
fn sleeper_has_own_netns() {
    if !common::require_root() {
        return;
    }
    with_root_unchanged(|| {
        let sandbox = Sandbox::new();
        let sleeper = sandbox.spawn_sleeper_netns();
        let sandbox_ns = std::fs::read_link(format!("/proc/{}/ns/net", sandbox.pid())).unwrap();
        let sleeper_ns = std::fs::read_link(format!("/proc/{sleeper}/ns/net")).unwrap();
        assert_ne!(sandbox_ns, sleeper_ns, "sleeper shares the sandbox's network namespace");

        // The sleeper runs in the sandbox's mount namespace, so its named netns are visible.
        let sandbox_mnt = std::fs::read_link(format!("/proc/{}/ns/mnt", sandbox.pid())).unwrap();
        let sleeper_mnt = std::fs::read_link(format!("/proc/{sleeper}/ns/mnt")).unwrap();
        assert_eq!(sandbox_mnt, sleeper_mnt);

        // A link moved by PID into the sleeper shows up in its snapshot.
        let pid = sleeper.to_string();
        sandbox
            .ip(&["link", "add", "kh-p0", "type", "veth", "peer", "name", "kh-p1", "netns", &pid]);
        let snapshot = sandbox.snapshot();
        let state = &snapshot.namespaces[&format!("pid {sleeper}")];
        assert!(
            state.links.iter().any(|line| line.contains("kh-p1")),
            "kh-p1 missing from the sleeper's links: {:#?}",
            state.links
        );
    });
}

#[test]
fn output_display_shows_everything() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    let output = sandbox.sh("echo to-stdout; echo to-stderr >&2; exit 3");
    assert_eq!(output.status.code(), Some(3));
    output.assert_failure();
    let text = output.to_string();
    assert!(text.contains("sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'"), "{text}");
    assert!(text.contains("exit status: 3"), "{text}");
    assert!(text.contains("to-stdout"), "{text}");
    assert!(text.contains("to-stderr"), "{text}");
}

#[test]
fn koko_bin_points_to_built_binary() {
    let path = std::path::Path::new(common::koko_bin());
    assert!(path.is_absolute(), "{}", path.display());
    assert!(path.is_file(), "{} does not exist", path.display());
}

#[test]
fn normalize_drops_volatile_fields() {
    let link = "2: v0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP \
                mode DEFAULT group default qlen 1000\\    link/ether f2:c5:d7:78:8a:c5 brd ff:ff:ff:ff:ff:ff";
    assert_eq!(
        common::normalize_link_line(link),
        "2: v0@if2: <BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue mode DEFAULT group default \
         qlen 1000 link/ether f2:c5:d7:78:8a:c5 brd ff:ff:ff:ff:ff:ff"
    );

    let addr = "2: v0    inet6 fd00::1/64 scope global tentative \\       valid_lft forever preferred_lft 3599sec";
    assert_eq!(
        common::normalize_addr_line(addr).as_deref(),
        Some("2: v0 inet6 fd00::1/64 scope global")
    );
    let link_local =
        "2: v0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever";
    assert_eq!(common::normalize_addr_line(link_local), None);

    assert_eq!(
        common::normalize_qdisc_line("qdisc noqueue 0: dev v0 root refcnt 2 "),
        "qdisc noqueue 0: dev v0 root"
    );
}

#[test]
fn parsers_read_ip_output() {
    let addrs = "2: v0    inet 10.9.0.1/24 scope global v0\\       valid_lft forever preferred_lft forever\n\
                 2: v0    inet6 fd00::1/64 scope global \\       valid_lft forever preferred_lft forever\n";
    assert_eq!(
        common::parse_addr_lines(addrs),
        vec!["10.9.0.1/24".to_string(), "fd00::1/64".to_string()]
    );

    let flags = common::parse_link_flags("1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN");
    assert_eq!(flags, Some(vec!["LOOPBACK".to_string()]));
    assert_eq!(common::parse_link_flags("no flags here"), None);

    let json = r#"[{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"a\"b\\c\u0041"}]"#;
    assert_eq!(
        common::json_string_fields(json, "ifname"),
        vec!["lo".to_string(), "a\"b\\cA".to_string()]
    );
}

#[test]
fn container_has_own_netns() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    with_root_unchanged(|| {
        let container = common::Container::run("selftest");
        let pid = container.pid();
        let own = std::fs::read_link("/proc/self/ns/net").unwrap();
        let inside = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
        assert_ne!(own, inside, "container shares the test's network namespace");

        let links = container.exec(&["ip", "-o", "link", "show"]);
        links.assert_success();
        assert_eq!(
            links.stdout.lines().count(),
            1,
            "--network none should leave only lo:\n{links}"
        );
        assert!(links.stdout.contains("lo:"), "{links}");

        let name = container.name().to_string();
        drop(container);
        let gone = common::run_command("docker", &["inspect", &name]);
        assert!(!gone.success(), "container {name} still exists after drop:\n{gone}");
    });
}
