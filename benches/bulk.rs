//! Bulk-mode benchmark: koko -f against `ip -batch`, plain and with interface groups, in
//! the same run, each in a fresh private network and mount namespace.
//!
//! Run as root: `cargo bench --bench bulk` (N = 100, 1000 and 4000) or
//! `cargo bench --bench bulk -- --quick` (N = 100 and 1000). `--runs K` takes the median of K runs (default 1). Needs `unshare`,
//! `ip` (iproute2) and `/usr/bin/time` (Debian package `time`).
//!
//! Scenarios: "pairs" is N veth pairs between namespaces A and B, ends aI in A and bI in
//! B, an IPv4 /30 on each end, both up. "star" is N spoke namespaces, each joined to one
//! hub namespace by a veth pair with an address on each end. "delete" starts from the
//! pairs state and deletes every pair. Only the tool's own run is timed: namespaces and
//! the starting state are set up before the clock starts.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const KOKO: &str = env!("CARGO_BIN_EXE_koko");

/// One timed run: wall seconds until the tool exits, seconds until the kernel settled
/// (0 when not measured), and for koko also user and system CPU seconds, peak RSS in KiB
/// and the most descriptors open at once.
#[derive(Debug, Default, Clone, Copy)]
struct Sample {
    wall: f64,
    settled: f64,
    user: f64,
    system: f64,
    rss_kib: u64,
    max_fds: u64,
}

fn address(i: usize, host: usize) -> String {
    format!("10.{}.{}.{}/30", i / 16384, (i / 64) % 256, (i % 64) * 4 + host)
}

/// Writes the input files of every method for one scenario and size into `dir`.
fn write_inputs(dir: &Path, scenario: &str, n: usize) {
    let mut koko = String::new();
    let mut plain_a = String::new();
    let mut plain_b = String::new();
    let mut grouped_a = String::new();
    let mut grouped_b = String::new();
    let mut spokes = String::new();
    let mut koko_delete = String::new();
    let mut plain_delete = String::new();
    for i in 0..n {
        let (a, b) = (address(i, 1), address(i, 2));
        match scenario {
            "star" => {
                let _ = writeln!(koko, "-n H,h{i},{a} -n S{i},s{i},{b}");
                let _ = writeln!(plain_a, "link add h{i} type veth peer name s{i} netns S{i}\naddr add {a} dev h{i}\nlink set h{i} up");
                let _ = writeln!(grouped_a, "link add h{i} group 1 type veth peer name s{i} netns S{i}\naddr add {a} dev h{i}");
                let _ = writeln!(spokes, "netns add S{i}");
                fs::write(
                    dir.join(format!("spoke{i}.batch")),
                    format!("addr add {b} dev s{i}\nlink set s{i} up\n"),
                )
                .unwrap();
            }
            _ => {
                let _ = writeln!(koko, "-n A,a{i},{a} -n B,b{i},{b}");
                let _ = writeln!(plain_a, "link add a{i} type veth peer name b{i} netns B\naddr add {a} dev a{i}\nlink set a{i} up");
                let _ = writeln!(plain_b, "addr add {b} dev b{i}\nlink set b{i} up");
                let _ = writeln!(grouped_a, "link add a{i} group 1 type veth peer name b{i} netns B group 1\naddr add {a} dev a{i}");
                let _ = writeln!(grouped_b, "addr add {b} dev b{i}");
                let _ = writeln!(koko_delete, "-N A,a{i}");
                let _ = writeln!(plain_delete, "link del dev a{i}");
            }
        }
    }
    grouped_a.push_str("link set group 1 up\n");
    grouped_b.push_str("link set group 1 up\n");
    for (name, text) in [
        ("koko.txt", koko),
        ("plain_a.batch", plain_a),
        ("plain_b.batch", plain_b),
        ("grouped_a.batch", grouped_a),
        ("grouped_b.batch", grouped_b),
        ("spokes.batch", spokes),
        ("koko_delete.txt", koko_delete),
        ("plain_delete.batch", plain_delete),
    ] {
        fs::write(dir.join(name), text).unwrap();
    }
}

