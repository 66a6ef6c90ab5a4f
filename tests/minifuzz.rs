//! Deterministic mini-fuzz of the command-line and container-engine parsers. It covers
//! what their unit tests do not: bulk-line quoting that round-trips, a bulk line that
//! gives the same plan as its words on the command line, arguments made of arbitrary
//! bytes, and the inspect readers on damaged replies. The HTTP and JSON parsers have
//! their own random-input tests in `src/runtime/`.
//!
//! A fixed-seed xorshift generator makes every failure reproducible. The invariants are
//! the ones the cargo-fuzz targets check, from `fuzz/checks/koko.rs`.

#[path = "../fuzz/checks/koko.rs"]
mod checks;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Options with values that validate, so that random lines often form whole plans.
const PAIRS: &[(&str, &str)] = &[
    ("-n", "A,a,10.0.0.1/24"),
    ("-n", "B,b,fd00::2/64"),
    ("-d", "web,eth1"),
    ("-p", "4242,eth2,mac=02:00:00:00:00:02"),
    ("-c", "abc123,c0"),
    ("-a", "/run/netns/A,a"),
    ("-x", "eth0,10.0.0.9,42,port=4789"),
    ("-M", "eth0,bridge"),
    ("-V", "eth0,100"),
    ("-n", "A,m0,mirror:both:eth0"),
    ("-N", "A,a"),
    ("--mtu", "1400"),
    ("--wait", "5"),
    ("-f", "/tmp/lines"),
];

/// Command-line words and pieces of words that reach most branches of the parser.
const WORDS: &[&str] = &[
    "-n",
    "-N",
    "-d",
    "-D",
    "-p",
    "-P",
    "-c",
    "-C",
    "-a",
    "-A",
    "-e",
    "-E",
    "-x",
    "-M",
    "-V",
    "--mtu",
    "--wait",
    "--nodad",
    "-f",
    "--keep-going",
    "--atomic",
    "--help",
    "-v",
    "--",
    "A,a,10.0.0.1/24",
    "B,b,fd00::2/64",
    "web,eth1",
    "4242,eth2,mac=02:00:00:00:00:02",
    "eth0,10.0.0.9,42,port=4789",
    "eth0,bridge",
    "eth0,100",
    "A,m0,mirror:both:eth0",
    "/run/netns/A,a",
    "1400",
    "5",
    "0",
    "65536",
];

/// Pieces of bulk-file lines: quotes, escapes, comments and separators.
const LINE_PIECES: &[&str] = &[
    " ", "\t", "'", "\"", "\\", "\\\"", "#", "''", "\"\"", ",", ":", "=", "\u{e9}", "\u{a0}",
    "\u{2028}", "\r", "\0",
];

const INSPECT_SAMPLES: &[&str] = &[
    r#"{"Id":"4f3c","State":{"Status":"running","Running":true,"Pid":4242,"ExitCode":0}}"#,
    r#"{"State":{"Running":false,"Pid":0}}"#,
    r#"{"name":"k8s_pod","pid":1234,"image":"busybox","ip_addresses":["10.0.0.2"]}"#,
    r#"{"pid":2147483647,"State":{"Pid":2147483648,"Running":true}}"#,
    r#"{"pid":-1,"State":{"Pid":1e3}}"#,
];

/// xorshift64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Flips, replaces, deletes or inserts a few bytes of `sample`.
    fn mutate(&mut self, sample: &[u8]) -> Vec<u8> {
        let mut out = sample.to_vec();
        for _ in 0..1 + self.below(3) {
            let at = if out.is_empty() { 0 } else { self.below(out.len()) };
            match self.below(4) {
                0 if !out.is_empty() => out[at] ^= 1 << self.below(8),
                1 if !out.is_empty() => out[at] = b"{}[]\":,0123456789-e.\\ \xff"[self.below(23)],
                2 => out.truncate(at),
                _ => out.insert(at, self.next() as u8),
            }
        }
        out
    }
}

/// Writes `word` as a bulk-file line may spell it: bare, quoted, or partly quoted.
fn spell(rng: &mut Rng, word: &str) -> String {
    match rng.below(5) {
        0 => format!("'{word}'"),
        1 => format!("\"{word}\""),
        2 if word.len() > 1 => format!("{}'{}'", &word[..1], &word[1..]),
        _ => word.to_owned(),
    }
}

#[test]
fn bulk_lines_round_trip() {
    let mut rng = Rng(0x6b6f_6b6f_636c_0001);
    let mut plans = 0;
    for _ in 0..20_000 {
        let mut line = String::new();
        for _ in 0..rng.below(4) {
            let (option, value) = PAIRS[rng.below(PAIRS.len())];
            line.push_str(&spell(&mut rng, option));
            line.push_str(rng.pick(&[" ", "  ", "\t"]));
            line.push_str(&spell(&mut rng, value));
            line.push(' ');
        }
        for _ in 0..rng.below(3) {
            let at = rng.below(line.len() + 1);
            if line.is_char_boundary(at) {
                let piece = if rng.below(2) == 0 { rng.pick(WORDS) } else { rng.pick(LINE_PIECES) };
                line.insert_str(at, piece);
            }
        }
        if rng.below(4) == 0 {
            line.push_str("# comment 'x");
        }
        if checks::check_line(&line) {
            plans += 1;
        }
    }
    // Without whole plans the comparison with from_args would never run.
    assert!(plans > 1_000, "only {plans} lines validated into plans");
}

#[test]
fn argument_bytes_never_panic() {
    let mut rng = Rng(0x6b6f_6b6f_636c_0002);
    for _ in 0..20_000 {
        let mut args = Vec::new();
        for _ in 0..rng.below(6) {
            let mut arg = rng.pick(WORDS).as_bytes().to_vec();
            if rng.below(3) == 0 {
                arg = rng.mutate(&arg);
            }
            args.push(OsString::from_vec(arg));
        }
        checks::check_args(&args);
    }
}

#[test]
fn inspect_readers_survive_damaged_replies() {
    let mut rng = Rng(0x6b6f_6b6f_636c_0003);
    for round in 0..30_000 {
        let sample = INSPECT_SAMPLES[round % INSPECT_SAMPLES.len()];
        checks::check_inspect_readers(&rng.mutate(sample.as_bytes()));
    }
}
