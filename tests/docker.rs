//! Docker endpoints (`-d`, `-D`) against the real Docker engine and kernel, plus a fake
//! engine on a unix socket for replies the real one never sends.
//!
//! koko runs on the host for container-to-container tests. It changes only the
//! containers' network namespaces, which it reaches through their init processes, so
//! the host's own namespace is never touched. Tests that need a named namespace run
//! koko inside a [`Sandbox`]. Every container is removed on drop, also when a test fails.

mod common;
mod fake_engine;

use common::{koko_bin, run_command, Container, Output, Sandbox};
use fake_engine::{docker_inspect_body, json_reply, reply, FakeEngine};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Socket of the real engine, as koko uses it when `DOCKER_HOST` is unset.
const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Runs koko in the test process's namespaces with `env` (`NAME=VALUE` items) added.
fn koko_with_env(env: &[&str], args: &[&str]) -> Output {
    let mut full: Vec<&str> = env.to_vec();
    full.push(koko_bin());
    full.extend_from_slice(args);
    run_command("env", &full)
}

/// Runs koko in the test process's namespaces.
fn koko(args: &[&str]) -> Output {
    run_command(koko_bin(), args)
}

/// Runs koko inside `sandbox` with `env` (`NAME=VALUE` items) added.
fn sandbox_koko_with_env(sandbox: &Sandbox, env: &[&str], args: &[&str]) -> Output {
    let mut full: Vec<&str> = env.to_vec();
    full.push(koko_bin());
    full.extend_from_slice(args);
    sandbox.run("env", &full)
}

/// Returns the interface names inside `container`, in the kernel's order.
///
/// busybox `ip -o link` prints `N: NAME[@PEER]: <FLAGS> ...` per line, and the names
/// these tests use contain neither `:` nor `@`.
#[track_caller]
fn container_links(container: &Container) -> Vec<String> {
    let output = container.exec(&["ip", "-o", "link", "show"]);
    output.assert_success();
    output
        .stdout
        .lines()
        .filter_map(|line| line.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .collect()
}

/// Returns the addresses (`ADDR/PREFIX`) of `ifname` inside `container`.
#[track_caller]
fn container_addrs(container: &Container, ifname: &str) -> Vec<String> {
    let output = container.exec(&["ip", "-o", "addr", "show", "dev", ifname]);
    output.assert_success();
    common::parse_addr_lines(&output.stdout)
}

/// Sends one echo request from `container` to `addr`. busybox picks IPv6 by itself for
/// an IPv6 address.
fn ping_from(container: &Container, addr: &str) -> Output {
    container.exec(&["ping", "-c", "1", "-W", "5", addr])
}

#[track_caller]
fn container_id(container: &Container) -> String {
    let output = run_command("docker", &["inspect", "--format", "{{.Id}}", container.name()]);
    output.assert_success();
    output.stdout.trim().to_string()
}

#[track_caller]
fn assert_stderr_contains(output: &Output, expected: &str) {
    assert!(output.stderr.contains(expected), "stderr lacks {expected:?}:\n{output}");
}

/// A container that `docker create` made and that was never started, removed on drop.
struct CreatedContainer {
    name: String,
}

impl CreatedContainer {
    #[track_caller]
    fn create(name_suffix: &str) -> CreatedContainer {
        let name = format!("koko-test-{name_suffix}-{}", std::process::id());
        let output = run_command(
            "docker",
            &["create", "--network", "none", "--name", &name, common::TEST_IMAGE, "sleep", "1000"],
        );
        let container = CreatedContainer { name };
        output.assert_success();
        container
    }
}

impl Drop for CreatedContainer {
    fn drop(&mut self) {
        let output = run_command("docker", &["rm", "-f", &self.name]);
        if !output.success() {
            eprintln!("failed to remove container {}:\n{output}", self.name);
        }
    }
}

/// A child process that is killed (by its own PID) and reaped on drop unless it has
/// already exited, so a failing test leaves no koko behind.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Two running containers with their link lists recorded, for tests that expect koko to
/// fail and change nothing.
struct UntouchedPair {
    first: Container,
    second: Container,
    links_before: (Vec<String>, Vec<String>),
}

impl UntouchedPair {
    #[track_caller]
    fn start(suffix: &str) -> UntouchedPair {
        let first = Container::run(&format!("{suffix}-1"));
        let second = Container::run(&format!("{suffix}-2"));
        let links_before = (container_links(&first), container_links(&second));
        UntouchedPair { first, second, links_before }
    }

    /// `-d FIRST,eth1,... -d SECOND,eth1,...` for the two containers.
    fn args(&self) -> Vec<String> {
        vec![
            "-d".to_string(),
            format!("{},eth1,10.9.9.1/24", self.first.name()),
            "-d".to_string(),
            format!("{},eth1,10.9.9.2/24", self.second.name()),
        ]
    }

    #[track_caller]
    fn assert_unchanged(&self, output: &Output) {
        let after = (container_links(&self.first), container_links(&self.second));
        assert_eq!(self.links_before, after, "container links changed after:\n{output}");
    }
}

/// Connects two new containers with `addrs_1` and `addrs_2` on eth1 and checks that
/// each address of the second replies to a ping from the first.
fn connect_and_ping(suffix: &str, addrs_1: &[&str], addrs_2: &[&str]) {
    let c1 = Container::run(&format!("{suffix}-1"));
    let c2 = Container::run(&format!("{suffix}-2"));
    let end_1 = [&[c1.name(), "eth1"][..], addrs_1].concat().join(",");
    let end_2 = [&[c2.name(), "eth1"][..], addrs_2].concat().join(",");

    koko(&["-d", &end_1, "-d", &end_2]).assert_success();

    assert_eq!(container_links(&c1), ["lo", "eth1"]);
    assert_eq!(container_links(&c2), ["lo", "eth1"]);
    let addrs = container_addrs(&c1, "eth1");
    for addr in addrs_1 {
        assert!(addrs.contains(&addr.to_string()), "{addr} missing in {addrs:?}");
    }
    for addr in addrs_2 {
        let host = addr.split('/').next().unwrap_or(addr);
        ping_from(&c1, host).assert_success();
    }
}

#[test]
fn two_containers_ipv4() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    connect_and_ping("v4", &["10.9.0.1/24"], &["10.9.0.2/24"]);
}

