//! Shared harness for koko's integration tests.
//!
//! Every test that touches the kernel works inside a [`Sandbox`]: a process that owns a
//! private network namespace and a private mount namespace with its own tmpfs on
//! `/run/netns`. Commands reach it through `nsenter`, so the test process itself never
//! calls `unshare(2)` or `setns(2)` and parallel test threads cannot disturb each other.
//! Dropping the sandbox kills its processes, and the namespaces die with them.

// Each integration test crate compiles this module and uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Maximum time one command may run before the harness kills it and reports a timeout.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Maximum time [`Sandbox::ping`] waits for IPv6 duplicate address detection to end.
pub const DAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Docker image that container tests run. `tests/image/build.sh` builds it offline.
pub const TEST_IMAGE: &str = "koko-test:latest";

/// Returns the path of the koko binary that cargo built for this test run.
///
/// `CARGO_BIN_EXE_koko` is only set while cargo compiles integration tests, which is
/// the only place this module is compiled.
pub fn koko_bin() -> &'static str {
    env!("CARGO_BIN_EXE_koko")
}

/// Returns whether the test runs under CI, where a missing requirement is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Reports a missing requirement: panics under CI, else prints why the test is skipped.
#[track_caller]
fn skip_or_fail(reason: &str) -> bool {
    if in_ci() {
        panic!("koko test requirement missing under CI=true: {reason}");
    }
    eprintln!("skipped: {reason}");
    false
}

/// Checks that the tests can create namespaces: root, and a working `unshare`.
///
/// Returns false after printing `skipped: <reason>` when they cannot, so a test starts
/// with `if !common::require_root() { return; }`. With `CI=true` it panics instead,
/// because a CI run that skips every kernel test proves nothing.
#[track_caller]
pub fn require_root() -> bool {
    static ROOT_CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let result = ROOT_CHECK.get_or_init(check_root);
    match result {
        Ok(()) => true,
        Err(reason) => skip_or_fail(reason),
    }
}

fn check_root() -> Result<(), String> {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Err(format!("tests need root to create namespaces (effective uid is {euid})"));
    }

    let probe = run_command("unshare", &["--net", "--mount", "true"]);
    if !probe.success() {
        return Err(format!("cannot create namespaces with unshare:\n{probe}"));
    }
    Ok(())
}

/// Result of one command, with a `Display` that shows the command, its status and both
/// outputs so that a failed assertion explains itself.
#[derive(Debug)]
pub struct Output {
    /// The command line as a shell would read it.
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Whether the harness killed the command after [`COMMAND_TIMEOUT`].
    pub timed_out: bool,
}

impl Output {
    /// Returns whether the command exited with status 0 in time.
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out
    }

    /// Panics with the full output unless the command succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "command failed:\n{self}");
        self
    }

    /// Panics with the full output unless the command exited with a non-zero status.
    ///
    /// A timeout or a death by signal also fails, because neither is a clean error exit.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(
            !self.timed_out && self.status.code().is_some_and(|code| code != 0),
            "command was expected to exit with an error status:\n{self}"
        );
        self
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command)?;
        if self.timed_out {
            writeln!(f, "status: killed after timing out ({}s)", COMMAND_TIMEOUT.as_secs())?;
        } else {
            writeln!(f, "status: {}", self.status)?;
        }
        writeln!(f, "stdout:\n{}", indent_block(&self.stdout))?;
        write!(f, "stderr:\n{}", indent_block(&self.stderr))
    }
}

fn indent_block(text: &str) -> String {
    if text.is_empty() {
        return "    (empty)".to_string();
    }
    text.lines().map(|line| format!("    {line}\n")).collect::<String>().trim_end().to_string()
}

