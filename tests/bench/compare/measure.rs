//! Running a program as a whole process and measuring it: wall time, peak RSS (VmHWM sampled
//! from `/proc/PID/status` while it runs), exit code, and what it printed (counted, not kept,
//! so that a million-row listing costs the benchmark nothing but a pipe read).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A program to run with a cleared environment (only `PATH`, `LANG`, `HOME` and what is added).
#[derive(Debug, Clone)]
pub struct Proc {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub envs: Vec<(String, String)>,
    /// Keep this many bytes of stdout (the rest is only counted).
    pub keep: usize,
    /// Sample VmHWM while the process runs.
    pub sample_rss: bool,
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub elapsed: Duration,
    pub lines: u64,
    pub bytes: u64,
    /// The first `keep` bytes of stdout.
    pub head: Vec<u8>,
    pub stderr: String,
    pub peak_rss_kib: Option<u64>,
}

impl Proc {
    pub fn new(program: impl AsRef<Path>) -> Proc {
        Proc {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            envs: Vec::new(),
            keep: 0,
            sample_rss: false,
        }
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Proc {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Proc {
        self.envs.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn keep(mut self, n: usize) -> Proc {
        self.keep = n;
        self
    }

    pub fn sample_rss(mut self) -> Proc {
        self.sample_rss = true;
        self
    }

    /// Runs to completion. The clock starts before the spawn and stops at the child's exit.
    pub fn run(&self, home: &Path) -> Run {
        let mut cmd = Command::new(&self.program);
        cmd.env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
            )
            .env("LANG", "C.UTF-8")
            .env("HOME", home)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        let pid = child.id();
        let mut stdout = child.stdout.take().expect("stdout pipe");
        let mut stderr = child.stderr.take().expect("stderr pipe");
        let keep = self.keep;
        let out_thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let (mut lines, mut bytes, mut head) = (0u64, 0u64, Vec::new());
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let chunk = &buf[..n];
                        lines += memchr_count(chunk);
                        bytes += n as u64;
                        if head.len() < keep {
                            let take = (keep - head.len()).min(n);
                            head.extend_from_slice(&chunk[..take]);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => panic!("reading stdout: {e}"),
                }
            }
            (lines, bytes, head)
        });
        let err_thread = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let sampler = self.sample_rss.then(|| {
            let (done, peak) = (Arc::clone(&done), Arc::clone(&peak));
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if let Some(hwm) = vm_hwm_kib(pid) {
                        peak.fetch_max(hwm, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        });
        // The sampler reads VmHWM of the live process; the last sample before exit is the
        // peak, because VmHWM never goes down. A zombie has no VmHWM, so stop sampling there.
        let status = child.wait().expect("wait for child");
        let elapsed = started.elapsed();
        done.store(true, Ordering::Relaxed);
        if let Some(s) = sampler {
            s.join().expect("rss sampler");
        }
        let (lines, bytes, head) = out_thread.join().expect("stdout reader");
        let stderr = err_thread.join().expect("stderr reader");
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        let peak = peak.load(Ordering::Relaxed);
        Run {
            code,
            elapsed,
            lines,
            bytes,
            head,
            stderr,
            peak_rss_kib: (self.sample_rss && peak > 0).then_some(peak),
        }
    }
}

impl Run {
    /// Panics unless the run exited 0.
    #[track_caller]
    pub fn ok(self, what: &str) -> Run {
        assert_eq!(
            self.code,
            0,
            "{what} exited with {}: {}",
            self.code,
            self.stderr.trim()
        );
        self
    }
}

fn memchr_count(chunk: &[u8]) -> u64 {
    chunk.iter().filter(|&&b| b == b'\n').count() as u64
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The median of some samples (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "median of nothing");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs `pairs` alternating A/B pairs (A first in even pairs, B first in odd ones) after one
/// unmeasured warm-up of each, and returns the samples of each side. `before` runs before every
/// measured run (e.g. a CHECKPOINT); `check` panics when a run did not do the work.
pub fn ab<T>(
    pairs: usize,
    mut before: impl FnMut(),
    mut a: impl FnMut() -> T,
    mut b: impl FnMut() -> T,
) -> (Vec<T>, Vec<T>) {
    before();
    a();
    before();
    b();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..pairs {
        if i % 2 == 0 {
            before();
            xs.push(a());
            before();
            ys.push(b());
        } else {
            before();
            ys.push(b());
            before();
            xs.push(a());
        }
    }
    (xs, ys)
}
