//! Codec benchmark: decodes typical SCS sessions (made by the Go peer) on one core and, when
//! `go` is installed, compares with Go's own decoding of the same blobs.
//!
//! `cargo bench --bench codec` (set `SCSCTL_BENCH_DECODE_ONLY=1` to time only Rust's decoding of
//! the first blob, e.g. under a profiler; add `SCSCTL_BENCH_N=100000` to decode exactly that
//! many times, e.g. under `valgrind --tool=callgrind` for instruction counts).
//!
//! Rates are given per CPU-second of this thread (from `/proc/thread-self/schedstat`) as well as
//! per wall-clock second: the CPU figure is the one to compare on a shared machine.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use scsctl::session::{self, Decoded};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gob");
const BLOBS: &[&str] = &["typical_session.gob", "user.gob", "realistic_session.gob"];

/// CPU time this thread has used, if the kernel says (Linux).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Sessions per second: per CPU-second of this thread (if known) and per wall-clock second.
#[derive(Clone, Copy)]
struct Rate {
    cpu: Option<f64>,
    wall: f64,
}

impl Rate {
    /// The CPU figure when known, else the wall-clock one.
    fn best(self) -> f64 {
        self.cpu.unwrap_or(self.wall)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.cpu {
            Some(cpu) => write!(f, "{cpu:>10.0} sessions/CPU-s ({:>9.0}/s wall)", self.wall),
            None => write!(f, "{:>10.0} sessions/s wall", self.wall),
        }
    }
}

/// Runs `f` over the blobs for about `time` (or exactly `n` rounds); returns the rate.
fn rate(
    blobs: &[Vec<u8>],
    time: Duration,
    n_rounds: Option<u64>,
    mut f: impl FnMut(&[u8]),
) -> Rate {
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let mut n = 0u64;
    match n_rounds {
        Some(rounds) => {
            for _ in 0..rounds {
                for b in blobs {
                    f(black_box(b));
                }
            }
            n = rounds * blobs.len() as u64;
        }
        None => {
            while start.elapsed() < time {
                for _ in 0..1000 {
                    for b in blobs {
                        f(black_box(b));
                    }
                }
                n += 1000 * blobs.len() as u64;
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) if b > a => Some(n as f64 / (b - a).as_secs_f64()),
        _ => None,
    };
    Rate {
        cpu,
        wall: n as f64 / wall,
    }
}

fn go_rate(files: &[String]) -> Option<f64> {
    Command::new("go").arg("version").output().ok()?;
    let bin = std::env::temp_dir().join(format!("scsctl-bench-go-peer-{}", std::process::id()));
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-peer"))
        .status()
        .ok()?;
    if !built.success() {
        return None;
    }
    let out = Command::new(&bin).arg("bench").args(files).output().ok()?;
    let _ = std::fs::remove_file(&bin);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("sessions_per_sec ")?.trim().parse().ok())
}

fn main() {
    let time = Duration::from_secs(2);
    let n_rounds = std::env::var("SCSCTL_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok());
    if std::env::var_os("SCSCTL_BENCH_DECODE_ONLY").is_some() {
        let blobs = vec![std::fs::read(Path::new(FIXTURES).join(BLOBS[0])).expect("fixture")];
        let decode = rate(&blobs, Duration::from_secs(5), n_rounds, |b| {
            black_box(session::decode(b));
        });
        println!("{}: rust decode {decode}", BLOBS[0]);
        return;
    }
    for name in BLOBS {
        let path = Path::new(FIXTURES).join(name);
        let blob = std::fs::read(&path).expect("fixture");
        assert!(
            matches!(session::decode(&blob), Decoded::Gob(_)),
            "{name} must decode"
        );
        let blobs = vec![blob];
        let size = blobs[0].len();
        let decode = rate(&blobs, time, n_rounds, |b| {
            black_box(session::decode(b));
        });
        // As `list --values` does: decode, then write the values' JSON into a reused buffer.
        let mut out = Vec::with_capacity(4096);
        let json = rate(&blobs, time, n_rounds, |b| {
            if let Decoded::Gob(s) = session::decode(b) {
                out.clear();
                s.write_values_json(&mut out);
                black_box(&out);
            }
        });
        println!("{name} ({size} bytes)");
        println!(
            "  rust decode:          {decode}  {:>7.1} MB/CPU-s",
            decode.best() * size as f64 / 1e6
        );
        println!("  rust decode + JSON:   {json}");
        match go_rate(&[path.display().to_string()]) {
            Some(go) => println!(
                "  go decode (SCS way):  {:>10.0} sessions/s wall  -> rust is {:.1}x Go",
                go,
                decode.best() / go
            ),
            None => println!("  go decode: skipped (`go` not installed)"),
        }
    }
}
