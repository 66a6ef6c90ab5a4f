//! Integration tests of koko's failures. A command line that does not parse or validate
//! exits with status 2, and a failed operation exits with 1. Either way stderr is a single
//! `koko: ` line that names the bad value, and no namespace changes.

mod common;

use common::Sandbox;

/// Exit status for a command line that does not parse or validate.
const EXIT_USAGE: i32 = 2;
/// Exit status for an operation that failed.
const EXIT_FAILURE: i32 = 1;

/// Runs koko with `args` in `sb` and checks the exit status, that stderr is one
/// `koko: ` line containing each of `needles`, that stdout is empty, and that no
/// namespace changed.
#[track_caller]
fn assert_rejected(sb: &Sandbox, args: &[&str], status: i32, needles: &[&str]) {
    let before = sb.snapshot();
    let output = sb.koko(args);
    assert_eq!(output.status.code(), Some(status), "wrong exit status:\n{output}");
    assert_eq!(output.stdout, "", "koko printed to stdout:\n{output}");
    assert!(output.stderr.starts_with("koko: "), "no koko: prefix:\n{output}");
    assert_eq!(output.stderr.lines().count(), 1, "message is not one line:\n{output}");
    for needle in needles {
        assert!(output.stderr.contains(needle), "message lacks {needle:?}:\n{output}");
    }
    assert_eq!(sb.snapshot(), before, "a rejected command changed the namespaces");
}

fn sandbox_with_a_and_b() -> Sandbox {
    let sb = Sandbox::new();
    sb.add_netns("A");
    sb.add_netns("B");
    sb
}

#[test]
fn usage_errors_exit_2() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["missing endpoints"]),
        (&["--bogus", "-n", "A,a", "-n", "B,b"], &["--bogus"]),
        (&["-n", "A,a,10.0.0.1/24"], &["missing second endpoint"]),
        (&["-n", "A,a", "-n", "B,b", "-n", "B,c"], &["too many endpoint options"]),
        (&["-n", "A,a,10.0.0.300/24", "-n", "B,b"], &["10.0.0.300"]),
        (&["-n", "A,a,10.0.0.1", "-n", "B,b"], &["\"10.0.0.1\"", "prefix length"]),
        (&["-n", "A,a,10.0.0.1/33", "-n", "B,b"], &["\"33\"", "0 to 32"]),
        (&["-n", "A,a,fd00::1/129", "-n", "B,b"], &["\"129\"", "0 to 128"]),
        (&["-n", "A,a", "-n", "B,bad:addr:x"], &["bad:addr:x"]),
        (&["-n", "A,abcdefghijklmnop", "-n", "B,b"], &["\"abcdefghijklmnop\"", "15 bytes"]),
        (&["-n", "A,a/b", "-n", "B,b"], &["\"a/b\"", "'/'"]),
        (&["-n", "A,a", "-n", "A,a"], &["\"a\"", "same netns"]),
        (&["-n", "A,a,mac=01:00:5e:00:00:01", "-n", "B,b"], &["01:00:5e:00:00:01"]),
        (&["-n", "A,a", "-n", "B,b", "--mtu", "67"], &["\"67\"", "68 to 65535"]),
        (&["-p", "0,a", "-n", "B,b"], &["\"0\""]),
        (&["-N", "A,a", "-N", "B,b"], &["only one delete option"]),
    ];
    for (args, needles) in cases {
        assert_rejected(&sb, args, EXIT_USAGE, needles);
    }
}

#[test]
fn missing_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_rejected(
        &sb,
        &["-n", "A,a,10.0.0.1/24", "-n", "Z,b,10.0.0.2/24"],
        EXIT_FAILURE,
        &["netns \"Z\"", "not found"],
    );
}

#[test]
fn missing_path() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_rejected(
        &sb,
        &["-n", "A,a", "-a", "/run/netns/Z,b"],
        EXIT_FAILURE,
        &["/run/netns/Z", "not found"],
    );
}

/// `pid_max` is one more than the largest PID the kernel hands out, so no process has it.
#[test]
fn missing_pid() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap();
    let pid = pid_max.trim();
    let endpoint = format!("{pid},a");

    assert_rejected(
        &sb,
        &["-p", &endpoint, "-n", "B,b"],
        EXIT_FAILURE,
        &[&format!("process {pid}"), "not found"],
    );
}

#[test]
fn path_to_regular_file() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    // The tmpfs on /mnt exists only in the sandbox's private mount namespace.
    sb.sh("mount -t tmpfs koko-test-mnt /mnt && touch /mnt/plain").assert_success();

    assert_rejected(
        &sb,
        &["-a", "/mnt/plain,a", "-n", "B,b"],
        EXIT_FAILURE,
        &["/mnt/plain", "not a namespace file"],
    );
}

#[test]
fn path_to_other_namespace_type() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_rejected(
        &sb,
        &["-a", "/proc/self/ns/uts,a", "-n", "B,b"],
        EXIT_FAILURE,
        &["/proc/self/ns/uts", "not a network namespace"],
    );
}

/// The name is taken in A by a link that `ip` made. The failed koko run must leave that
/// link, its peer and its address exactly as they were, which the snapshot compares.
#[test]
fn name_taken_in_first_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    sb.ip(&["-n", "A", "link", "add", "name", "a", "type", "veth", "peer", "name", "a-peer"]);
    sb.ip(&["-n", "A", "addr", "add", "10.9.9.9/24", "dev", "a"]);
    sb.ip(&["-n", "A", "link", "set", "dev", "a", "up"]);

    assert_rejected(
        &sb,
        &["-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"],
        EXIT_FAILURE,
        &["\"a\" already exists", "netns \"A\""],
    );
    assert_eq!(sb.addrs(Some("A"), "a").first().map(String::as_str), Some("10.9.9.9/24"));
}

/// Only the peer's name is taken, in B. The kernel creates both ends in one request, so
/// `a` must not appear in A either.
#[test]
fn name_taken_in_second_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();
    sb.ip(&["-n", "B", "link", "add", "name", "b", "type", "veth", "peer", "name", "b-peer"]);

    assert_rejected(
        &sb,
        &["-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"],
        EXIT_FAILURE,
        &["\"b\" already exists", "netns \"B\""],
    );
}

/// The plan cannot see that a name and a path designate the same namespace, so the check
/// happens after both are opened, and the status is 1.
#[test]
fn same_name_same_namespace_by_path() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_with_a_and_b();

    assert_rejected(
        &sb,
        &["-n", "A,a", "-a", "/run/netns/A,a"],
        EXIT_FAILURE,
        &["\"a\"", "same namespace"],
    );
}

#[test]
fn same_name_current_namespace() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();

    assert_rejected(&sb, &["-c", "c0", "-c", "c0"], EXIT_USAGE, &["\"c0\""]);
}
