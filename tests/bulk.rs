//! Bulk mode (`koko -f FILE`) against the real kernel, inside sandboxes.

mod common;

use common::{Output, Sandbox};
use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

/// A bulk file in the temporary directory, removed on drop.
struct BulkFile {
    path: PathBuf,
}

impl BulkFile {
    fn new(name: &str, lines: &[String]) -> BulkFile {
        let path =
            std::env::temp_dir().join(format!("koko-bulk-{name}-{}.txt", std::process::id()));
        let mut text = lines.join("\n");
        text.push('\n');
        fs::write(&path, text).expect("write the bulk file");
        BulkFile { path }
    }

    fn path(&self) -> &str {
        self.path.to_str().expect("temporary paths are UTF-8")
    }
}

impl Drop for BulkFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// One link as `ip -o link` and `ip -o addr` show it.
#[derive(Debug, Default)]
struct LinkState {
    up: bool,
    group: String,
    addrs: Vec<String>,
}

/// Returns every link of a namespace (`None`: the sandbox's own) with its flags, group and
/// addresses, from two `ip` calls instead of two per link.
fn links_of(sb: &Sandbox, netns: Option<&str>) -> HashMap<String, LinkState> {
    let prefix: Vec<&str> = match netns {
        Some(name) => vec!["-n", name],
        None => vec![],
    };
    let mut link_args = prefix.clone();
    link_args.extend_from_slice(&["-d", "-o", "link", "show"]);
    let mut links = HashMap::new();
    for line in sb.ip(&link_args).stdout.lines() {
        let mut fields = line.split_whitespace();
        let name = fields.nth(1).unwrap_or_default();
        let name = name.trim_end_matches(':');
        let name = name.split('@').next().unwrap_or_default().to_string();
        let flags =
            line.split('<').nth(1).and_then(|rest| rest.split('>').next()).unwrap_or_default();
        let group = line
            .split(" group ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default();
        let state = LinkState {
            up: flags.split(',').any(|flag| flag == "UP"),
            group: group.to_string(),
            addrs: Vec::new(),
        };
        links.insert(name, state);
    }
    let mut addr_args = prefix;
    addr_args.extend_from_slice(&["-o", "addr", "show"]);
    for line in sb.ip(&addr_args).stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 || !(fields[2] == "inet" || fields[2] == "inet6") {
            continue;
        }
        if let Some(link) = links.get_mut(fields[1]) {
            link.addrs.push(fields[3].to_string());
        }
    }
    links
}

#[track_caller]
fn assert_link(links: &HashMap<String, LinkState>, where_: &str, name: &str, addr: &str) {
    let Some(link) = links.get(name) else {
        panic!("link {name} missing in {where_}");
    };
    assert!(link.up, "link {name} in {where_} is not up");
    assert_eq!(link.group, "default", "group of link {name} in {where_}");
    assert!(
        link.addrs.iter().any(|a| a == addr),
        "link {name} in {where_} lacks {addr}: {:?}",
        link.addrs
    );
}

fn koko_file(sb: &Sandbox, file: &BulkFile, extra: &[&str]) -> Output {
    let mut args = vec!["-f", file.path()];
    args.extend_from_slice(extra);
    sb.koko(&args)
}

/// Returns a veth line between named namespaces A and B with IPv4 /30 addresses, from `i`.
fn pair_line(i: usize) -> String {
    format!("-n A,a{i},{} -n B,b{i},{}", v4(i, 1), v4(i, 2))
}

fn v4(i: usize, host: usize) -> String {
    format!("10.{}.{}.{}/30", i / 16384, (i / 64) % 256, (i % 64) * 4 + host)
}

fn sandbox_ab() -> Sandbox {
    let sb = Sandbox::new();
    sb.add_netns("A");
    sb.add_netns("B");
    sb
}

