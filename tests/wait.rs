//! Tests of `--wait SECONDS`: koko waits for a namespace that does not exist yet, gives
//! up with an error naming it, shares one deadline between both endpoints, and treats a
//! namespace file that `ip netns add` has not mounted yet as not there yet.

mod common;

use common::Sandbox;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Maximum time a koko run may take beyond its `--wait`, for process start-up on a
/// loaded machine. Only the upper bounds of timing checks use it.
const SLACK: Duration = Duration::from_secs(3);

/// A koko process started inside a sandbox that the test waits for later.
struct Background {
    child: Child,
    started: Instant,
    command: String,
}

/// Outcome of a [`Background`] run.
struct Finished {
    status: ExitStatus,
    stderr: String,
    elapsed: Duration,
    command: String,
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nstatus: {} after {:.2} s\nstderr: {}",
            self.command,
            self.status,
            self.elapsed.as_secs_f64(),
            self.stderr
        )
    }
}

impl Background {
    /// Starts `koko args` in the sandbox's network and mount namespaces.
    fn koko(sandbox: &Sandbox, args: &[&str]) -> Background {
        let pid = sandbox.pid().to_string();
        let command = format!("koko {}", args.join(" "));
        let started = Instant::now();
        let child = Command::new("nsenter")
            .args(["--target", &pid, "--net", "--mount", "--", common::koko_bin()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start {command}: {error}"));
        Background { child, started, command }
    }

    /// Returns whether koko is still running, that is, still waiting.
    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for koko to exit, killing it after [`common::COMMAND_TIMEOUT`].
    fn finish(mut self) -> Finished {
        let deadline = self.started + common::COMMAND_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for koko") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("{} still running after {:?}", self.command, common::COMMAND_TIMEOUT);
            }
            thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        Finished { status, stderr, elapsed, command: self.command.clone() }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn wait_finds_late_netns() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");

    let mut koko = Background::koko(
        &sandbox,
        &["--wait", "10", "-n", "A,a,10.0.0.1/24", "-n", "B,b,10.0.0.2/24"],
    );
    thread::sleep(Duration::from_millis(500));
    assert!(koko.is_running(), "koko did not wait for netns B");
    sandbox.add_netns("B");

    let finished = koko.finish();
    assert!(finished.status.success(), "{finished}");
    assert!(sandbox.link_names(Some("A")).contains(&"a".to_string()));
    assert!(sandbox.link_names(Some("B")).contains(&"b".to_string()));
    sandbox.ping("A", "10.0.0.2").assert_success();
}

#[test]
fn missing_netns_fails_at_once() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    let before = sandbox.snapshot();

    let started = Instant::now();
    let output = sandbox.koko(&["-n", "A,a", "-n", "B,b"]);
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output}");
    assert!(output.stderr.starts_with("koko: netns \"B\" not found"), "{output}");
    assert!(!output.stderr.contains("--wait"), "{output}");
    assert!(elapsed < SLACK, "took {elapsed:?} without --wait:\n{output}");
    assert_eq!(sandbox.snapshot(), before);
}

#[test]
fn wait_times_out_naming_endpoint() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    let before = sandbox.snapshot();

    let finished =
        Background::koko(&sandbox, &["--wait", "0.3", "-n", "A,a", "-n", "B,b"]).finish();
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    assert!(finished.stderr.starts_with("koko: netns \"B\" not found"), "{finished}");
    assert!(finished.stderr.contains("timed out after --wait 0.3 s"), "{finished}");
    assert!(finished.elapsed >= Duration::from_millis(300), "{finished}");
    assert!(finished.elapsed < Duration::from_millis(300) + SLACK, "{finished}");
    assert_eq!(sandbox.snapshot(), before);
}

#[test]
fn wait_times_out_on_missing_path() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");

    let finished =
        Background::koko(&sandbox, &["--wait", "0.3", "-n", "A,a", "-a", "/run/netns/none,b"])
            .finish();
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    assert!(finished.stderr.contains("/run/netns/none"), "{finished}");
    assert!(finished.stderr.contains("timed out after --wait 0.3 s"), "{finished}");
    assert!(finished.elapsed >= Duration::from_millis(300), "{finished}");
}

