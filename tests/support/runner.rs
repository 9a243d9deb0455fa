//! Running the real `scsctl` binary (or any program) with a cleared environment.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cluster::{TestDb, scratch_dir};
use super::random_hex;

/// Default timeout of [`Scsctl::run`] and [`Running::wait_with_output`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A fluent runner for the real `scsctl` binary.
///
/// The child gets a cleared environment: only `PATH`, `LANG=C.UTF-8` and `HOME` (a fresh
/// empty temporary directory per run, removed afterwards, unless the test sets `HOME`) are
/// passed, so no `PG*`, `SCSCTL_*`, `DATABASE_URL`, `NO_COLOR` or `TERM` of the machine
/// leaks in and no `~/.pgpass` of the machine is read. Add variables with
/// [`Scsctl::env`]. stdin is empty unless [`Scsctl::stdin`] is used.
#[derive(Debug, Clone)]
pub struct Scsctl {
    program: PathBuf,
    pre_args: Vec<OsString>,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    current_dir: Option<PathBuf>,
}

/// The result of a finished run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code; 128 + n if the process was killed by signal n.
    pub code: i32,
    /// Raw stdout.
    pub stdout: Vec<u8>,
    /// stderr (lossily decoded).
    pub stderr: String,
    /// Peak resident set size of the process in KiB (VmHWM sampled every 5 ms while it ran).
    pub max_rss_kib: Option<u64>,
    /// Wall-clock run time.
    pub elapsed: Duration,
    /// The command line, for failure messages.
    pub command: String,
}

impl Default for Scsctl {
    fn default() -> Self {
        Scsctl::new()
    }
}

impl Scsctl {
    /// A runner for `target/.../scsctl`.
    pub fn new() -> Scsctl {
        Scsctl::command(env!("CARGO_BIN_EXE_scsctl"))
    }

    /// A runner for any program, with the same cleared environment and helpers (e.g.
    /// `psql`, or the Go peer).
    pub fn command(program: impl AsRef<OsStr>) -> Scsctl {
        Scsctl {
            program: PathBuf::from(program.as_ref()),
            pre_args: Vec::new(),
            args: Vec::new(),
            envs: Vec::new(),
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
            current_dir: None,
        }
    }