#[test]
fn mixed_file_creates_every_link() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let pid = sb.spawn_sleeper_netns();
    sb.ip(&["link", "add", "p0", "type", "veth", "peer", "name", "p0peer"]);
    sb.ip(&["link", "set", "p0", "up"]);
    sb.ip(&["link", "set", "p0peer", "up"]);
    // Kernels without the 8021q module cannot make vlan links; those lines become veth lines.
    let probe =
        sb.run("ip", &["link", "add", "link", "p0", "name", "probe", "type", "vlan", "id", "99"]);
    let vlan = probe.success();
    if vlan {
        sb.ip(&["link", "del", "probe"]);
    } else {
        eprintln!("vlan lines left out: the kernel cannot make vlan links");
    }
    let mut lines = vec!["# mixed kinds of endpoints".to_string(), String::new()];
    for i in 0..500 {
        let line = match (i % 25, i % 5) {
            (5, _) => format!("-n A,m{i},{} -M p0,bridge", v4(i, 1)),
            (10, _) => format!("-n B,x{i},{} -x p0,192.0.2.9,{i}", v4(i, 1)),
            (15, _) if vlan => format!("-n A,v{i},{} -V p0,{}", v4(i, 1), i / 25 + 1),
            (20, _) => {
                format!("-n A,a{i},{},mirror:both:a{} -n B,b{i},{}", v4(i, 1), i - 2, v4(i, 2))
            }
            (_, remainder) => match remainder {
                0 => format!("-n A,a{i},{} -p {pid},p{i},{}", v4(i, 1), v4(i, 2)),
                1 => format!("-n A,a{i},fd00::{i:x}:1/112 -n B,b{i},fd00::{i:x}:2/112 --nodad"),
                2 => format!("{}  # trailing comment", pair_line(i)),
                3 => format!("--mtu 1400 {}", pair_line(i)),
                4 => format!("-c c{i},{} -n B,b{i},{}", v4(i, 1), v4(i, 2)),
                _ => pair_line(i),
            },
        };
        lines.push(line);
    }
    let file = BulkFile::new("mixed", &lines);
    koko_file(&sb, &file, &[]).assert_success();

    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    let own = links_of(&sb, None);
    let pid_text = pid.to_string();
    let p_output =
        sb.run("nsenter", &["--target", &pid_text, "--net", "--", "ip", "-o", "addr", "show"]);
    p_output.assert_success();
    for i in 0..500 {
        match (i % 25, i % 5) {
            (5, _) => assert_link(&a, "A", &format!("m{i}"), &v4(i, 1)),
            (10, _) => assert_link(&b, "B", &format!("x{i}"), &v4(i, 1)),
            (15, _) if vlan => assert_link(&a, "A", &format!("v{i}"), &v4(i, 1)),
            (20, _) => {
                assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
                assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
                let source = format!("a{}", i - 2);
                let filters =
                    sb.run("tc", &["-n", "A", "filter", "show", "dev", &source, "ingress"]);
                filters.assert_success();
                assert!(filters.stdout.contains("mirred"), "no mirror on {source}:\n{filters}");
            }
            (_, 0) => {
                assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
                let expected = format!("p{i}");
                assert!(
                    p_output
                        .stdout
                        .lines()
                        .any(|line| line.contains(&format!(" {expected} "))
                            && line.contains(&v4(i, 2))),
                    "p{i} with {} missing in the sleeper's namespace",
                    v4(i, 2)
                );
            }
            (_, 1) => {
                assert_link(&a, "A", &format!("a{i}"), &format!("fd00::{i:x}:1/112"));
                assert_link(&b, "B", &format!("b{i}"), &format!("fd00::{i:x}:2/112"));
            }
            (_, 4) => {
                assert_link(&own, "the sandbox", &format!("c{i}"), &v4(i, 1));
                assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
            }
            _ => {
                assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
                assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
            }
        }
    }
    let mtu = sb.ip(&["-n", "A", "-o", "link", "show", "dev", "a3"]);
    assert!(mtu.stdout.contains("mtu 1400"), "a3 lacks --mtu 1400:\n{mtu}");
    let ping = sb.ping("A", "10.0.0.10");
    ping.assert_success();
}