#[test]
fn wait_deadline_covers_both_endpoints() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();

    // A appears halfway through the wait and B never. One shared deadline ends the run
    // about 4 s after the start, whereas a deadline per endpoint would end it at 2 + 4 = 6 s.
    let mut koko = Background::koko(&sandbox, &["--wait", "4", "-n", "A,a", "-n", "B,b"]);
    thread::sleep(Duration::from_secs(2));
    assert!(koko.is_running(), "koko did not wait for netns A");
    sandbox.add_netns("A");

    let finished = koko.finish();
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    assert!(finished.stderr.starts_with("koko: netns \"B\" not found"), "{finished}");
    assert!(finished.elapsed >= Duration::from_secs(4), "{finished}");
    assert!(finished.elapsed < Duration::from_millis(5500), "{finished}");
}

#[test]
fn unmounted_netns_file_fails_without_wait() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    sandbox.run("touch", &["/run/netns/C"]).assert_success();

    for designator in ["C,c", "/run/netns/C,c"] {
        let option = if designator.starts_with('/') { "-a" } else { "-n" };
        let output = sandbox.koko(&["-n", "A,a", option, designator]);
        assert_eq!(output.status.code(), Some(1), "{output}");
        assert!(output.stderr.contains("is not a namespace file: it is empty"), "{output}");
    }
}

/// Starts koko with `--wait` on an empty file at `/run/netns/C`, as `ip netns add` leaves
/// it before the bind mount, then mounts a namespace on it and expects koko to succeed.
fn check_wait_for_mount(option: &str, designator: &str) {
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    sandbox.run("touch", &["/run/netns/C"]).assert_success();
    let sleeper = sandbox.spawn_sleeper_netns();

    let mut koko = Background::koko(&sandbox, &["--wait", "10", "-n", "A,a", option, designator]);
    thread::sleep(Duration::from_millis(500));
    assert!(koko.is_running(), "koko did not wait for /run/netns/C to become a namespace");
    let source = format!("/proc/{sleeper}/ns/net");
    sandbox.run("mount", &["--bind", &source, "/run/netns/C"]).assert_success();

    let finished = koko.finish();
    assert!(finished.status.success(), "{finished}");
    assert!(sandbox.link_names(Some("C")).contains(&"c".to_string()));
}

#[test]
fn wait_retries_unmounted_named_netns() {
    if !common::require_root() {
        return;
    }
    check_wait_for_mount("-n", "C,c");
}

#[test]
fn wait_retries_unmounted_netns_path() {
    if !common::require_root() {
        return;
    }
    check_wait_for_mount("-a", "/run/netns/C,c");
}

#[test]
fn wait_finds_late_namespace_path() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");

    // A PID cannot be known before its process starts, so the test waits for a path that
    // a later mount makes appear: /run/netns/late/net, in a directory created afterwards.
    let mut koko =
        Background::koko(&sandbox, &["--wait", "10", "-n", "A,a", "-a", "/run/netns/late/net,p"]);
    thread::sleep(Duration::from_millis(500));
    assert!(koko.is_running(), "koko did not wait for /run/netns/late/net");
    let sleeper = sandbox.spawn_sleeper_netns();
    let script = format!("mkdir /run/netns/late && touch /run/netns/late/net && mount --bind /proc/{sleeper}/ns/net /run/netns/late/net");
    sandbox.sh(&script).assert_success();

    let finished = koko.finish();
    assert!(finished.status.success(), "{finished}");
    let links = common::run_command(
        "nsenter",
        &["--target", &sleeper.to_string(), "--net", "--", "ip", "-o", "link", "show", "p"],
    );
    links.assert_success();
}

// koko starts polling just before `ip netns add` runs, so some attempts open the
// namespace file between its creation and the bind mount. Before koko retried that case,
// about one run in five failed with "not a namespace file" on a 2-core machine.
const NETNS_ADD_RACE_SCRIPT: &str = r#"koko=$1 name=$2
"$koko" --wait 10 -n "A,a-$name" -n "$name,b-$name" &
ip netns add "$name"
wait $!
"#;

#[test]
fn wait_survives_netns_add_race() {
    if !common::require_root() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");

    for round in 0..20 {
        let name = format!("R{round}");
        let output =
            sandbox.run("sh", &["-c", NETNS_ADD_RACE_SCRIPT, "sh", common::koko_bin(), &name]);
        assert!(output.success(), "round {round}:\n{output}");
        let peer = format!("b-{name}");
        assert!(
            sandbox.link_names(Some(&name)).contains(&peer),
            "round {round}: no {peer} in {name}"
        );
    }
}
