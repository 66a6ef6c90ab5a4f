//! CRI-O endpoints (`-e`, `-E`) against a fake CRI-O on a unix socket.
//!
//! The fake replies to `GET /containers/{id}` in the format of CRI-O's inspect endpoint,
//! with the PID of a sleeper process that owns a network namespace inside a
//! [`Sandbox`]. koko finds the fake through `KOKO_CRIO_SOCKET` and runs in the sandbox.

mod common;
mod fake_engine;

use common::{koko_bin, Output, Sandbox};
use fake_engine::{crio_info_body, json_reply, reply, FakeEngine};

const ID: &str = "3f2a9c1d8e7b";

/// Runs koko inside `sandbox` with `KOKO_CRIO_SOCKET` pointing at `engine`.
fn koko_with_crio(sandbox: &Sandbox, engine: &FakeEngine, args: &[&str]) -> Output {
    let socket = format!("KOKO_CRIO_SOCKET={}", engine.socket().display());
    let mut full = vec![socket.as_str(), koko_bin()];
    full.extend_from_slice(args);
    sandbox.run("env", &full)
}

/// Returns the interface names in the network namespace of process `pid`.
#[track_caller]
fn pid_links(pid: u32) -> Vec<String> {
    let pid = pid.to_string();
    let output = common::run_command(
        "nsenter",
        &["--target", &pid, "--net", "--", "ip", "-j", "link", "show"],
    );
    output.assert_success();
    common::json_string_fields(&output.stdout, "ifname")
}

/// Starts a fake CRI-O that reports `pid` for [`ID`] and 404 for every other ID.
fn engine_for(pid: u32) -> FakeEngine {
    let known = format!("/containers/{ID}");
    FakeEngine::start(move |request| {
        if request.target == known {
            json_reply(&crio_info_body(pid))
        } else {
            let id = request.target.trim_start_matches("/containers/");
            let body = format!("can't find the container with id {id}\n");
            reply(404, "Not Found", "text/plain; charset=utf-8", body.as_bytes())
        }
    })
}

#[track_caller]
fn assert_stderr_contains(output: &Output, expected: &str) {
    assert!(output.stderr.contains(expected), "stderr lacks {expected:?}:\n{output}");
}

#[test]
fn connect_container_to_netns() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let pid = sb.spawn_sleeper_netns();
    let engine = engine_for(pid);
    let end_e = format!("{ID},eth1,10.9.6.1/24,fd00:96::1/64");

    koko_with_crio(&sb, &engine, &["-e", &end_e, "-n", "X,veth-x,10.9.6.2/24,fd00:96::2/64"])
        .assert_success();

    assert_eq!(pid_links(pid), ["lo", "eth1"]);
    assert_eq!(sb.link_names(Some("X")), ["lo", "veth-x"]);
    sb.ping("X", "10.9.6.1").assert_success();
    sb.ping("X", "fd00:96::1").assert_success();
    // One lookup to resolve the container and one to check it still runs afterwards.
    let target = format!("/containers/{ID}");
    assert_eq!(engine.targets(), [target.clone(), target]);
}

#[test]
fn delete_removes_both_ends() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let pid = sb.spawn_sleeper_netns();
    let engine = engine_for(pid);
    let before = sb.snapshot();
    koko_with_crio(&sb, &engine, &["-e", &format!("{ID},eth1"), "-n", "X,veth-x"]).assert_success();
    assert_eq!(pid_links(pid), ["lo", "eth1"]);

    koko_with_crio(&sb, &engine, &["-E", &format!("{ID},eth1")]).assert_success();

    assert_eq!(pid_links(pid), ["lo"]);
    assert_eq!(before, sb.snapshot());
}

#[test]
fn unknown_id_fails_cleanly() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let pid = sb.spawn_sleeper_netns();
    let engine = engine_for(pid);
    let before = sb.snapshot();

    let output = koko_with_crio(&sb, &engine, &["-n", "X,veth-x", "-e", "0badc0ffee,eth1"]);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        "koko: container \"0badc0ffee\" not found (CRI-O replied: can't find the container with id 0badc0ffee)",
    );
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