#[test]
fn two_containers_ipv6() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    connect_and_ping("v6", &["fd00:9::1/64"], &["fd00:9::2/64"]);
}

#[test]
fn two_containers_dual_stack() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    connect_and_ping("dual", &["10.9.1.1/24", "fd00:91::1/64"], &["10.9.1.2/24", "fd00:91::2/64"]);
}

#[test]
fn container_to_named_netns() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = Sandbox::new();
    // The sandbox has its own tmpfs only on /run/netns, so the engine's socket stays
    // visible inside it and koko needs no DOCKER_HOST there.
    sb.run("test", &["-S", DOCKER_SOCKET]).assert_success();
    sb.add_netns("X");
    let c1 = Container::run("netns");
    let end_c = format!("{},eth1,10.9.2.1/24", c1.name());

    sb.koko(&["-d", &end_c, "-n", "X,veth-x,10.9.2.2/24"]).assert_success();

    assert_eq!(container_links(&c1), ["lo", "eth1"]);
    assert_eq!(sb.link_names(Some("X")), ["lo", "veth-x"]);
    assert!(sb.addrs(Some("X"), "veth-x").contains(&"10.9.2.2/24".to_string()));
    ping_from(&c1, "10.9.2.2").assert_success();
    sb.ping("X", "10.9.2.1").assert_success();
}

#[test]
fn container_by_id_prefix_and_full_id() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let c1 = Container::run("id-1");
    let c2 = Container::run("id-2");
    let full_id = container_id(&c1);
    let prefix = &container_id(&c2)[..12];

    koko(&[
        "-d",
        &format!("{full_id},eth1,10.9.3.1/24"),
        "-d",
        &format!("{prefix},eth2,10.9.3.2/24"),
    ])
    .assert_success();

    assert_eq!(container_links(&c1), ["lo", "eth1"]);
    assert_eq!(container_links(&c2), ["lo", "eth2"]);
    ping_from(&c1, "10.9.3.2").assert_success();
}

#[test]
fn delete_removes_both_ends() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let c1 = Container::run("del-1");
    let c2 = Container::run("del-2");
    koko(&["-d", &format!("{},eth1", c1.name()), "-d", &format!("{},eth1", c2.name())])
        .assert_success();
    assert_eq!(container_links(&c2), ["lo", "eth1"]);

    koko(&["-D", &format!("{},eth1", c1.name())]).assert_success();

    assert_eq!(container_links(&c1), ["lo"]);
    assert_eq!(container_links(&c2), ["lo"]);
}

