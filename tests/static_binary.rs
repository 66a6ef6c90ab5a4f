//! Tests of the static musl build: it links nothing at run time, stays small, and
//! connects two namespaces from a root that contains only the binary, `/proc` and the
//! namespace files.
//!
//! The test runs `cargo build --release --target x86_64-unknown-linux-musl` itself, in
//! the same target directory as the test run, so it always checks the current sources.
//! After `.ci/run` has built the binary, that build only confirms it is fresh.

mod common;

use common::Sandbox;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";

/// Maximum size of the release binary, so that it fits on minimal hosts and initramfs
/// images next to busybox.
const MAX_BINARY_BYTES: u64 = 1024 * 1024;

/// Returns the target directory of this test run. `CARGO_BIN_EXE_koko` is
/// `TARGET_DIR/PROFILE/koko`, or `TARGET_DIR/TRIPLE/PROFILE/koko` with `--target`, and
/// cargo marks the target directory itself with a `CACHEDIR.TAG` file.
fn target_dir() -> PathBuf {
    let bin = Path::new(common::koko_bin());
    let profile_dir = bin.parent().expect("koko binary path has a parent");
    let dir = profile_dir.parent().expect("profile directory has a parent");
    if dir.join("CACHEDIR.TAG").exists() {
        return dir.to_path_buf();
    }
    match dir.parent() {
        Some(parent) if parent.join("CACHEDIR.TAG").exists() => parent.to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// Builds the static release binary once per test run and returns its path, or the reason
/// it cannot be built here (the musl target is not installed).
fn static_binary() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(build_static_binary).clone()
}

fn build_static_binary() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = target_dir();
    let output = Command::new(&cargo)
        .args(["build", "--release", "--target", MUSL_TARGET, "--bin", "koko"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|error| panic!("failed to start {cargo:?}: {error}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("target may not be installed") {
            return Err(format!(
                "the {MUSL_TARGET} target is not installed (rustup target add {MUSL_TARGET})"
            ));
        }
        panic!(
            "cargo build --release --target {MUSL_TARGET} failed ({}):\n{stderr}",
            output.status
        );
    }
    Ok(target_dir.join(MUSL_TARGET).join("release").join("koko"))
}

/// Returns the static binary, or `None` after printing why the test is skipped. Under
/// `CI=true` a missing musl target fails the test instead.
#[track_caller]
fn require_static_binary() -> Option<PathBuf> {
    match static_binary() {
        Ok(path) => Some(path),
        Err(reason) if common::in_ci() => {
            panic!("koko test requirement missing under CI=true: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// Facts about an ELF file that decide whether it needs a dynamic loader.
#[derive(Debug)]
struct ElfLinking {
    /// Whether a `PT_INTERP` program header names a dynamic loader.
    has_interpreter: bool,
    /// Number of `DT_NEEDED` entries, the shared libraries the loader would map.
    needed_libraries: usize,
}

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const EM_X86_64: u16 = 62;

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, String> {
    let field = bytes.get(at..at + 2).ok_or(format!("ELF file ends before offset {}", at + 2))?;
    Ok(u16::from_le_bytes(field.try_into().unwrap()))
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, String> {
    let field = bytes.get(at..at + 4).ok_or(format!("ELF file ends before offset {}", at + 4))?;
    Ok(u32::from_le_bytes(field.try_into().unwrap()))
}

fn read_u64(bytes: &[u8], at: usize) -> Result<u64, String> {
    let field = bytes.get(at..at + 8).ok_or(format!("ELF file ends before offset {}", at + 8))?;
    Ok(u64::from_le_bytes(field.try_into().unwrap()))
}

fn to_usize(value: u64) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("ELF offset {value} does not fit in usize"))
}

/// Reads the program headers and the dynamic section of a little-endian ELF64 x86-64
/// executable, the layout that the ELF gABI and the x86-64 psABI define.
fn parse_elf_linking(bytes: &[u8]) -> Result<ElfLinking, String> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err("no ELF magic".to_string());
    }
    // e_ident[EI_CLASS] = ELFCLASS64, e_ident[EI_DATA] = ELFDATA2LSB.
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err("not a little-endian ELF64 file".to_string());
    }
    let machine = read_u16(bytes, 18)?;
    if machine != EM_X86_64 {
        return Err(format!("e_machine is {machine}, expected {EM_X86_64} (x86-64)"));
    }
    let header_offset = to_usize(read_u64(bytes, 32)?)?;
    let header_size = usize::from(read_u16(bytes, 54)?);
    let header_count = usize::from(read_u16(bytes, 56)?);
    if header_size < 56 {
        return Err(format!("e_phentsize is {header_size}, less than the 56 bytes of Elf64_Phdr"));
    }

    let mut linking = ElfLinking { has_interpreter: false, needed_libraries: 0 };
    for index in 0..header_count {
        let header = header_offset + index * header_size;
        match read_u32(bytes, header)? {
            PT_INTERP => linking.has_interpreter = true,
            PT_DYNAMIC => {
                let offset = to_usize(read_u64(bytes, header + 8)?)?;
                let size = to_usize(read_u64(bytes, header + 32)?)?;
                for entry in (offset..offset + size).step_by(16) {
                    match read_u64(bytes, entry)? {
                        DT_NULL => break,
                        DT_NEEDED => linking.needed_libraries += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(linking)
}

#[test]
fn elf_parser_sees_dynamic_test_binary() {
    // The test binary links glibc dynamically, so the parser must find what the static
    // binary lacks, or the assertions on the static binary would prove nothing.
    let own = std::fs::read("/proc/self/exe").expect("read /proc/self/exe");
    let linking = parse_elf_linking(&own).expect("parse the test binary");
    if cfg!(target_env = "gnu") {
        assert!(linking.has_interpreter, "{linking:?}");
        assert!(linking.needed_libraries > 0, "{linking:?}");
    }
}

#[test]
fn musl_binary_is_static() {
    let Some(path) = require_static_binary() else {
        return;
    };
    let bytes =
        std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let linking =
        parse_elf_linking(&bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(!linking.has_interpreter, "{} has a PT_INTERP header", path.display());
    assert_eq!(linking.needed_libraries, 0, "{} has DT_NEEDED entries", path.display());
}

#[test]
fn musl_binary_fits_in_one_mib() {
    let Some(path) = require_static_binary() else {
        return;
    };
    let size = std::fs::metadata(&path)
        .unwrap_or_else(|error| panic!("stat {}: {error}", path.display()))
        .len();
    eprintln!("{}: {size} bytes", path.display());
    assert!(
        size <= MAX_BINARY_BYTES,
        "{} is {size} bytes, more than {MAX_BINARY_BYTES}",
        path.display()
    );
}

#[test]
fn musl_binary_prints_version_and_commit() {
    let Some(path) = require_static_binary() else {
        return;
    };
    let output = common::run_command("env", &["-i", path.to_str().unwrap(), "--version"]);
    output.assert_success();
    let expected = format!("koko {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(output.stdout.starts_with(&expected), "{output}");
    assert!(!output.stdout.contains("(commit )"), "empty commit:\n{output}");

    // In a git checkout build.rs records HEAD. Outside one (a source tarball) it records
    // "unknown" unless KOKO_COMMIT is set, so there is nothing to compare with.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Ok(head) = head {
        let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
        if head.status.success() && std::env::var_os("KOKO_COMMIT").is_none() {
            assert!(
                output.stdout.contains(&format!("(commit {commit})")),
                "HEAD is {commit}:\n{output}"
            );
        }
    }
}

/// A directory under the system temporary directory, removed on drop. The test mounts a
/// tmpfs on it inside the sandbox only, so outside it stays an empty directory.
struct EmptyDir(PathBuf);

impl EmptyDir {
    fn new(label: &str) -> EmptyDir {
        let path = std::env::temp_dir().join(format!("koko-{label}-{}", std::process::id()));
        std::fs::create_dir(&path)
            .unwrap_or_else(|error| panic!("mkdir {}: {error}", path.display()));
        EmptyDir(path)
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

// The root contains /koko, a fresh /proc and the sandbox's /run/netns, and nothing else: no
// /etc, no /lib, no loader, no locale files. `env -i` leaves koko no environment at all.
const EMPTY_ROOT_SCRIPT: &str = r#"set -e
root=$1 bin=$2
mount -t tmpfs -o mode=0755 koko-static-root "$root"
cp "$bin" "$root/koko"
mkdir -p "$root/proc" "$root/run/netns"
mount -t proc proc "$root/proc"
mount --rbind /run/netns "$root/run/netns"
"#;

/// Returns the absolute path of `chroot`, which `env -i` cannot find without `PATH`.
fn chroot() -> &'static str {
    const CANDIDATES: [&str; 4] =
        ["/usr/sbin/chroot", "/sbin/chroot", "/usr/bin/chroot", "/bin/chroot"];
    CANDIDATES
        .into_iter()
        .find(|path| Path::new(path).exists())
        .unwrap_or_else(|| panic!("chroot not found in {CANDIDATES:?}; install coreutils"))
}

#[test]
fn musl_binary_connects_from_empty_root() {
    if !common::require_root() {
        return;
    }
    let Some(path) = require_static_binary() else {
        return;
    };
    let root_dir = EmptyDir::new("static-root");
    let root = root_dir.0.to_str().unwrap();
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    sandbox.add_netns("B");
    sandbox
        .run("sh", &["-c", EMPTY_ROOT_SCRIPT, "sh", root, path.to_str().unwrap()])
        .assert_success();

    let listing = sandbox.run("ls", &["-A", root]);
    listing.assert_success();
    assert_eq!(listing.stdout.split_whitespace().collect::<Vec<_>>(), ["koko", "proc", "run"]);

    sandbox
        .run(
            "env",
            &[
                "-i",
                chroot(),
                root,
                "/koko",
                "-a",
                "/run/netns/A,a,10.0.0.1/24",
                "-a",
                "/run/netns/B,b,10.0.0.2/24",
            ],
        )
        .assert_success();
    assert_eq!(sandbox.addrs(Some("A"), "a")[0], "10.0.0.1/24");
    assert_eq!(sandbox.addrs(Some("B"), "b")[0], "10.0.0.2/24");
    sandbox.ping("A", "10.0.0.2").assert_success();

    // -n looks the names up in /run/netns, which the root provides.
    sandbox
        .run(
            "env",
            &["-i", chroot(), root, "/koko", "-n", "A,a2,10.0.1.1/24", "-n", "B,b2,10.0.1.2/24"],
        )
        .assert_success();
    sandbox.ping("B", "10.0.1.1").assert_success();

    let version = sandbox.run("env", &["-i", chroot(), root, "/koko", "--version"]);
    version.assert_success();
    assert!(version.stdout.starts_with("koko "), "{version}");
}

#[test]
fn musl_binary_errors_in_empty_root() {
    if !common::require_root() {
        return;
    }
    let Some(path) = require_static_binary() else {
        return;
    };
    let root_dir = EmptyDir::new("static-errors");
    let root = root_dir.0.to_str().unwrap();
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    sandbox
        .run("sh", &["-c", EMPTY_ROOT_SCRIPT, "sh", root, path.to_str().unwrap()])
        .assert_success();
    let before = sandbox.snapshot();

    let missing = sandbox.run("env", &["-i", chroot(), root, "/koko", "-n", "A,a", "-n", "B,b"]);
    missing.assert_failure();
    assert_eq!(missing.status.code(), Some(1), "{missing}");
    assert!(missing.stderr.starts_with("koko: netns \"B\" not found"), "{missing}");

    let usage = sandbox.run("env", &["-i", chroot(), root, "/koko", "--mtu", "x"]);
    assert_eq!(usage.status.code(), Some(2), "{usage}");
    assert!(usage.stderr.starts_with("koko: "), "{usage}");
    assert_eq!(sandbox.snapshot(), before);
}

/// Paths that `strace` shows koko opening or looking up, from lines such as
/// `openat(AT_FDCWD, "/run/netns/A", O_RDONLY) = 3`.
fn traced_paths(trace: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in trace.lines() {
        let Some(start) = line.find('"') else {
            continue;
        };
        let rest = &line[start + 1..];
        if let Some(end) = rest.find('"') {
            paths.push(rest[..end].to_string());
        }
    }
    paths
}

#[test]
fn musl_binary_opens_only_namespace_files() {
    if !common::require_root() {
        return;
    }
    let Some(path) = require_static_binary() else {
        return;
    };
    if Command::new("strace").arg("-V").output().is_err() {
        if common::in_ci() {
            panic!("koko test requirement missing under CI=true: strace is not installed");
        }
        eprintln!("skipped: strace is not installed");
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.add_netns("A");
    sandbox.add_netns("B");

    // `env -i` starts strace, and so koko, with an empty environment. strace traces only
    // koko, because it starts koko itself.
    let traced = sandbox.run(
        "env",
        &[
            "-i",
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=%file",
            "--",
            path.to_str().unwrap(),
            "-n",
            "A,a,10.0.0.1/24",
            "-a",
            "/run/netns/B,b",
        ],
    );
    traced.assert_success();
    let paths = traced_paths(&traced.stderr);
    let unexpected: Vec<&String> = paths
        .iter()
        .filter(|opened| {
            !opened.starts_with("/run/netns/")
                && opened.as_str() != "/proc/thread-self/ns/net"
                && Path::new(opened.as_str()) != path.as_path()
        })
        .collect();
    assert!(unexpected.is_empty(), "koko touched {unexpected:?}:\n{traced}");
    assert!(paths.iter().any(|opened| opened == "/run/netns/A"), "{traced}");
    assert!(paths.iter().any(|opened| opened == "/run/netns/B"), "{traced}");
}