    /// Targets the test database: passes `--database-url URL` before all other arguments.
    pub fn db(mut self, db: &TestDb) -> Self {
        self.pre_args = vec!["--database-url".into(), db.url().into()];
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args<I>(mut self, it: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args
            .extend(it.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((k.as_ref().to_owned(), Some(v.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable (one of the defaults, or one set earlier).
    pub fn env_remove(mut self, k: impl AsRef<OsStr>) -> Self {
        self.envs.push((k.as_ref().to_owned(), None));
        self
    }

    /// Feeds these bytes to the child's stdin (then closes it).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Sets the working directory of the child.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Sets the timeout (default 60 s): on expiry the child is killed and the test panics.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    fn describe(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in self.pre_args.iter().chain(&self.args) {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Runs to completion and returns the output (whatever the exit code).
    pub fn run(self) -> Output {
        let timeout = self.timeout;
        let running = self.spawn();
        running.wait_with_output(timeout)
    }

    /// Starts the program in the background (for daemons); see [`Running`].
    pub fn spawn(self) -> Running {
        let command = self.describe();
        let mut cmd = Command::new(&self.program);
        cmd.env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
            )
            .env("LANG", "C.UTF-8");
        let mut home = None;
        if !self.envs.iter().any(|(k, _)| k == "HOME") {
            let dir = scratch_dir().join(format!("home-{}", random_hex(8)));
            fs::create_dir_all(&dir).expect("create temporary HOME");
            cmd.env("HOME", &dir);
            home = Some(dir);
        }
        for (k, v) in &self.envs {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.args(&self.pre_args).args(&self.args);
        if let Some(dir) = &self.current_dir {
            cmd.current_dir(dir);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        let pid = child.id() as i32;

        let stdin_thread = match (child.stdin.take(), self.stdin) {
            (Some(mut pipe), Some(bytes)) => Some(std::thread::spawn(move || {
                // The child may exit without reading everything; that is not our error.
                let _ = pipe.write_all(&bytes);
            })),
            _ => None,
        };
        let stdout = Arc::new(Captured::default());
        let stderr = Arc::new(Captured::default());
        let readers = vec![
            reader(
                child.stdout.take().expect("stdout pipe"),
                Arc::clone(&stdout),
            ),
            reader(
                child.stderr.take().expect("stderr pipe"),
                Arc::clone(&stderr),
            ),
        ];
        // The child is reaped by this thread, never by std. Its peak RSS is sampled from
        // /proc/PID/status (VmHWM) while it runs: wait4's ru_maxrss would also count the
        // memory of this (large, multi-threaded) test process, inherited across exec.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut status = 0;
            let mut peak: Option<u64> = None;
            // SAFETY: a zeroed rusage is a valid value.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            let r = loop {
                if let Some(hwm) = vm_hwm_kib(pid) {
                    peak = Some(peak.map_or(hwm, |p| p.max(hwm)));
                }
                // SAFETY: `status` and `usage` are live locals; WNOHANG never blocks.
                let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
                if r == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                if r == -1
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                break r;
            };
            let code = if r != pid {
                -1
            } else if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                -1
            };
            // A process too short-lived to be sampled falls back to wait4's figure, an upper
            // bound (see above).
            let rss = if r == pid {
                peak.or(Some(usage.ru_maxrss as u64))
            } else {
                None
            };
            let _ = tx.send((code, rss));
        });
        drop(child);
        Running {
            pid,
            command,
            started,
            exit: Mutex::new(Exit::Running(rx)),
            stdout,
            stderr,
            readers: Mutex::new(readers),
            stdin_thread,
            home,
        }
    }
}

/// Output captured so far from one pipe, with a condition variable for waiters.
#[derive(Default)]
struct Captured {
    buf: Mutex<Vec<u8>>,
    /// Set when the pipe reached EOF (all writers, including grandchildren, closed it).
    closed: AtomicBool,
    changed: Condvar,
}

impl Captured {
    /// Waits until the pipe is closed or the deadline passes.
    fn wait_closed(&self, deadline: Instant) {
        let mut buf = self.buf.lock().unwrap();
        while !self.closed.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            let wait = (deadline - now).min(Duration::from_millis(100));
            buf = self.changed.wait_timeout(buf, wait).unwrap().0;
        }
    }
}

fn reader(mut pipe: impl Read + Send + 'static, into: Arc<Captured>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    into.buf.lock().unwrap().extend_from_slice(&chunk[..n]);
                    into.changed.notify_all();
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _guard = into.buf.lock().unwrap();
        into.closed.store(true, Ordering::SeqCst);
        into.changed.notify_all();
    })
}

enum Exit {
    Running(Receiver<(i32, Option<u64>)>),
    Done(i32, Option<u64>, Duration),
}

/// A program started with [`Scsctl::spawn`]. Dropping it kills (SIGKILL) and reaps the
/// process if it is still running.
pub struct Running {
    pid: i32,
    command: String,
    started: Instant,
    exit: Mutex<Exit>,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    readers: Mutex<Vec<JoinHandle<()>>>,
    stdin_thread: Option<JoinHandle<()>>,
    home: Option<PathBuf>,
}

impl Running {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Sends a signal (e.g. `libc::SIGHUP`) if the process is still running.
    pub fn signal(&self, sig: i32) {
        if self.try_wait().is_none() {
            // SAFETY: kill has no memory-safety preconditions; the pid is not reaped yet
            // (try_wait saw no exit status).
            unsafe {
                libc::kill(self.pid, sig);
            }
        }
    }

    /// Asks the process to stop (SIGTERM).
    pub fn terminate(&self) {
        self.signal(libc::SIGTERM);
    }

    /// Sends SIGINT (like Ctrl-C).
    pub fn interrupt(&self) {
        self.signal(libc::SIGINT);
    }

    /// Kills the process (SIGKILL).
    pub fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// The exit code if the process has exited (128 + n for signal n), without waiting.
    pub fn try_wait(&self) -> Option<i32> {
        self.poll_exit(Duration::ZERO)
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        self.try_wait().is_none()
    }