#[test]
fn wait_picks_up_late_container() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let name_1 = format!("koko-test-late-1-{}", std::process::id());
    let c2 = Container::run("late-2");
    // A proxy in front of the real engine counts koko's requests, which proves that koko
    // was already polling before the container existed.
    let engine = FakeEngine::start(|request| {
        fake_engine::forward(std::path::Path::new(DOCKER_SOCKET), request)
    });
    let end_1 = format!("{name_1},eth1,10.9.4.1/24");
    let end_2 = format!("{},eth1,10.9.4.2/24", c2.name());
    let mut child = Background(
        Command::new(koko_bin())
            .args(["-d", &end_1, "-d", &end_2, "--wait", "60"])
            .env("DOCKER_HOST", engine.docker_host())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to start koko"),
    );

    let polled = Instant::now() + common::COMMAND_TIMEOUT;
    while engine.targets().is_empty() && Instant::now() < polled {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(!engine.targets().is_empty(), "koko sent no request to the engine");
    let c1 = Container::run("late-1");
    assert_eq!(c1.name(), name_1);

    let deadline = Instant::now() + common::COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("failed to wait for koko") {
            break status;
        }
        if Instant::now() >= deadline {
            panic!("koko --wait did not finish within {:?}", common::COMMAND_TIMEOUT);
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.0.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(status.success(), "koko --wait failed with {status}: {stderr}");
    assert_eq!(container_links(&c1), ["lo", "eth1"]);
    ping_from(&c1, "10.9.4.2").assert_success();
}

#[test]
fn wait_times_out_on_missing_container() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("waitout");
    let missing = format!("koko-test-never-{}", std::process::id());
    let end_2 = format!("{},eth1", pair.second.name());

    let output = koko(&["-d", &end_2, "-d", &format!("{missing},eth1"), "--wait", "0.5"]);

    output.assert_failure();
    assert_stderr_contains(&output, "not found");
    assert_stderr_contains(&output, "--wait");
    pair.assert_unchanged(&output);
}

#[test]
fn no_engine_fails_cleanly() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("noengine");
    let args = pair.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = koko_with_env(&["DOCKER_HOST=unix:///nonexistent/docker.sock"], &args);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        "koko: cannot connect to the Docker engine at /nonexistent/docker.sock: No such file or directory",
    );
    pair.assert_unchanged(&output);
}

#[test]
fn refused_socket_fails_cleanly() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("refused");
    let dir = fake_engine::TempDir::new("refused");
    let socket = dir.path().join("docker.sock");
    // Binding creates the socket file; dropping the listener leaves the file with
    // no listener, so connect(2) gets ECONNREFUSED.
    drop(UnixListener::bind(&socket).expect("failed to bind the test socket"));
    let host = format!("DOCKER_HOST=unix://{}", socket.display());
    let args = pair.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = koko_with_env(&[&host], &args);

    output.assert_failure();
    assert_stderr_contains(&output, "Connection refused");
    assert_stderr_contains(&output, "is dockerd running?");
    pair.assert_unchanged(&output);
}

#[test]
fn permission_denied_fails_cleanly() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("denied");
    let engine = FakeEngine::start(|_| json_reply(&docker_inspect_body("0", 1, true)));
    std::fs::set_permissions(engine.socket(), std::fs::Permissions::from_mode(0o000))
        .expect("failed to chmod the test socket");
    let host = engine.docker_host();
    let args = pair.args();
    let mut full = vec!["--reuid=65534", "--regid=65534", "--clear-groups", "--", "env"];
    let host_var = format!("DOCKER_HOST={host}");
    full.push(&host_var);
    full.push(koko_bin());
    full.extend(args.iter().map(String::as_str));

    let output = run_command("setpriv", &full);

    output.assert_failure();
    assert_stderr_contains(&output, "Permission denied (run koko as root");
    assert!(engine.targets().is_empty(), "the engine got a request: {:?}", engine.targets());
    pair.assert_unchanged(&output);
}

#[test]
fn unknown_container_fails_cleanly() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("unknown");
    let missing = format!("koko-test-missing-{}", std::process::id());
    let end_1 = format!("{},eth1", pair.first.name());

    let output = koko(&["-d", &end_1, "-d", &format!("{missing},eth1")]);

    output.assert_failure();
    assert_stderr_contains(&output, &format!("koko: container \"{missing}\" not found"));
    pair.assert_unchanged(&output);
}

#[test]
fn created_container_is_not_running() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("created");
    let created = CreatedContainer::create("created-0");
    let end_1 = format!("{},eth1", pair.first.name());

    let output = koko(&["-d", &end_1, "-d", &format!("{},eth1", created.name)]);

    output.assert_failure();
    assert_stderr_contains(&output, &format!("container \"{}\" is not running", created.name));
    pair.assert_unchanged(&output);
}

#[test]
fn stopped_container_is_not_running() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let pair = UntouchedPair::start("stopped");
    let stopped = Container::run("stopped-0");
    run_command("docker", &["kill", stopped.name()]).assert_success();
    let end_1 = format!("{},eth1", pair.first.name());

    let output = koko(&["-d", &end_1, "-d", &format!("{},eth1", stopped.name())]);

    output.assert_failure();
    assert_stderr_contains(&output, &format!("container \"{}\" is not running", stopped.name()));
    pair.assert_unchanged(&output);
}

