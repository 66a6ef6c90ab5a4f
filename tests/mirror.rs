//! Traffic mirroring (`mirror:DIR:IF` endpoint fields) by the real binary in private
//! namespaces: packets reach the mirror link, and deleting the link leaves the source
//! interface's qdiscs and filters as they were.
//!
//! Traffic runs over veth `src` (netns A, 10.0.0.1) and `peer` (netns B, 10.0.0.2). Both
//! namespaces have IPv6 disabled, static neighbour entries and echo replies turned off,
//! so a ping from B to A crosses `src` only on ingress and a ping from A to B only on
//! egress, and no other packet crosses it. A mirror link without addresses sends nothing
//! of its own, so its `tx_packets` counter counts mirrored packets only.

mod common;

use common::{Output, Sandbox};

/// Echo requests sent for each direction.
const PINGS: u64 = 5;

const SRC_MAC: &str = "02:00:00:00:00:01";
const PEER_MAC: &str = "02:00:00:00:00:02";

/// Builds netns A and B joined by veth `src`-`peer` as the file header describes.
#[track_caller]
fn source_pair(sb: &Sandbox) {
    for netns in ["A", "B"] {
        sb.add_netns(netns);
        let sysctl = sb.run(
            "ip",
            &[
                "netns",
                "exec",
                netns,
                "sysctl",
                "-q",
                "-w",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
                "net.ipv4.icmp_echo_ignore_all=1",
            ],
        );
        sysctl.assert_success();
    }
    sb.koko(&[
        "-n",
        &format!("A,src,10.0.0.1/24,mac={SRC_MAC}"),
        "-n",
        &format!("B,peer,10.0.0.2/24,mac={PEER_MAC}"),
    ])
    .assert_success();
    sb.ip(&[
        "-n",
        "A",
        "neigh",
        "replace",
        "10.0.0.2",
        "lladdr",
        PEER_MAC,
        "dev",
        "src",
        "nud",
        "permanent",
    ]);
    sb.ip(&[
        "-n",
        "B",
        "neigh",
        "replace",
        "10.0.0.1",
        "lladdr",
        SRC_MAC,
        "dev",
        "peer",
        "nud",
        "permanent",
    ]);
}

/// Sends [`PINGS`] echo requests from `netns` to `addr`. No replies come back, so ping's
/// exit status is ignored; it returns after sending them all.
fn send_pings(sb: &Sandbox, netns: &str, addr: &str) {
    let count = PINGS.to_string();
    sb.run(
        "ip",
        &["netns", "exec", netns, "ping", "-n", "-q", "-c", &count, "-i", "0.2", "-W", "1", addr],
    );
}

/// Reads `tx_packets` of `link` in `netns` from sysfs, which `ip netns exec` mounts for
/// that namespace.
#[track_caller]
fn tx_packets(sb: &Sandbox, netns: &str, link: &str) -> u64 {
    let path = format!("/sys/class/net/{link}/statistics/tx_packets");
    let output = sb.run("ip", &["netns", "exec", netns, "cat", &path]);
    output.assert_success();
    output
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("tx_packets of {link} is not a number:\n{output}"))
}

/// Packets that reached the mirror `target` in netns A while `src` received [`PINGS`]
/// packets, and while it sent as many.
#[derive(Debug)]
struct Copied {
    ingress: u64,
    egress: u64,
}

#[track_caller]
fn copied_to(sb: &Sandbox, target: &str) -> Copied {
    let start = tx_packets(sb, "A", target);
    send_pings(sb, "B", "10.0.0.1");
    let after_ingress = tx_packets(sb, "A", target);
    send_pings(sb, "A", "10.0.0.2");
    let after_egress = tx_packets(sb, "A", target);
    Copied { ingress: after_ingress - start, egress: after_egress - after_ingress }
}

/// Returns the qdiscs and the ingress and egress filters of `dev` in `netns` as `tc`
/// prints them, error messages included, so two calls compare the whole tc state.
#[track_caller]
fn tc_state(sb: &Sandbox, netns: &str, dev: &str) -> String {
    let mut state = String::new();
    for args in [
        vec!["-n", netns, "qdisc", "show", "dev", dev],
        vec!["-n", netns, "filter", "show", "dev", dev, "ingress"],
        vec!["-n", netns, "filter", "show", "dev", dev, "egress"],
    ] {
        let output = sb.run("tc", &args);
        state.push_str(&format!("$ tc {}\n{}{}", args.join(" "), output.stdout, output.stderr));
    }
    state
}

#[track_caller]
fn assert_error_mentions(output: &Output, text: &str) {
    output.assert_failure();
    assert!(output.stderr.contains(text), "stderr does not mention {text:?}:\n{output}");
}

#[test]
fn ingress_mirror_copies_received_packets() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.koko(&["-n", "A,m1,mirror:ingress:src", "-n", "B,m1p"]).assert_success();

    let copied = copied_to(&sb, "m1");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert_eq!(copied.egress, 0, "{copied:?}");
}

#[test]
fn egress_mirror_copies_sent_packets() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.koko(&["-n", "A,m1,mirror:egress:src", "-n", "B,m1p"]).assert_success();

    let copied = copied_to(&sb, "m1");
    assert_eq!(copied.ingress, 0, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");
}