/// Quotes one argument the way a POSIX shell would need it.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn command_line(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command in the test process's own namespaces, without a shell.
///
/// It is meant for host-side tools such as `docker`. Anything that changes network state
/// must go through [`Sandbox::run`] instead.
pub fn run_command(program: &str, args: &[&str]) -> Output {
    let command = command_line(program, args);
    let spawned = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => panic!("koko test harness: failed to start {command}: {error}"),
    };

    let stdout_reader = read_to_string_in_thread(child.stdout.take());
    let stderr_reader = read_to_string_in_thread(child.stderr.take());
    let (status, timed_out) = wait_with_timeout(&mut child, &command);
    Output {
        command,
        status,
        stdout: stdout_reader.join().unwrap_or_default(),
        stderr: stderr_reader.join().unwrap_or_default(),
        timed_out,
    }
}

fn read_to_string_in_thread<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for the child, killing it (by its own PID only) after [`COMMAND_TIMEOUT`].
fn wait_with_timeout(child: &mut Child, command: &str) -> (ExitStatus, bool) {
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (status, false),
            Ok(None) => {}
            Err(error) => panic!("koko test harness: failed to wait for {command}: {error}"),
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let status = child.wait().unwrap_or_else(|error| {
                panic!("koko test harness: failed to reap {command}: {error}")
            });
            return (status, true);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// A long-lived helper process started with a pipe on stdin, so it exits on EOF when the
/// test process dies without running `Drop`.
struct Holder {
    child: Child,
    // Kept open so the holder never gets SIGPIPE on a late write.
    _stdout: BufReader<ChildStdout>,
}

impl Holder {
    /// Spawns `program args`, whose script must print `ready` once set up and then block
    /// reading stdin.
    fn spawn(program: &str, args: &[&str]) -> Holder {
        let command = command_line(program, args);
        let mut child = Command::new(program)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("koko test harness: failed to start {command}: {error}")
            });

        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        if line.trim_end() != "ready" {
            let _ = child.kill();
            let status = child.wait();
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!(
                "koko test harness: {command} did not become ready \
                 (status {status:?}, stdout {line:?}, stderr {stderr:?})"
            );
        }
        Holder { child, _stdout: stdout }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// `mount` needs /run/netns to exist. Creating the empty directory in the shared /run is
// the one trace a sandbox leaves, and `ip netns add` would create it anyway.
// `exec cat` keeps the PID that `nsenter --target` needs and exits on stdin EOF.
const SANDBOX_SCRIPT: &str = r#"set -e
[ -d /run/netns ] || mkdir -p /run/netns
mount -t tmpfs -o mode=0755 koko-test-netns /run/netns
if [ ! /var/run/netns -ef /run/netns ]; then
    mkdir -p /var/run/netns
    mount --bind /run/netns /var/run/netns
fi
echo ready
exec cat >/dev/null
"#;

const SLEEPER_SCRIPT: &str = "echo ready; exec cat >/dev/null";

/// Which network namespace a query looks at.
#[derive(Clone, Copy, Debug)]
enum Netns<'a> {
    Sandbox,
    Named(&'a str),
    Pid(u32),
}

/// A private network namespace plus a private mount namespace with its own `/run/netns`.
///
/// Named namespaces created inside (`ip netns add`) live on the sandbox's tmpfs, so they
/// vanish when the sandbox ends. Processes inside share the test's PID namespace, so a
/// PID seen inside is the same PID outside.
pub struct Sandbox {
    holder: Holder,
    sleepers: Mutex<Vec<Holder>>,
}

impl Sandbox {
    /// Starts the sandbox process and waits until its `/run/netns` tmpfs is mounted.
    ///
    /// Panics with the reason when `unshare` or `mount` fails. Call [`require_root`]
    /// first so that unprivileged runs skip instead.
    pub fn new() -> Sandbox {
        let holder = Holder::spawn(
            "unshare",
            &["--net", "--mount", "--propagation", "private", "--", "sh", "-c", SANDBOX_SCRIPT],
        );
        Sandbox { holder, sleepers: Mutex::new(Vec::new()) }
    }

    /// Returns the PID of the process that keeps the sandbox's namespaces alive.
    pub fn pid(&self) -> u32 {
        self.holder.pid()
    }

    /// Runs `program args` inside the sandbox's network and mount namespaces.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        let pid = self.pid().to_string();
        let mut full = vec!["--target", &pid, "--net", "--mount", "--", program];
        full.extend_from_slice(args);
        run_command("nsenter", &full)
    }

    /// Runs the koko binary under test inside the sandbox.
    pub fn koko(&self, args: &[&str]) -> Output {
        self.run(koko_bin(), args)
    }

    /// Runs `sh -c script` inside the sandbox.
    pub fn sh(&self, script: &str) -> Output {
        self.run("sh", &["-c", script])
    }

    /// Runs `ip args` inside the sandbox and panics unless it succeeds.
    #[track_caller]
    pub fn ip(&self, args: &[&str]) -> Output {
        let output = self.run("ip", args);
        output.assert_success();
        output
    }

    /// Creates the named network namespace `name` on the sandbox's `/run/netns`.
    #[track_caller]
    pub fn add_netns(&self, name: &str) {
        self.ip(&["netns", "add", name]);
    }

    /// Returns the names of the named network namespaces in the sandbox, sorted.
    #[track_caller]
    pub fn netns_names(&self) -> Vec<String> {
        let output = self.run("ls", &["-1", "/run/netns"]);
        output.assert_success();
        let mut names: Vec<String> = output.stdout.lines().map(str::to_string).collect();
        names.sort();
        names
    }

    /// Runs `ip args` in a namespace: the sandbox, a named one (`ip -n`) or a process's.
    #[track_caller]
    fn ip_in(&self, netns: Netns<'_>, args: &[&str]) -> Output {
        self.tool_in(netns, "ip", args)
    }

    #[track_caller]
    fn tool_in(&self, netns: Netns<'_>, tool: &str, args: &[&str]) -> Output {
        let output = match netns {
            Netns::Sandbox => self.run(tool, args),
            Netns::Named(name) => {
                let mut full = vec!["-n", name];
                full.extend_from_slice(args);
                self.run(tool, &full)
            }
            Netns::Pid(pid) => {
                let pid = pid.to_string();
                let mut full = vec!["--target", &pid, "--net", "--", tool];
                full.extend_from_slice(args);
                run_command("nsenter", &full)
            }
        };
        output.assert_success();
        output
    }

    /// Returns the interface names in the sandbox's namespace (`None`) or a named one.
    ///
    /// Names come from `ip -j` so that a name containing `@` is not cut at the
    /// `name@peer` suffix of the plain output.
    #[track_caller]
    pub fn link_names(&self, netns: Option<&str>) -> Vec<String> {
        let output = self.ip_in(netns_ref(netns), &["-j", "link", "show"]);
        json_string_fields(&output.stdout, "ifname")
    }

    /// Returns the addresses of `ifname` as `ADDR/PREFIX`, IPv4 and IPv6 alike, in the
    /// kernel's order. IPv6 link-local addresses are included.
    #[track_caller]
    pub fn addrs(&self, netns: Option<&str>, ifname: &str) -> Vec<String> {
        let output = self.ip_in(netns_ref(netns), &["-o", "addr", "show", "dev", ifname]);
        parse_addr_lines(&output.stdout)
    }

    /// Returns the flags `ip` prints between `<` and `>` for `ifname`, such as `UP`.
    #[track_caller]
    pub fn link_flags(&self, netns: Option<&str>, ifname: &str) -> Vec<String> {
        let output = self.ip_in(netns_ref(netns), &["-o", "link", "show", "dev", ifname]);
        parse_link_flags(&output.stdout)
            .unwrap_or_else(|| panic!("no <FLAGS> in ip output for {ifname}:\n{output}"))
    }

    /// Sends one echo request from `netns` to `addr` (IPv4 or IPv6) and returns the
    /// output.
    ///
    /// An IPv6 address cannot send or reply until duplicate address detection ends,
    /// about 1 to 2 s after its link gets a carrier with default sysctls. So the ping
    /// first waits, for up to [`DAD_TIMEOUT`], until no up link in any namespace of the
    /// sandbox has a tentative address.
    pub fn ping(&self, netns: &str, addr: &str) -> Output {
        self.wait_for_dad();
        self.run("ip", &["netns", "exec", netns, "ping", "-c", "1", "-W", "2", addr])
    }

    /// Waits until no up link in the sandbox has a tentative IPv6 address, or until
    /// [`DAD_TIMEOUT`] passes. Returns whether DAD ended in time.
    ///
    /// Addresses whose DAD failed keep the tentative flag forever and are ignored.
    pub fn wait_for_dad(&self) -> bool {
        let deadline = Instant::now() + DAD_TIMEOUT;
        loop {
            let (names, pids) = self.namespace_ids();
            let mut namespaces = vec![Netns::Sandbox];
            namespaces.extend(names.iter().map(|name| Netns::Named(name)));
            namespaces.extend(pids.into_iter().map(Netns::Pid));

            let settled = namespaces.into_iter().all(|netns| {
                let output = self.ip_in(netns, &["-6", "-o", "addr", "show", "up", "tentative"]);
                output.stdout.lines().all(|line| line.contains("dadfailed"))
            });
            if settled {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts a process in a new, unnamed network namespace inside the sandbox and
    /// returns its PID, for tests of PID endpoints.
    ///
    /// The process runs until the sandbox is dropped or the test process dies.
    pub fn spawn_sleeper_netns(&self) -> u32 {
        let pid = self.pid().to_string();
        let sleeper = Holder::spawn(
            "nsenter",
            &[
                "--target",
                &pid,
                "--net",
                "--mount",
                "--",
                "unshare",
                "--net",
                "--",
                "sh",
                "-c",
                SLEEPER_SCRIPT,
            ],
        );
        let sleeper_pid = sleeper.pid();
        self.sleepers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(sleeper);
        sleeper_pid
    }

    /// Records every link, address and qdisc of the sandbox's namespace, of each named
    /// namespace in its `/run/netns` and of each sleeper's namespace.
    ///
    /// Negative tests compare two snapshots with `assert_eq!` to prove that a failed
    /// command changed nothing. Fields that change by themselves are dropped, as
    /// [`normalize_link_line`] and [`normalize_addr_line`] describe.
    #[track_caller]
    pub fn snapshot(&self) -> Snapshot {
        let (names, pids) = self.namespace_ids();
        let mut namespaces = BTreeMap::new();
        namespaces.insert("sandbox".to_string(), self.namespace_state(Netns::Sandbox));
        for name in names {
            let state = self.namespace_state(Netns::Named(&name));
            namespaces.insert(format!("netns {name}"), state);
        }
        for pid in pids {
            namespaces.insert(format!("pid {pid}"), self.namespace_state(Netns::Pid(pid)));
        }
        Snapshot { namespaces }
    }

    /// Returns the named namespaces in `/run/netns` and the sleeper PIDs.
    #[track_caller]
    fn namespace_ids(&self) -> (Vec<String>, Vec<u32>) {
        let names = self.netns_names();
        let pids = self
            .sleepers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(Holder::pid)
            .collect();
        (names, pids)
    }

    #[track_caller]
    fn namespace_state(&self, netns: Netns<'_>) -> NamespaceState {
        let links = self.ip_in(netns, &["-d", "-o", "link", "show"]);
        let addrs = self.ip_in(netns, &["-o", "addr", "show"]);
        let qdiscs = self.tool_in(netns, "tc", &["qdisc", "show"]);
        NamespaceState {
            links: links.stdout.lines().map(normalize_link_line).collect(),
            addrs: addrs.stdout.lines().filter_map(normalize_addr_line).collect(),
            qdiscs: qdiscs.stdout.lines().map(normalize_qdisc_line).collect(),
        }
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Sleepers first: they also hold the sandbox's mount namespace.
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for sleeper in sleepers.iter_mut() {
            sleeper.stop();
        }
        self.holder.stop();
    }
}

fn netns_ref(netns: Option<&str>) -> Netns<'_> {
    match netns {
        Some(name) => Netns::Named(name),
        None => Netns::Sandbox,
    }
}

/// Network state of every namespace a [`Sandbox`] can see, keyed by `sandbox`,
/// `netns NAME` or `pid PID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub namespaces: BTreeMap<String, NamespaceState>,
}

/// Normalized `ip -d -o link`, `ip -o addr` and `tc qdisc show` lines of one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceState {
    pub links: Vec<String>,
    pub addrs: Vec<String>,
    pub qdiscs: Vec<String>,
}

