//! Integration tests of koko's delete options (-N, -A, -P, -C): the named link goes,
//! its veth peer goes with it, and a missing link is an error that changes nothing.

mod common;

use common::Sandbox;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| name.to_string()).collect()
}

/// Returns the interface names in the network namespace of process `pid`.
#[track_caller]
fn link_names_in_pid(pid: u32) -> Vec<String> {
    let pid = pid.to_string();
    let output = common::run_command(
        "nsenter",
        &["--target", &pid, "--net", "--", "ip", "-j", "link", "show"],
    );
    output.assert_success();
    common::json_string_fields(&output.stdout, "ifname")
}

#[track_caller]
fn koko_ok(sb: &Sandbox, args: &[&str]) {
    let output = sb.koko(args);
    output.assert_success();
    assert_eq!(output.stdout, "", "koko printed to stdout:\n{output}");
    assert_eq!(output.stderr, "", "koko printed to stderr:\n{output}");
}

/// Creates namespaces A and B joined by veth `a` (in A) and `b` (in B).
fn sandbox_with_pair() -> Sandbox {
    let sb = Sandbox::new();
    sb.add_netns("A");
    sb.add_netns("B");
    koko_ok(&sb, &["-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"]);
    assert_eq!(sb.link_names(Some("A")), names(&["lo", "a"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo", "b"]));
    sb
}

#[track_caller]
fn assert_pair_gone(sb: &Sandbox) {
    assert_eq!(sb.link_names(Some("A")), names(&["lo"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo"]));
    assert_eq!(sb.link_names(None), names(&["lo"]));
}

#[test]
fn delete_named() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    koko_ok(&sb, &["-N", "A,a"]);

    assert_pair_gone(&sb);
}

#[test]
fn delete_named_peer_end() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    koko_ok(&sb, &["-N", "B,b"]);

    assert_pair_gone(&sb);
}

#[test]
fn delete_named_colon_form() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    koko_ok(&sb, &["-N", "A:a"]);

    assert_pair_gone(&sb);
}

#[test]
fn delete_path() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    koko_ok(&sb, &["-A", "/run/netns/B,b"]);

    assert_pair_gone(&sb);
}

#[test]
fn delete_pid() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");
    let pid = sb.spawn_sleeper_netns();
    let endpoint = format!("{pid},p0");
    koko_ok(&sb, &["-p", &endpoint, "-n", "B,b"]);
    assert_eq!(link_names_in_pid(pid), names(&["lo", "p0"]));

    koko_ok(&sb, &["-P", &endpoint]);

    assert_eq!(link_names_in_pid(pid), names(&["lo"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo"]));
}

#[test]
fn delete_current() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("B");
    koko_ok(&sb, &["-c", "c0,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"]);
    assert_eq!(sb.link_names(None), names(&["lo", "c0"]));

    koko_ok(&sb, &["-C", "c0"]);

    assert_eq!(sb.link_names(None), names(&["lo"]));
    assert_eq!(sb.link_names(Some("B")), names(&["lo"]));
}

/// A pair that `ip` made, with both ends in one namespace.
#[test]
fn delete_pair_made_by_ip() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("A");
    sb.ip(&["-n", "A", "link", "add", "x0", "type", "veth", "peer", "name", "x1"]);

    koko_ok(&sb, &["-N", "A,x1"]);

    assert_eq!(sb.link_names(Some("A")), names(&["lo"]));
}

/// Runs koko with `args`, expects exit status 1 with a one-line `koko: ` message that
/// contains each of `needles`, and checks that no namespace changed.
#[track_caller]
fn assert_fails_unchanged(sb: &Sandbox, args: &[&str], needles: &[&str]) {
    let before = sb.snapshot();
    let output = sb.koko(args);
    assert_eq!(output.status.code(), Some(1), "wrong exit status:\n{output}");
    assert_eq!(output.stdout, "", "koko printed to stdout:\n{output}");
    assert!(output.stderr.starts_with("koko: "), "no koko: prefix:\n{output}");
    assert_eq!(output.stderr.lines().count(), 1, "message is not one line:\n{output}");
    for needle in needles {
        assert!(output.stderr.contains(needle), "message lacks {needle:?}:\n{output}");
    }
    assert_eq!(sb.snapshot(), before, "a failed delete changed the namespaces");
}

#[test]
fn delete_missing_link() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    assert_fails_unchanged(&sb, &["-N", "A,nope"], &["\"nope\"", "netns \"A\""]);
}

/// The link exists, but in the other namespace: koko must not look anywhere else.
#[test]
fn delete_link_of_other_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    assert_fails_unchanged(&sb, &["-N", "A,b"], &["\"b\"", "netns \"A\""]);
}

#[test]
fn delete_in_missing_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_pair();

    assert_fails_unchanged(&sb, &["-N", "Z,a"], &["netns \"Z\"", "not found"]);
}

#[test]
fn delete_current_missing_link() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();

    assert_fails_unchanged(&sb, &["-C", "nope"], &["\"nope\"", "current namespace"]);
}