#[test]
fn both_mirror_copies_both_directions() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]).assert_success();

    let copied = copied_to(&sb, "m1");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");
}

#[test]
fn mirror_on_b_end_of_veth() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.koko(&["-n", "B,m1p", "-n", "A,m1,mirror:both:src"]).assert_success();

    let copied = copied_to(&sb, "m1");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");
}

#[test]
fn delete_restores_source_without_qdisc() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]).assert_success();
    let during = tc_state(&sb, "A", "src");
    assert!(during.contains("clsact"), "{during}");
    assert!(during.contains("mirred (Egress Mirror to device m1)"), "{during}");

    sb.koko(&["-N", "A,m1"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
    assert!(!sb.link_names(Some("A")).contains(&"m1".to_string()));
    assert!(!sb.link_names(Some("B")).contains(&"m1p".to_string()));
}

#[test]
fn dangling_filter_removed_by_next_delete() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.koko(&["-n", "A,m1,mirror:ingress:src", "-n", "B,m1p"]).assert_success();

    // Deleting end B takes end A with it, but koko looks for filters only in netns B, so
    // the filter on src stays behind with no target. Deleting another link in netns A
    // later removes it.
    sb.koko(&["-N", "B,m1p"]).assert_success();
    assert!(!sb.link_names(Some("A")).contains(&"m1".to_string()));
    let dangling = tc_state(&sb, "A", "src");
    assert!(dangling.contains("Egress Mirror to device *"), "{dangling}");

    sb.koko(&["-n", "A,m2", "-n", "B,m2p"]).assert_success();
    sb.koko(&["-N", "A,m2"]).assert_success();
    let after = tc_state(&sb, "A", "src");
    assert!(!after.contains("mirred"), "{after}");
    assert!(!after.contains("clsact"), "{after}");
}

#[test]
fn foreign_clsact_filters_survive() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let tc = |args: &[&str]| sb.run("tc", args).assert_success().stdout.clone();
    tc(&["-n", "A", "qdisc", "add", "dev", "src", "clsact"]);
    tc(&[
        "-n",
        "A",
        "filter",
        "add",
        "dev",
        "src",
        "ingress",
        "prio",
        "10",
        "protocol",
        "ip",
        "u32",
        "match",
        "ip",
        "dst",
        "10.9.9.9/32",
        "classid",
        "1:1",
    ]);
    // Without a priority the kernel picks 49152.
    tc(&[
        "-n",
        "A",
        "filter",
        "add",
        "dev",
        "src",
        "egress",
        "protocol",
        "ip",
        "u32",
        "match",
        "ip",
        "dst",
        "10.9.9.8/32",
        "classid",
        "1:2",
    ]);
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]).assert_success();
    let during = tc_state(&sb, "A", "src");
    assert!(during.contains("pref 10 u32"), "{during}");
    assert!(during.contains("pref 49152 u32"), "{during}");
    let copied = copied_to(&sb, "m1");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");

    sb.koko(&["-N", "A,m1"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn empty_clsact_survives_teardown() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.run("tc", &["-n", "A", "qdisc", "add", "dev", "src", "clsact"]).assert_success();
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]).assert_success();
    sb.koko(&["-N", "A,m1"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn two_mirrors_of_one_source() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let before = tc_state(&sb, "A", "src");
    sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]).assert_success();
    sb.koko(&["-n", "A,m2,mirror:ingress:src", "-n", "B,m2p"]).assert_success();

    // Both ingress filters share one priority, so deleting m1 must remove only its node.
    sb.koko(&["-N", "A,m1"]).assert_success();
    let copied = copied_to(&sb, "m2");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert_eq!(copied.egress, 0, "{copied:?}");
    let during = tc_state(&sb, "A", "src");
    assert!(during.contains("clsact"), "{during}");

    sb.koko(&["-N", "A,m2"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn missing_source_leaves_nothing() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let before = sb.snapshot();

    let output = sb.koko(&["-n", "A,m1,mirror:both:nosuch", "-n", "B,m1p"]);
    assert_error_mentions(&output, "mirror source \"nosuch\" not found in netns \"A\"");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn failed_second_mirror_removes_first() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let before = sb.snapshot();
    let tc_before = tc_state(&sb, "A", "src");

    let output = sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p,mirror:ingress:nosuch"]);
    assert_error_mentions(&output, "mirror source \"nosuch\" not found in netns \"B\"");
    assert_eq!(sb.snapshot(), before);
    assert_eq!(tc_state(&sb, "A", "src"), tc_before);
}

#[test]
fn ingress_qdisc_rejects_egress_mirror() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.run("tc", &["-n", "A", "qdisc", "add", "dev", "src", "ingress"]).assert_success();
    let before = sb.snapshot();
    let tc_before = tc_state(&sb, "A", "src");

    let output = sb.koko(&["-n", "A,m1,mirror:both:src", "-n", "B,m1p"]);
    assert_error_mentions(&output, "it has an ingress qdisc, which has no egress hook");
    assert_eq!(sb.snapshot(), before);
    assert_eq!(tc_state(&sb, "A", "src"), tc_before);
}