/// Splits an `ip -o` line into fields, dropping the `\` that `ip -o` prints in place of
/// each line break (alone or stuck to the end of the previous field).
fn collapse_fields(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .map(|field| field.strip_suffix('\\').unwrap_or(field))
        .filter(|field| !field.is_empty())
        .collect()
}

/// Drops the carrier state from an `ip -d -o link` line.
///
/// Carrier and operational state (`LOWER_UP`, `NO-CARRIER`, `state UP`) settle
/// asynchronously after a link goes up, so they could differ between two snapshots
/// taken a moment apart with no command in between.
pub fn normalize_link_line(line: &str) -> String {
    let fields = collapse_fields(line);
    let mut kept = Vec::with_capacity(fields.len());
    let mut index = 0;
    while index < fields.len() {
        let field = fields[index];
        if field == "state" {
            index += 2;
            continue;
        }
        if field.starts_with('<') && field.ends_with('>') {
            let flags: Vec<&str> = field[1..field.len() - 1]
                .split(',')
                .filter(|flag| !matches!(*flag, "LOWER_UP" | "NO-CARRIER"))
                .collect();
            kept.push(format!("<{}>", flags.join(",")));
        } else {
            kept.push(field.to_string());
        }
        index += 1;
    }
    kept.join(" ")
}