/// The container dies after koko resolved it and before koko's final check: a proxy in
/// front of the real engine kills it when koko requests it the second time.
#[test]
fn container_killed_while_koko_works() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let victim = Container::run("killed");
    let victim_name = victim.name().to_string();
    let engine = FakeEngine::start(move |request| {
        if request.index == 1 {
            run_command("docker", &["kill", &victim_name]).assert_success();
        }
        fake_engine::forward(std::path::Path::new(DOCKER_SOCKET), request)
    });
    let host = format!("DOCKER_HOST={}", engine.docker_host());
    let before = sb.snapshot();
    let end_c = format!("{},eth1,10.9.5.1/24", victim.name());

    let output =
        sandbox_koko_with_env(&sb, &[&host], &["-d", &end_c, "-n", "X,veth-x,10.9.5.2/24"]);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        &format!("koko: container \"{}\" stopped while koko was working", victim.name()),
    );
    assert_stderr_contains(&output, "deleted the new veth pair \"eth1\" again");
    assert_eq!(engine.targets().len(), 2, "requests: {:?}", engine.targets());
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

/// A fake engine first reports one process, then, at koko's final check, another in a
/// different namespace, as after a restart.
#[test]
fn container_restarted_while_koko_works() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let first = sb.spawn_sleeper_netns();
    let second = sb.spawn_sleeper_netns();
    let engine = FakeEngine::with_replies(vec![
        json_reply(&docker_inspect_body("0a1b", first, true)),
        json_reply(&docker_inspect_body("0a1b", second, true)),
    ]);
    let host = format!("DOCKER_HOST={}", engine.docker_host());
    let before = sb.snapshot();

    let output = sandbox_koko_with_env(&sb, &[&host], &["-n", "X,veth-x", "-d", "web,eth1"]);

    output.assert_failure();
    assert_stderr_contains(&output, "koko: container \"web\" restarted while koko was working");
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

/// Fake-engine replies that the real engine never sends; each must fail before any
/// namespace changes.
#[test]
fn bad_engine_replies_fail_cleanly() {
    if !common::require_root() {
        return;
    }
    let mut oversized = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    oversized.resize(oversized.len() + 5 * 1024 * 1024, b' ');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not JSON",
            json_reply("{\"State\": {\"Pid\": 12"),
            "malformed reply from the Docker engine",
        ),
        (
            "no pid",
            json_reply("{\"State\": {\"Running\": true}}"),
            "the reply has no State.Pid field",
        ),
        (
            "pid not a number",
            json_reply("{\"State\": {\"Running\": true, \"Pid\": \"42\"}}"),
            "State.Pid is not an integer",
        ),
        (
            "negative pid",
            json_reply("{\"State\": {\"Running\": true, \"Pid\": -1}}"),
            "State.Pid is not a valid process ID",
        ),
        (
            "not HTTP",
            b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(),
            "malformed reply from the Docker engine",
        ),
        ("too large", oversized, "larger than the 4 MiB limit"),
        (
            "server error",
            reply(500, "Internal Server Error", "application/json", b"{\"message\":\"boom\"}"),
            "the Docker engine returned 500 Internal Server Error for container \"web\": boom",
        ),
    ];
    let sb = Sandbox::new();
    sb.add_netns("X");
    let before = sb.snapshot();

    for (case, bytes, expected) in cases {
        let engine = FakeEngine::with_replies(vec![bytes]);
        let host = format!("DOCKER_HOST={}", engine.docker_host());

        let output = sandbox_koko_with_env(&sb, &[&host], &["-n", "X,veth-x", "-d", "web,eth1"]);

        output.assert_failure();
        assert!(output.stderr.contains(expected), "{case}: stderr lacks {expected:?}:\n{output}");
        assert_eq!(engine.targets(), ["/containers/web/json"], "{case}");
        assert_eq!(before, sb.snapshot(), "{case}: the sandbox changed after:\n{output}");
    }
}

#[test]
fn macvlan_into_container() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = Sandbox::new();
    // The parent is a veth end inside the sandbox, so no host interface is involved.
    sb.ip(&["link", "add", "p0", "type", "veth", "peer", "p1"]);
    sb.ip(&["link", "set", "p0", "up"]);
    sb.ip(&["link", "set", "p1", "up"]);
    sb.add_netns("X");
    let c1 = Container::run("macvlan");
    let end_c = format!("{},mv1,10.9.8.1/24", c1.name());

    sb.koko(&["-d", &end_c, "-M", "p0,bridge"]).assert_success();
    sb.koko(&["-n", "X,mv2,10.9.8.2/24", "-M", "p0,bridge"]).assert_success();

    assert_eq!(container_links(&c1), ["lo", "mv1"]);
    assert_eq!(container_addrs(&c1, "mv1"), ["10.9.8.1/24"]);
    ping_from(&c1, "10.9.8.2").assert_success();

    sb.koko(&["-D", &format!("{},mv1", c1.name())]).assert_success();
    assert_eq!(container_links(&c1), ["lo"]);
}