#[test]
fn ingress_qdisc_allows_ingress_mirror() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.run("tc", &["-n", "A", "qdisc", "add", "dev", "src", "ingress"]).assert_success();
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,m1,mirror:ingress:src", "-n", "B,m1p"]).assert_success();
    let copied = copied_to(&sb, "m1");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert_eq!(copied.egress, 0, "{copied:?}");

    sb.koko(&["-N", "A,m1"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn mirror_to_macvlan() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    // The macvlan's parent lives in koko's own namespace, the sandbox's.
    sb.ip(&["link", "add", "p0", "type", "veth", "peer", "p1"]);
    sb.ip(&["link", "set", "p0", "up"]);
    sb.ip(&["link", "set", "p1", "up"]);
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,mv0,mirror:both:src", "-M", "p0,bridge"]).assert_success();
    let copied = copied_to(&sb, "mv0");
    assert!(copied.ingress >= PINGS, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");

    sb.koko(&["-N", "A,mv0"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn mirror_to_vxlan() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    sb.ip(&["link", "add", "u0", "type", "veth", "peer", "u1"]);
    sb.ip(&["addr", "add", "10.9.0.1/24", "dev", "u0"]);
    sb.ip(&["addr", "add", "10.9.0.2/24", "dev", "u1"]);
    sb.ip(&["link", "set", "u0", "up"]);
    sb.ip(&["link", "set", "u1", "up"]);
    let before = tc_state(&sb, "A", "src");

    sb.koko(&["-n", "A,vx0,mirror:egress:src", "-x", "u0,10.9.0.2,42"]).assert_success();
    let copied = copied_to(&sb, "vx0");
    assert_eq!(copied.ingress, 0, "{copied:?}");
    assert!(copied.egress >= PINGS, "{copied:?}");

    sb.koko(&["-N", "A,vx0"]).assert_success();
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn mirror_into_pid_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    let pid = sb.spawn_sleeper_netns();
    let endpoint = format!("{pid},m1,mirror:ingress:lo");
    sb.koko(&["-p", &endpoint, "-c", "m1p"]).assert_success();
    let filters = sb.run(
        "nsenter",
        &["--target", &pid.to_string(), "--net", "tc", "filter", "show", "dev", "lo", "ingress"],
    );
    filters.assert_success();
    assert!(filters.stdout.contains("Egress Mirror to device m1"), "{filters}");

    sb.koko(&["-P", &format!("{pid},m1")]).assert_success();
    let qdiscs = sb.run(
        "nsenter",
        &["--target", &pid.to_string(), "--net", "tc", "qdisc", "show", "dev", "lo"],
    );
    qdiscs.assert_success();
    assert!(!qdiscs.stdout.contains("clsact"), "{qdiscs}");
}

#[test]
fn mirror_into_container() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");
    let container = common::Container::run("mirror");
    let pid = container.pid().to_string();
    let tc_in_container = |args: &[&str]| {
        let mut full = vec!["--target", &pid, "--net", "tc"];
        full.extend_from_slice(args);
        let output = common::run_command("nsenter", &full);
        output.assert_success();
        output.stdout
    };
    let before = tc_in_container(&["qdisc", "show", "dev", "lo"]);

    let endpoint = format!("{},m1,mirror:both:lo", container.name());
    sb.koko(&["-d", &endpoint, "-n", "B,m1p"]).assert_success();
    let filters = tc_in_container(&["filter", "show", "dev", "lo", "egress"]);
    assert!(filters.contains("Egress Mirror to device m1"), "{filters}");

    sb.koko(&["-D", &format!("{},m1", container.name())]).assert_success();
    assert_eq!(tc_in_container(&["qdisc", "show", "dev", "lo"]), before);
}

#[test]
fn delete_clears_mirror_of_local_peer() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    source_pair(&sb);
    let before = tc_state(&sb, "A", "src");

    // Both ends in netns A; the mirror goes to the peer m1p, and the delete names m1.
    sb.koko(&["-n", "A,m1", "-n", "A,m1p,mirror:both:src"]).assert_success();
    let during = tc_state(&sb, "A", "src");
    assert!(during.contains("mirred (Egress Mirror to device m1p)"), "{during}");

    sb.koko(&["-N", "A,m1"]).assert_success();
    assert!(!sb.link_names(Some("A")).contains(&"m1p".to_string()));
    assert_eq!(tc_state(&sb, "A", "src"), before);
}

#[test]
fn mirror_of_own_peer_rejected() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("A");
    let before = sb.snapshot();

    // The same namespace under two names gets past the command-line check; koko must
    // still see that the mirror source is the new link's own peer.
    let output = sb.koko(&["-n", "A,m1,mirror:both:m1p", "-a", "/run/netns/A,m1p", "--nodad"]);
    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(output.stderr.contains("would loop"), "{output}");
    let output = sb.koko(&["-n", "A,m1,mirror:both:m1p", "-n", "A,m1p"]);
    assert_eq!(output.status.code(), Some(2), "{output}");
    assert_eq!(sb.snapshot(), before);
}