/// Drops lifetimes and the `tentative` flag from an `ip -o addr` line, and returns
/// `None` for IPv6 link-local addresses.
///
/// The kernel adds a link-local address when the carrier comes up and clears
/// `tentative` when duplicate address detection ends, with no command involved.
pub fn normalize_addr_line(line: &str) -> Option<String> {
    let fields = collapse_fields(line);
    let mut kept = Vec::with_capacity(fields.len());
    let mut index = 0;
    while index < fields.len() {
        let field = fields[index];
        if field == "inet6" && fields.get(index + 1).is_some_and(|addr| addr.starts_with("fe80:")) {
            return None;
        }
        match field {
            "valid_lft" | "preferred_lft" => index += 2,
            "tentative" => index += 1,
            _ => {
                kept.push(field);
                index += 1;
            }
        }
    }
    Some(kept.join(" "))
}

/// Drops the reference count from a `tc qdisc show` line.
pub fn normalize_qdisc_line(line: &str) -> String {
    let fields = collapse_fields(line);
    let mut kept = Vec::with_capacity(fields.len());
    let mut index = 0;
    while index < fields.len() {
        if fields[index] == "refcnt" {
            index += 2;
            continue;
        }
        kept.push(fields[index]);
        index += 1;
    }
    kept.join(" ")
}