#[test]
fn bad_replies_fail_cleanly() {
    if !common::require_root() {
        return;
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not JSON", json_reply("{\"pid\": "), "koko: malformed reply from CRI-O at "),
        ("no pid", json_reply("{\"name\": \"app\"}"), "the reply has no pid field"),
        ("pid as text", json_reply("{\"pid\": \"42\"}"), "pid is not an integer: \"42\""),
        ("pid too large", json_reply("{\"pid\": 4294967297}"), "pid is not a valid process ID: 4294967297"),
        ("not started", json_reply(&crio_info_body(0)), "koko: container \"3f2a9c1d8e7b\" is not running"),
        ("truncated", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"pid\":".to_vec(), "malformed reply from CRI-O"),
        (
            "server error",
            reply(500, "Internal Server Error", "text/plain", b"runtime exploded\n"),
            "CRI-O returned 500 Internal Server Error for container \"3f2a9c1d8e7b\": runtime exploded",
        ),
    ];
    let sb = Sandbox::new();
    sb.add_netns("X");
    let before = sb.snapshot();

    for (case, bytes, expected) in cases {
        let engine = FakeEngine::with_replies(vec![bytes]);

        let output = koko_with_crio(&sb, &engine, &["-n", "X,veth-x", "-e", &format!("{ID},eth1")]);

        output.assert_failure();
        assert!(output.stderr.contains(expected), "{case}: stderr lacks {expected:?}:\n{output}");
        assert_eq!(before, sb.snapshot(), "{case}: the sandbox changed after:\n{output}");
    }
}

#[test]
fn missing_socket_fails_cleanly() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let before = sb.snapshot();

    let output = sb.run(
        "env",
        &[
            "KOKO_CRIO_SOCKET=/nonexistent/crio.sock",
            koko_bin(),
            "-n",
            "X,veth-x",
            "-e",
            "abc,eth1",
        ],
    );

    output.assert_failure();
    assert_stderr_contains(
        &output,
        "koko: cannot connect to CRI-O at /nonexistent/crio.sock: No such file or directory (is crio running?",
    );
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

/// The container's process exits after koko resolved it: the fake reports pid 0 at
/// koko's final check, and koko must undo the veth pair.
#[test]
fn container_stopped_while_koko_works() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let pid = sb.spawn_sleeper_netns();
    let engine = FakeEngine::with_replies(vec![
        json_reply(&crio_info_body(pid)),
        json_reply(&crio_info_body(0)),
    ]);
    let before = sb.snapshot();

    let output =
        koko_with_crio(&sb, &engine, &["-e", &format!("{ID},eth1,10.9.7.1/24"), "-n", "X,veth-x"]);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        &format!("koko: CRI-O container \"{ID}\" stopped while koko was working"),
    );
    assert_stderr_contains(&output, "deleted the new veth pair \"eth1\" again");
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

/// The fake reports another process, in another namespace, at koko's final check.
#[test]
fn container_restarted_while_koko_works() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.add_netns("X");
    let first = sb.spawn_sleeper_netns();
    let second = sb.spawn_sleeper_netns();
    let engine = FakeEngine::with_replies(vec![
        json_reply(&crio_info_body(first)),
        json_reply(&crio_info_body(second)),
    ]);
    let before = sb.snapshot();

    let output = koko_with_crio(&sb, &engine, &["-n", "X,veth-x", "-e", &format!("{ID},eth1")]);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        &format!("koko: CRI-O container \"{ID}\" restarted while koko was working"),
    );
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}

/// The fake reports pid 0 at koko's final check after a macvlan interface was made in the
/// container's namespace, so koko must delete that interface again.
#[test]
fn interface_undone_when_container_stops() {
    if !common::require_root() {
        return;
    }
    let sb = Sandbox::new();
    sb.ip(&["link", "add", "p0", "type", "veth", "peer", "p1"]);
    sb.ip(&["link", "set", "p0", "up"]);
    let pid = sb.spawn_sleeper_netns();
    let engine = FakeEngine::with_replies(vec![
        json_reply(&crio_info_body(pid)),
        json_reply(&crio_info_body(0)),
    ]);
    let before = sb.snapshot();

    let output =
        koko_with_crio(&sb, &engine, &["-e", &format!("{ID},mv1,10.9.7.1/24"), "-M", "p0,bridge"]);

    output.assert_failure();
    assert_stderr_contains(
        &output,
        &format!("koko: CRI-O container \"{ID}\" stopped while koko was working"),
    );
    assert_stderr_contains(&output, "deleted the new link \"mv1\" again");
    assert_eq!(before, sb.snapshot(), "the sandbox changed after:\n{output}");
}