#[test]
fn failed_line_stops_and_keeps_earlier() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    sb.ip(&["-n", "B", "link", "add", "taken", "type", "veth", "peer", "name", "taken2"]);
    let mut lines: Vec<String> = (0..10).map(pair_line).collect();
    lines.push("-n A,a10,10.9.0.1/30 -n B,taken,10.9.0.2/30".to_string());
    lines.extend((11..15).map(pair_line));
    let file = BulkFile::new("stop", &lines);
    let output = koko_file(&sb, &file, &[]);
    output.assert_failure();
    assert!(
        output.stderr.contains("koko: line 11: -n A,a10,10.9.0.1/30 -n B,taken,10.9.0.2/30: "),
        "error lacks the line:\n{output}"
    );
    assert!(output.stderr.contains("\"taken\" already exists"), "error lacks the cause:\n{output}");
    assert!(output.stderr.contains("20 links created"), "error lacks the count:\n{output}");

    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    for i in 0..10 {
        assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
        assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
    }
    assert!(!a.contains_key("a10"), "the failed line left a10 behind");
    for i in 11..15 {
        assert!(!a.contains_key(&format!("a{i}")), "line after the failure ran: a{i}");
    }
}

#[test]
fn keep_going_runs_other_lines() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let mut lines: Vec<String> = (0..10).map(pair_line).collect();
    lines[3] = "-n A,a3 -n Missing,b3".to_string();
    lines[7] = "-n A,a1 -n B,z7".to_string();
    let file = BulkFile::new("keep-going", &lines);
    let output = koko_file(&sb, &file, &["--keep-going"]);
    output.assert_failure();
    assert!(output.stderr.contains("koko: line 4: -n A,a3 -n Missing,b3: "), "{output}");
    assert!(output.stderr.contains("koko: line 8: -n A,a1 -n B,z7: "), "{output}");
    assert!(output.stderr.contains("2 of 10 lines failed"), "{output}");

    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    for i in [0, 1, 2, 4, 5, 6, 8, 9] {
        assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
        assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
    }
    assert!(!a.contains_key("a3"), "failed line 4 left a3 behind");
    assert!(!b.contains_key("z7"), "failed line 8 left z7 behind");
}

#[test]
fn atomic_failure_restores_everything() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    sb.ip(&["-n", "A", "link", "add", "old", "group", "7", "type", "veth", "peer", "name", "old2"]);
    sb.ip(&["-n", "A", "link", "add", "plain", "type", "veth", "peer", "name", "plain2"]);
    let before = sb.snapshot();

    let mut lines: Vec<String> = (0..20).map(pair_line).collect();
    lines.push("-N A,old".to_string());
    lines.push("-N A,plain".to_string());
    lines.push("-N A,a4".to_string());
    lines.push("-n A,a30 -n B,b0".to_string());
    let file = BulkFile::new("atomic", &lines);
    let output = koko_file(&sb, &file, &["--atomic"]);
    output.assert_failure();
    assert!(output.stderr.contains("koko: line 24: -n A,a30 -n B,b0: "), "{output}");
    assert!(output.stderr.contains("nothing of the file was kept"), "{output}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn stdin_file_works() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let script = format!(
        "printf '%s\\n' '{}' '# comment' '{}' | {} -f -",
        pair_line(0),
        pair_line(1),
        common::koko_bin()
    );
    sb.sh(&script).assert_success();
    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    for i in 0..2 {
        assert_link(&a, "A", &format!("a{i}"), &v4(i, 1));
        assert_link(&b, "B", &format!("b{i}"), &v4(i, 2));
    }
}

#[test]
fn bulk_delete_leaves_others_alone() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    sb.ip(&["-n", "A", "link", "add", "keep", "type", "veth", "peer", "name", "keep2"]);
    sb.ip(&[
        "-n", "A", "link", "add", "grouped", "group", "9", "type", "veth", "peer", "name",
        "grouped2",
    ]);
    let create = BulkFile::new("delete-create", &(0..50).map(pair_line).collect::<Vec<_>>());
    koko_file(&sb, &create, &[]).assert_success();

    let deletes: Vec<String> = (0..50)
        .map(|i| if i % 2 == 0 { format!("-N A,a{i}") } else { format!("-N B,b{i}") })
        .collect();
    let delete = BulkFile::new("delete", &deletes);
    koko_file(&sb, &delete, &[]).assert_success();

    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    for i in 0..50 {
        assert!(!a.contains_key(&format!("a{i}")), "a{i} still exists");
        assert!(!b.contains_key(&format!("b{i}")), "b{i} still exists");
    }
    assert_eq!(a.get("keep").map(|link| link.group.as_str()), Some("default"));
    assert_eq!(a.get("keep2").map(|link| link.group.as_str()), Some("default"));
    assert_eq!(a.get("grouped").map(|link| link.group.as_str()), Some("9"));
    assert!(a.contains_key("lo"), "loopback missing");
}