/// Returns `ADDR/PREFIX` for each `inet` or `inet6` field in `ip -o addr` output.
pub fn parse_addr_lines(text: &str) -> Vec<String> {
    let mut addrs = Vec::new();
    for line in text.lines() {
        let fields = collapse_fields(line);
        for pair in fields.windows(2) {
            if pair[0] == "inet" || pair[0] == "inet6" {
                addrs.push(pair[1].to_string());
            }
        }
    }
    addrs
}

/// Returns the comma-separated flags between `<` and `>` on the first line of
/// `ip -o link` output.
pub fn parse_link_flags(text: &str) -> Option<Vec<String>> {
    let line = text.lines().next()?;
    let start = line.find('<')?;
    let end = start + line[start..].find('>')?;
    let inner = &line[start + 1..end];
    if inner.is_empty() {
        return Some(Vec::new());
    }
    Some(inner.split(',').map(str::to_string).collect())
}

/// Returns every string value of `"key":"..."` in `ip -j` output, unescaped.
///
/// It scans text instead of parsing JSON because the crate takes no JSON dependency, so
/// it relies on `ip` writing keys without spaces around the colon.
pub fn json_string_fields(json: &str, key: &str) -> Vec<String> {
    let pattern = format!("\"{key}\":\"");
    let mut values = Vec::new();
    let mut rest = json;
    while let Some(start) = rest.find(&pattern) {
        rest = &rest[start + pattern.len()..];
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let mut end = rest.len();
        while let Some((offset, c)) = chars.next() {
            match c {
                '"' => {
                    end = offset + 1;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, 'r')) => value.push('\r'),
                    Some((_, 'b')) => value.push('\u{8}'),
                    Some((_, 'f')) => value.push('\u{c}'),
                    Some((_, 'u')) => {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        value.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
                    }
                    Some((_, other)) => value.push(other),
                    None => break,
                },
                _ => value.push(c),
            }
        }
        values.push(value);
        rest = &rest[end..];
    }
    values
}

