//! Codec benchmark: decodes typical SCS sessions (made by the Go peer) on one core and, when
//! `go` is installed, compares with Go's own decoding of the same blobs.
//!
//! `cargo bench --bench codec` (set `SCSCTL_BENCH_DECODE_ONLY=1` to time only Rust's decoding of
//! the first blob, e.g. under a profiler).

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use scsctl::session::{self, Decoded};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gob");
const BLOBS: &[&str] = &["typical_session.gob", "user.gob", "realistic_session.gob"];

/// Runs `f` over the blobs for about `time`; returns sessions per second.
fn rate(blobs: &[Vec<u8>], time: Duration, mut f: impl FnMut(&[u8])) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < time {
        for _ in 0..1000 {
            for b in blobs {
                f(black_box(b));
            }
        }
        n += 1000 * blobs.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
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
    if std::env::var_os("SCSCTL_BENCH_DECODE_ONLY").is_some() {
        let blobs = vec![std::fs::read(Path::new(FIXTURES).join(BLOBS[0])).expect("fixture")];
        let decode = rate(&blobs, Duration::from_secs(5), |b| {
            black_box(session::decode(b));
        });
        println!("{}: rust decode {decode:.0} sessions/s", BLOBS[0]);
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
        let decode = rate(&blobs, time, |b| {
            black_box(session::decode(b));
        });
        let json = rate(&blobs, time, |b| {
            if let Decoded::Gob(s) = session::decode(b) {
                black_box(s.values_json());
            }
        });
        println!("{name} ({size} bytes)");
        println!(
            "  rust decode:          {:>10.0} sessions/s  {:>7.1} MB/s",
            decode,
            decode * size as f64 / 1e6
        );
        println!("  rust decode + JSON:   {:>10.0} sessions/s", json);
        match go_rate(&[path.display().to_string()]) {
            Some(go) => println!(
                "  go decode (SCS way):  {:>10.0} sessions/s  -> rust is {:.1}x Go",
                go,
                decode / go
            ),
            None => println!("  go decode: skipped (`go` not installed)"),
        }
    }
}