/// Runs `setup`, then `timed`, in a fresh sandbox; returns the timed part's sample.
/// `timed` may wrap koko in `$TIME`, which reports CPU and peak RSS to `$DIR/time.out`.
/// When `settled` is a shell condition, the clock also runs until it holds (at most
/// 120 s, polled every 20 ms).
fn sandbox(dir: &Path, setup: &str, timed: &str, settled: &str) -> Sample {
    let wait = if settled.is_empty() {
        String::new()
    } else {
        format!(
            "i=0; until {settled}; do i=$((i+1)); [ $i -gt 6000 ] && break; sleep 0.02; done\n\
             t2=$(date +%s%N)\necho settled $((t2 - t0))\n"
        )
    };
    let script = format!(
        "set -e\nmount -t tmpfs tmpfs /run/netns\ncd {dir}\nTIME=\"/usr/bin/time -o {dir}/time.out -f %U_%S_%M\"\n{setup}\n\
         t0=$(date +%s%N)\n{timed}\nt1=$(date +%s%N)\necho wall $((t1 - t0))\n{wait}",
        dir = dir.display()
    );
    let _ = fs::remove_file(dir.join("time.out"));
    let output = Command::new("unshare")
        .args(["--net", "--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "benchmark sandbox failed:\n{script}\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let nanos: f64 = stdout
        .lines()
        .find_map(|line| line.strip_prefix("wall "))
        .and_then(|value| value.trim().parse().ok())
        .expect("the sandbox prints the wall time");
    let settled_nanos: f64 = stdout
        .lines()
        .find_map(|line| line.strip_prefix("settled "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_default();
    let mut sample =
        Sample { wall: nanos / 1e9, settled: settled_nanos / 1e9, ..Sample::default() };
    if let Ok(text) = fs::read_to_string(dir.join("time.out")) {
        let fields: Vec<&str> = text.lines().last().unwrap_or_default().trim().split('_').collect();
        if fields.len() == 3 {
            sample.user = fields[0].parse().unwrap_or_default();
            sample.system = fields[1].parse().unwrap_or_default();
            sample.rss_kib = fields[2].parse().unwrap_or_default();
        }
    }
    if let Ok(text) = fs::read_to_string(dir.join("fds.out")) {
        sample.max_fds = text.trim().parse().unwrap_or_default();
        let _ = fs::remove_file(dir.join("fds.out"));
    }
    sample
}

fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    samples[samples.len() / 2]
}

/// Runs `timed` `runs` times and returns the median run. The kernel tears the sandbox's
/// namespaces down in the background after each run, so a pause (an estimate: 0.5 s plus
/// 1 ms per link) keeps that work out of the next run.
fn measure(
    runs: usize,
    dir: &Path,
    setup: &str,
    timed: &str,
    settled: &str,
    links: usize,
) -> Sample {
    let samples = (0..runs)
        .map(|_| {
            let sample = sandbox(dir, setup, timed, settled);
            std::thread::sleep(std::time::Duration::from_millis(500 + links as u64));
            sample
        })
        .collect();
    median(samples)
}

/// Setup that creates the namespaces of `scenario`.
fn namespaces(scenario: &str) -> &'static str {
    if scenario == "star" {
        "ip netns add H\nip -batch spokes.batch"
    } else {
        "ip netns add A\nip netns add B"
    }
}

/// Returns a shell condition that is true once the kernel has given every new link its IPv6
/// link-local address, which it does only after the link is up with a carrier. For star
/// only the hub is checked, because listing thousands of spokes would slow the poll.
fn settled_condition(scenario: &str, n: usize) -> String {
    let count =
        |netns: &str| format!("[ $(ip -n {netns} -6 -o addr show scope link | wc -l) -ge {n} ]");
    if scenario == "star" {
        count("H")
    } else {
        format!("{} && {}", count("A"), count("B"))
    }
}

fn report(what: &str, n: usize, links: usize, sample: &Sample, baseline: Option<&Sample>) {
    let rate = links as f64 / sample.wall;
    let mut line = format!("{what:<34} N={n:<5} {:>9.3} s {rate:>9.0} links/s", sample.wall);
    if sample.settled > 0.0 {
        let _ = write!(line, "  settled {:>7.3} s", sample.settled);
    }
    if let Some(koko) = baseline {
        let _ = write!(line, "  koko is {:.2}x faster", sample.wall / koko.wall);
        if sample.settled > 0.0 && koko.settled > 0.0 {
            let _ = write!(line, " ({:.2}x until settled)", sample.settled / koko.settled);
        }
    } else {
        let cpu = (sample.user / sample.wall) * 100.0;
        let _ = write!(
            line,
            "  user {:.3} s ({cpu:.1}% of wall), sys {:.3} s, peak RSS {} KiB",
            sample.user, sample.system, sample.rss_kib
        );
    }
    println!("{line}");
}

/// Counts koko's open descriptors every 5 ms while it runs and writes the maximum to
/// `fds.out`. Used only in a separate, untimed run, because sampling costs CPU.
fn with_fd_sampler(command: &str) -> String {
    format!(
        "{command} &\npid=$!\nmax=0\nwhile [ -d /proc/$pid/fd ]; do n=$(ls /proc/$pid/fd 2>/dev/null | wc -l); \
         [ \"$n\" -gt \"$max\" ] && max=$n; sleep 0.005; done\nwait $pid\necho $max > fds.out"
    )
}

fn main() {
    let mut quick = false;
    let mut runs = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--runs" => {
                runs =
                    args.next().and_then(|value| value.parse().ok()).expect("--runs takes a number")
            }
            "--bench" => {}
            other => eprintln!("bulk bench: ignoring argument {other:?}"),
        }
    }
    let sizes: &[usize] = if quick { &[100, 1000] } else { &[100, 1000, 4000] };
    let dir: PathBuf = std::env::temp_dir().join(format!("koko-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    println!("koko {KOKO}; {} run(s) per figure, median", runs);

    let mut per_link_times = Vec::new();
    for scenario in ["pairs", "star"] {
        for &n in sizes {
            write_inputs(&dir, scenario, n);
            let ns = namespaces(scenario);
            let links = 2 * n;
            let settled = settled_condition(scenario, n);
            let koko =
                measure(runs, &dir, ns, &format!("$TIME {KOKO} -f koko.txt"), &settled, links);
            report(&format!("{scenario} create: koko -f"), n, links, &koko, None);
            per_link_times.push((scenario, n, koko.wall / links as f64));
            let (plain, grouped) = if scenario == "star" {
                let spokes = format!("i=0; while [ $i -lt {n} ]; do ip -n S$i -batch spoke$i.batch; i=$((i+1)); done");
                (
                    format!("ip -n H -batch plain_a.batch\n{spokes}"),
                    format!("ip -n H -batch grouped_a.batch\n{spokes}"),
                )
            } else {
                (
                    "ip -n A -batch plain_a.batch\nip -n B -batch plain_b.batch".to_string(),
                    "ip -n A -batch grouped_a.batch\nip -n B -batch grouped_b.batch".to_string(),
                )
            };
            let plain = measure(runs, &dir, ns, &plain, &settled, links);
            report(&format!("{scenario} create: ip -batch"), n, links, &plain, Some(&koko));
            let grouped = measure(runs, &dir, ns, &grouped, &settled, links);
            report(
                &format!("{scenario} create: ip -batch, groups"),
                n,
                links,
                &grouped,
                Some(&koko),
            );

            if scenario == "pairs" {
                let state = format!("{ns}\n{KOKO} -f koko.txt");
                let koko_delete = measure(
                    runs,
                    &dir,
                    &state,
                    &format!("$TIME {KOKO} -f koko_delete.txt"),
                    "",
                    links,
                );
                report("pairs delete: koko -f", n, n, &koko_delete, None);
                let plain =
                    measure(runs, &dir, &state, "ip -n A -batch plain_delete.batch", "", links);
                report("pairs delete: ip -batch, per link", n, n, &plain, Some(&koko_delete));
                let grouped_state =
                    format!("{ns}\nip -n A -batch grouped_a.batch\nip -n B -batch grouped_b.batch");
                let group =
                    measure(runs, &dir, &grouped_state, "ip -n A link del group 1", "", links);
                report("pairs delete: ip link del group", n, n, &group, Some(&koko_delete));
            }
        }
    }

    let largest = *sizes.last().unwrap();
    for (scenario, _, _) in per_link_times.iter().filter(|(_, n, _)| *n == sizes[0]) {
        let small =
            per_link_times.iter().find(|(s, n, _)| s == scenario && *n == sizes[0]).unwrap().2;
        let large =
            per_link_times.iter().find(|(s, n, _)| s == scenario && *n == largest).unwrap().2;
        println!(
            "{scenario}: per-link time at N={largest} is {:.2}x that at N={} ({:.1} us vs {:.1} us)",
            large / small,
            sizes[0],
            large * 1e6,
            small * 1e6
        );
    }

    for scenario in ["pairs", "star"] {
        write_inputs(&dir, scenario, largest);
        let sample = sandbox(
            &dir,
            namespaces(scenario),
            &with_fd_sampler(&format!("{KOKO} -f koko.txt")),
            "",
        );
        println!(
            "{scenario} N={largest}: at most {} descriptors open in koko (sampled every 5 ms)",
            sample.max_fds
        );
    }
    write_inputs(&dir, "star", 10);
    let sample =
        sandbox(&dir, namespaces("star"), &with_fd_sampler(&format!("{KOKO} -f koko.txt")), "");
    println!("star N=10: at most {} descriptors open in koko (sampled every 5 ms)", sample.max_fds);

    let _ = fs::remove_dir_all(&dir);
}