/// Checks that the Docker daemon responds and that the test image exists.
///
/// Returns `Err(reason)` for the caller to skip on. Under `CI=true` it panics instead.
#[track_caller]
pub fn docker_available() -> Result<(), String> {
    static DOCKER_CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DOCKER_CHECK.get_or_init(check_docker).clone();
    if let Err(reason) = &result {
        if in_ci() {
            panic!("koko test requirement missing under CI=true: {reason}");
        }
    }
    result
}

/// Returns false after printing `skipped: <reason>` when container tests cannot run.
/// Under `CI=true` it panics instead.
#[track_caller]
pub fn require_docker() -> bool {
    match docker_available() {
        Ok(()) => true,
        Err(reason) => skip_or_fail(&reason),
    }
}

fn check_docker() -> Result<(), String> {
    let spawned =
        Command::new("docker").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if spawned.is_err() {
        return Err("docker is not installed".to_string());
    }
    let info = run_command("docker", &["info", "--format", "{{.ServerVersion}}"]);
    if !info.success() {
        return Err(format!("the Docker daemon does not answer:\n{info}"));
    }
    let image = run_command("docker", &["image", "inspect", "--format", "{{.Id}}", TEST_IMAGE]);
    if !image.success() {
        return Err(format!("image {TEST_IMAGE} is missing; build it with tests/image/build.sh"));
    }
    Ok(())
}

/// A container of the test image with no network, removed with `docker rm -f` on drop.
pub struct Container {
    name: String,
}

impl Container {
    /// Starts `koko-test-<suffix>-<test pid>` running `sleep 1000` with `--network none`.
    ///
    /// The test process's PID in the name keeps parallel runs apart, and `suffix` keeps the
    /// tests of one run apart. Panics with docker's output on failure.
    #[track_caller]
    pub fn run(name_suffix: &str) -> Container {
        let name = format!("koko-test-{name_suffix}-{}", std::process::id());
        let output = run_command(
            "docker",
            &["run", "-d", "--network", "none", "--name", &name, TEST_IMAGE, "sleep", "1000"],
        );
        // Take ownership before checking, so that a half-created container is removed.
        let container = Container { name };
        output.assert_success();
        container
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `args` inside the container with `docker exec`.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut full = vec!["exec", self.name.as_str()];
        full.extend_from_slice(args);
        run_command("docker", &full)
    }

    /// Returns the host PID of the container's first process.
    #[track_caller]
    pub fn pid(&self) -> u32 {
        let output = run_command("docker", &["inspect", "--format", "{{.State.Pid}}", &self.name]);
        output.assert_success();
        let text = output.stdout.trim();
        match text.parse::<u32>() {
            Ok(pid) if pid != 0 => pid,
            _ => panic!("container {} has no running process (State.Pid {text:?})", self.name),
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let output = run_command("docker", &["rm", "-f", &self.name]);
        if !output.success() {
            eprintln!("koko test harness: failed to remove container {}:\n{output}", self.name);
        }
    }
}