    fn poll_exit(&self, timeout: Duration) -> Option<i32> {
        let mut exit = self.exit.lock().unwrap();
        if let Exit::Running(rx) = &*exit {
            let got = if timeout.is_zero() {
                rx.try_recv().ok()
            } else {
                match rx.recv_timeout(timeout) {
                    Ok(v) => Some(v),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => Some((-1, None)),
                }
            };
            if let Some((code, rss)) = got {
                *exit = Exit::Done(code, rss, self.started.elapsed());
            }
        }
        match &*exit {
            Exit::Done(code, _, _) => Some(*code),
            Exit::Running(_) => None,
        }
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stderr.buf.lock().unwrap()).into_owned()
    }

    /// The complete lines the process wrote to stderr so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        let text = self.stderr_so_far();
        let complete = text.rfind('\n').map_or("", |i| &text[..i]);
        complete.lines().map(str::to_string).collect()
    }

    /// Everything the process wrote to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stdout.buf.lock().unwrap()).into_owned()
    }

    /// Waits until stderr contains `needle` (true), or the timeout passes or the process
    /// exits and closes stderr without it (false).
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        wait_for(&self.stderr, needle, timeout)
    }

    /// Waits until stdout contains `needle` (see [`Running::wait_for_stderr`]).
    pub fn wait_for_stdout(&self, needle: &str, timeout: Duration) -> bool {
        wait_for(&self.stdout, needle, timeout)
    }

    /// Waits for the process to exit and returns its output. On timeout the process is
    /// killed and the test panics (showing stderr so far).
    pub fn wait_with_output(self, timeout: Duration) -> Output {
        if self.poll_exit(timeout).is_none() {
            let stderr = self.stderr_so_far();
            self.kill();
            let _ = self.poll_exit(Duration::from_secs(10));
            panic!(
                "timed out after {timeout:?}: {}\nstderr so far:\n{stderr}",
                self.command
            );
        }
        // Collect what is left in the pipes. A grandchild that inherited them may keep them
        // open; do not wait for it longer than a grace period.
        let grace = Instant::now() + Duration::from_secs(5);
        self.stdout.wait_closed(grace);
        self.stderr.wait_closed(grace);
        if self.stdout.closed.load(Ordering::SeqCst) && self.stderr.closed.load(Ordering::SeqCst) {
            for r in self.readers.lock().unwrap().drain(..) {
                let _ = r.join();
            }
        }
        let (code, rss, elapsed) = match &*self.exit.lock().unwrap() {
            Exit::Done(c, r, e) => (*c, *r, *e),
            Exit::Running(_) => unreachable!(),
        };
        let stdout = std::mem::take(&mut *self.stdout.buf.lock().unwrap());
        let stderr = String::from_utf8_lossy(&self.stderr.buf.lock().unwrap()).into_owned();
        Output {
            code,
            stdout,
            stderr,
            max_rss_kib: rss,
            elapsed,
            command: self.command.clone(),
        }
    }
}

fn wait_for(c: &Captured, needle: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut buf = c.buf.lock().unwrap();
    loop {
        if String::from_utf8_lossy(&buf).contains(needle) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        // Woken on new data and on EOF; re-check at least every 100 ms.
        let wait = (deadline - now).min(Duration::from_millis(100));
        buf = c.changed.wait_timeout(buf, wait).unwrap().0;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.try_wait().is_none() {
            self.kill();
            let _ = self.poll_exit(Duration::from_secs(10));
        }
        if let Some(t) = self.stdin_thread.take() {
            let _ = t.join();
        }
        if let Some(home) = &self.home {
            let _ = fs::remove_dir_all(home);
        }
    }
}

impl Output {
    fn describe(&self) -> String {
        format!(
            "command: {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }

    /// Asserts exit code 0 (printing the output otherwise).
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.code(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, c: i32) -> &Self {
        assert_eq!(self.code, c, "unexpected exit code\n{}", self.describe());
        self
    }

    /// Asserts a non-zero exit code.
    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert_ne!(self.code, 0, "expected failure\n{}", self.describe());
        self
    }

    /// Asserts that neither stdout nor stderr contains `needle` (e.g. a password).
    #[track_caller]
    pub fn not_contains(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout_str().contains(needle) && !self.stderr.contains(needle),
            "output contains {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout_str().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// stdout as (lossily decoded) text.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stdout parsed as one JSON document (panics with the output if it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }

    /// stdout parsed as newline-delimited JSON (blank lines skipped).
    #[track_caller]
    pub fn ndjson(&self) -> Vec<serde_json::Value> {
        self.stdout_str()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!("stdout line is not JSON: {e}: {l}\n{}", self.describe())
                })
            })
            .collect()
    }
}

/// The peak resident set size of a running process, from `/proc/PID/status`.
fn vm_hwm_kib(pid: i32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