#[test]
fn delete_of_missing_link_fails() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let create = BulkFile::new("delete-missing-create", &[pair_line(0), pair_line(1)]);
    koko_file(&sb, &create, &[]).assert_success();
    let before = sb.snapshot();
    let delete =
        BulkFile::new("delete-missing", &["-N A,a0".to_string(), "-N A,nothere".to_string()]);
    let output = koko_file(&sb, &delete, &["--atomic"]);
    output.assert_failure();
    assert!(
        output.stderr.contains("koko: line 2: -N A,nothere: link \"nothere\" not found in"),
        "{output}"
    );
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn parse_error_names_line() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let lines = vec![pair_line(0), String::new(), "-n A,a1 --mtu 9".to_string()];
    let file = BulkFile::new("parse-error", &lines);
    let output = koko_file(&sb, &file, &[]);
    output.assert_failure();
    assert!(output.stderr.contains("koko: line 3: -n A,a1 --mtu 9: "), "{output}");
    assert!(output.stderr.contains("2 links created"), "{output}");
    let a = links_of(&sb, Some("A"));
    assert_link(&a, "A", "a0", &v4(0, 1));
}

#[test]
fn delete_then_recreate_same_name() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let create = BulkFile::new("recreate-create", &[pair_line(0)]);
    koko_file(&sb, &create, &[]).assert_success();
    let lines = vec!["-N A,a0".to_string(), "-n A,a0,10.7.0.1/30 -n B,b0,10.7.0.2/30".to_string()];
    let file = BulkFile::new("recreate", &lines);
    koko_file(&sb, &file, &[]).assert_success();
    let a = links_of(&sb, Some("A"));
    assert_link(&a, "A", "a0", "10.7.0.1/30");
    assert!(!a["a0"].addrs.iter().any(|addr| addr == &v4(0, 1)), "a0 kept its old address");
}

#[test]
fn ipv6_without_nodad_waits_for_dad() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let file = BulkFile::new("dad", &["-n A,a0,fd01::1/64 -n B,b0,fd01::2/64".to_string()]);
    koko_file(&sb, &file, &[]).assert_success();
    let tentative = sb.ip(&[
        "-n",
        "A",
        "-6",
        "-o",
        "addr",
        "show",
        "dev",
        "a0",
        "tentative",
        "scope",
        "global",
    ]);
    assert_eq!(tentative.stdout.trim(), "", "fd01::1 still tentative after koko exited");
}

#[test]
fn container_endpoint_in_file() {
    if !common::require_root() || !common::require_docker() {
        return;
    }
    let sb = sandbox_ab();
    let container = common::Container::run("bulk");
    let lines = vec![
        format!("-d {},c0,10.8.0.2/30 -n A,a0,10.8.0.1/30", container.name()),
        format!("-d {},c1,10.8.0.6/30 -n A,a1,10.8.0.5/30", container.name()),
    ];
    let file = BulkFile::new("container", &lines);
    koko_file(&sb, &file, &[]).assert_success();
    let inside = container.exec(&["ip", "-o", "addr", "show"]);
    inside.assert_success();
    assert!(inside.stdout.contains("10.8.0.2/30"), "{inside}");
    assert!(inside.stdout.contains("10.8.0.6/30"), "{inside}");
    let a = links_of(&sb, Some("A"));
    assert_link(&a, "A", "a0", "10.8.0.1/30");
    assert_link(&a, "A", "a1", "10.8.0.5/30");
}

#[test]
fn atomic_delete_then_recreate_is_undone() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let create = BulkFile::new("atomic-recreate-create", &[pair_line(0)]);
    koko_file(&sb, &create, &[]).assert_success();
    let before = sb.snapshot();
    let lines = vec![
        pair_line(1),
        "-N A,a0".to_string(),
        "-n A,a0,10.7.0.1/30 -n B,c0,10.7.0.2/30".to_string(),
        pair_line(2),
    ];
    let file = BulkFile::new("atomic-recreate", &lines);
    let output = koko_file(&sb, &file, &["--atomic"]);
    output.assert_failure();
    assert!(
        output.stderr.contains("link \"a0\" in netns \"A\" is deleted earlier in this file"),
        "{output}"
    );
    assert!(output.stderr.contains("nothing of the file was kept"), "{output}");
    assert_eq!(sb.snapshot(), before);
}

/// Lines whose second pair has one IPv6 address on both ends, which fails duplicate
/// address detection in the end phase.
fn dad_failure_lines() -> Vec<String> {
    vec![pair_line(0), "-n A,a1,fd02::1/64 -n B,b1,fd02::1/64".to_string(), pair_line(2)]
}

#[test]
fn atomic_dad_failure_undoes_the_file() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    sb.ip(&["-n", "A", "link", "add", "old", "type", "veth", "peer", "name", "old2"]);
    let before = sb.snapshot();
    let mut lines = dad_failure_lines();
    lines.push("-N A,old".to_string());
    let file = BulkFile::new("atomic-dad", &lines);
    let output = koko_file(&sb, &file, &["--atomic"]);
    output.assert_failure();
    assert!(output.stderr.contains("duplicate address detection failed for fd02::1"), "{output}");
    assert!(output.stderr.contains("nothing of the file was kept"), "{output}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn keep_going_dad_failure_removes_the_link() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let file = BulkFile::new("keep-going-dad", &dad_failure_lines());
    let output = koko_file(&sb, &file, &["--keep-going"]);
    output.assert_failure();
    assert!(output.stderr.contains("duplicate address detection failed for fd02::1"), "{output}");
    assert!(output.stderr.contains("1 of 3 lines failed"), "{output}");
    let a = links_of(&sb, Some("A"));
    let b = links_of(&sb, Some("B"));
    assert!(!a.contains_key("a1"), "a1 was not removed:\n{output}");
    assert!(!b.contains_key("b1"), "b1 was not removed:\n{output}");
    assert_link(&a, "A", "a0", &v4(0, 1));
    assert_link(&b, "B", "b2", &v4(2, 2));
}

#[test]
fn bom_long_lines_and_failed_count() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let lines = vec![
        format!("\u{feff}{}", pair_line(0)),
        "bogus\u{1b}[2J".to_string(),
        format!("-n A,{} -n B,b9", "x".repeat(70_000)),
        "# comment".to_string(),
        pair_line(1),
    ];
    let file = BulkFile::new("bom", &lines);
    let output = koko_file(&sb, &file, &["--keep-going"]);
    output.assert_failure();
    assert!(output.stderr.contains("line 2: bogus\\u{1b}[2J: "), "{output}");
    assert!(output.stderr.contains("line 3: longer than the limit"), "{output}");
    assert!(!output.stderr.contains("xxxxxxxx"), "the long line was echoed");
    assert!(output.stderr.contains("2 of 4 lines failed"), "{output}");
    let a = links_of(&sb, Some("A"));
    assert_link(&a, "A", "a0", &v4(0, 1));
    assert_link(&a, "A", "a1", &v4(1, 1));

    let dir = std::env::temp_dir();
    let output = sb.koko(&["-f", dir.to_str().expect("temporary paths are UTF-8")]);
    output.assert_failure();
    assert!(output.stderr.contains(&format!("of {}: ", dir.display())), "{output}");
    assert!(!output.stderr.contains("stopped there"), "{output}");
}

#[test]
fn mirror_filters_go_with_targets() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    sb.ip(&["-n", "A", "link", "add", "keep", "type", "veth", "peer", "name", "keep2"]);
    sb.ip(&["-n", "A", "link", "set", "keep", "up"]);
    let before = sb.snapshot();

    let lines =
        vec!["-n A,m1,mirror:both:keep -n B,m1p".to_string(), "-n A,a0 -n A,a0".to_string()];
    let file = BulkFile::new("mirror-atomic", &lines);
    koko_file(&sb, &file, &["--atomic"]).assert_failure();
    assert_eq!(sb.snapshot(), before, "--atomic left the mirror behind");

    let create = BulkFile::new("mirror-create", &lines[..1]);
    koko_file(&sb, &create, &[]).assert_success();
    let filters = sb.sh("tc -n A filter show dev keep ingress").stdout;
    assert!(filters.contains("m1"), "no mirror to m1: {filters}");
    let delete = BulkFile::new("mirror-delete", &["-N A,m1".to_string()]);
    koko_file(&sb, &delete, &[]).assert_success();
    assert_eq!(sb.snapshot(), before, "the delete line left the mirror behind");
}

#[test]
fn sigterm_stops_and_undoes_atomic() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let before = sb.snapshot();
    let fifo = std::env::temp_dir().join(format!("koko-bulk-fifo-{}", std::process::id()));
    let fifo = fifo.to_str().expect("temporary paths are UTF-8");
    let script = format!(
        r#"rm -f {fifo}; mkfifo {fifo}
{koko} -f - --atomic < {fifo} 2> {fifo}.err & pid=$!
exec 3> {fifo}
printf '%s\n%s\n' '{one}' '{two}' >&3
tries=0
until ip -n A link show a1 > /dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 3000 ] || break; sleep 0.01
done
kill -TERM $pid; wait $pid; echo "rc=$?"; exec 3>&-
cat {fifo}.err; rm -f {fifo} {fifo}.err"#,
        koko = common::koko_bin(),
        one = pair_line(0),
        two = pair_line(1),
    );
    let output = sb.sh(&script);
    assert!(output.stdout.contains("rc=1"), "{output}");
    assert!(output.stdout.contains("interrupted after line 2 (SIGTERM)"), "{output}");
    assert!(output.stdout.contains("nothing of the file was kept"), "{output}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn concurrent_runs_share_namespaces() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let lines = |prefix: &str, net: usize| -> Vec<String> {
        (0..200)
            .map(|i| {
                format!(
                    "-n A,{prefix}{i},10.{net}.{}.{}/16 -n B,{prefix}p{i}",
                    i / 100,
                    i % 100 + 1
                )
            })
            .collect()
    };
    let x = BulkFile::new("concurrent-x", &lines("x", 1));
    let y = BulkFile::new("concurrent-y", &lines("y", 2));
    let script = format!(
        "{koko} -f {x} & one=$!; {koko} -f {y}; two=$?; wait $one; echo \"rc=$? $two\"",
        koko = common::koko_bin(),
        x = x.path(),
        y = y.path()
    );
    let output = sb.sh(&script);
    assert!(output.stdout.contains("rc=0 0"), "{output}");
    let a = links_of(&sb, Some("A"));
    for i in [0, 99, 199] {
        assert_link(&a, "A", &format!("x{i}"), &format!("10.1.{}.{}/16", i / 100, i % 100 + 1));
        assert_link(&a, "A", &format!("y{i}"), &format!("10.2.{}.{}/16", i / 100, i % 100 + 1));
    }
    assert_eq!(a.len(), 401, "links in A besides lo");
}

/// SIGTERM while an --atomic run waits for duplicate address detection at its end: every
/// line is done by then, but the run must still fail and undo the file.
#[test]
fn sigterm_while_finishing_undoes_atomic() {
    if !common::require_root() {
        return;
    }
    let sb = sandbox_ab();
    let before = sb.snapshot();
    let lines: Vec<String> =
        (0..5).map(|i| format!("-n A,v{i},fd00::{i}:1/64 -n B,w{i},fd00::{i}:2/64")).collect();
    let file = BulkFile::new("sigterm-finish", &lines);
    let script = format!(
        r#"{koko} --atomic -f {path} & pid=$!
tries=0
until ip -n B link show w4 > /dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 3000 ] || break; sleep 0.01
done
kill -TERM $pid; wait $pid; echo "rc=$?""#,
        koko = common::koko_bin(),
        path = file.path(),
    );
    let output = sb.sh(&script);
    assert!(output.stdout.contains("rc=1"), "{output}");
    // The signal lands in the end phase, or right after the last line on a slow machine.
    assert!(
        output.stderr.contains("interrupted while finishing the run (SIGTERM)")
            || output.stderr.contains("interrupted after line 5 (SIGTERM)"),
        "{output}"
    );
    assert!(output.stderr.contains("nothing of the file was kept"), "{output}");
    assert_eq!(sb.snapshot(), before);
}
