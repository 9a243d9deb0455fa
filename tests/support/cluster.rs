//! Private throwaway PostgreSQL clusters for the integration tests.
//!
//! One process-wide *run directory* (`$TMP/scsctl-test-<pid>-<hex>/`) holds the generated
//! certificates (`certs/`), the shared cluster (`shared/`) and any dedicated clusters
//! (`d<n>/`), each with `data/`, `sock/` and `postgres.log`. Cleanup happens three ways:
//!
//! 1. a dedicated [`Cluster`] stops its server and removes its directory on Drop;
//! 2. an `atexit` handler stops every server still running (SIGQUIT, i.e. immediate
//!    shutdown, waiting for `postmaster.pid` to disappear) and removes the run directory;
//! 3. a watchdog shell process (own process group, so Ctrl-C does not hit it) polls the test
//!    process with `kill -0` and does the same if the test process dies without running
//!    `atexit` (SIGKILL, abort).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::certs::Certs;
use super::{conninfo_quote, file_tail, is_root, quote_ident, quote_literal, random_hex};

/// Name of the superuser the harness creates in its clusters.
pub const ADMIN_USER: &str = "scsctl_admin";

/// How long to wait for a server to start or stop.
const SERVER_TIMEOUT: Duration = Duration::from_secs(60);

/// Counter for database names, unique within the test process.
static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------
// Server binaries

/// Finds the directory with the PostgreSQL server binaries (see the module docs of
/// `support` for the search order). None if nothing usable is found.
fn find_bindir() -> Option<PathBuf> {
    static BINDIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    BINDIR
        .get_or_init(|| {
            let usable = |d: &Path| d.join("postgres").is_file() && d.join("initdb").is_file();
            if let Some(d) = std::env::var_os("SCSCTL_TEST_PG_BINDIR") {
                let d = PathBuf::from(d);
                assert!(
                    usable(&d),
                    "SCSCTL_TEST_PG_BINDIR={} has no postgres/initdb binaries",
                    d.display()
                );
                return Some(d);
            }
            if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
                let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if out.status.success() && usable(&d) {
                    return Some(d);
                }
            }
            let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let v: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
                    let d = e.path().join("bin");
                    usable(&d).then_some((v, d))
                })
                .collect();
            versions.sort();
            if let Some((_, d)) = versions.pop() {
                return Some(d);
            }
            std::env::var_os("PATH")
                .and_then(|path| std::env::split_paths(&path).find(|d| usable(d)))
        })
        .clone()
}

fn require_bindir() -> PathBuf {
    find_bindir().unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server binaries found (looked at $SCSCTL_TEST_PG_BINDIR, \
             `pg_config --bindir`, /usr/lib/postgresql/*/bin and $PATH for postgres + initdb); \
             install the PostgreSQL server (e.g. apt-get install postgresql) or set \
             SCSCTL_TEST_DATABASE_URL to use an existing server"
        )
    })
}

/// (uid, gid) of the `postgres` OS user, read from /etc/passwd.
fn postgres_user() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4
            && f[0] == "postgres"
            && let (Ok(u), Ok(g)) = (f[2].parse(), f[3].parse())
        {
            return (u, g);
        }
    }
    panic!(
        "running as root, but there is no `postgres` OS user to run initdb/postgres as \
         (initdb refuses to run as root); install the postgresql package or run the tests \
         as a normal user"
    )
}

// ---------------------------------------------------------------------------------------
// The run: process-wide state shared by all private clusters

struct Run {
    dir: PathBuf,
    password: String,
    bindir: PathBuf,
    /// (uid, gid) to run initdb/postgres as; None = the current user.
    server_user: Option<(u32, u32)>,
    certs: OnceLock<Certs>,
    /// A freshly initdb'ed data directory (never started) that clusters copy.
    template: OnceLock<PathBuf>,
    /// Data directories of servers that may be running (for the atexit handler).
    live: Mutex<Vec<PathBuf>>,
    cluster_counter: AtomicU64,
}

static RUN: OnceLock<Run> = OnceLock::new();

fn keep_tmp() -> bool {
    std::env::var_os("SCSCTL_TEST_KEEP").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether every ancestor of `dir` is searchable by "others" (so the postgres user can
/// reach the files below it).
fn traversable_by_others(dir: &Path) -> bool {
    dir.ancestors().all(|a| {
        fs::metadata(a)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

impl Run {
    fn get() -> &'static Run {
        RUN.get_or_init(Run::init)
    }

    fn init() -> Run {
        let bindir = require_bindir();
        let server_user = is_root().then(postgres_user);
        Run {
            dir: scratch_dir().to_path_buf(),
            password: format!("pw-{}", random_hex(16)),
            bindir,
            server_user,
            certs: OnceLock::new(),
            template: OnceLock::new(),
            live: Mutex::new(Vec::new()),
            cluster_counter: AtomicU64::new(0),
        }
    }

    /// Stops every registered server (immediate shutdown).
    fn stop_all(&self) {
        let live: Vec<PathBuf> = lock(&self.live).drain(..).collect();
        for data in &live {
            stop_by_pidfile(data, libc::SIGQUIT, Duration::from_secs(10));
        }
    }

    /// The TLS material, generated on first use.
    fn certs(&self) -> &Certs {
        self.certs
            .get_or_init(|| Certs::generate(&self.dir.join("certs"), self.server_user))
    }

    /// The template data directory, initdb'ed on first use: admin role with the run's
    /// password, SCRAM everywhere, the harness's pg_hba.conf, and a postgresql.conf that
    /// includes the per-cluster `scsctl_test.conf`.
    fn template(&self) -> &Path {
        self.template.get_or_init(|| {
            let dir = self.dir.join("template");
            let data = dir.join("data");
            fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
            self.chown_server(&dir);
            let pwfile = dir.join("pwfile");
            fs::write(&pwfile, format!("{}\n", self.password)).unwrap();
            fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600)).unwrap();
            self.chown_server(&pwfile);
            let out = server_command(self, &self.bindir.join("initdb"), &dir)
                .arg("-D")
                .arg(&data)
                .arg("-U")
                .arg(ADMIN_USER)
                .arg(format!("--pwfile={}", pwfile.display()))
                .args(["-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "-N"])
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}/initdb: {e}", self.bindir.display()));
            let _ = fs::remove_file(&pwfile);
            if !out.status.success() {
                panic!(
                    "initdb failed ({}):\n{}\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let hba = format!(
                "# written by the scsctl test harness\n\
                 local   all  all                       scram-sha-256\n\
                 hostssl all  {cert_user}  127.0.0.1/32  cert\n\
                 host    all  all          127.0.0.1/32  scram-sha-256\n\
                 host    all  all          ::1/128       scram-sha-256\n\
                 host    replication  all  127.0.0.1/32  scram-sha-256\n",
                cert_user = super::certs::CLIENT_CN
            );
            fs::write(data.join("pg_hba.conf"), hba).unwrap();
            let mut conf = fs::read_to_string(data.join("postgresql.conf")).unwrap();
            conf.push_str("\n# scsctl test harness\ninclude 'scsctl_test.conf'\n");
            fs::write(data.join("postgresql.conf"), conf).unwrap();
            data
        })
    }

    fn chown_server(&self, path: &Path) {
        if let Some((uid, gid)) = self.server_user {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
        }
    }
}

/// The (uid, gid) the harness runs servers as when the tests run as root (the `postgres` OS
/// user); None when servers run as the current user. For other daemons the tests start
/// (PgBouncer also refuses to run as root).
pub fn server_user() -> Option<(u32, u32)> {
    Run::get().server_user
}

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

/// The process-wide temporary directory (`$TMP/scsctl-test-<pid>-<hex>/`), created on first
/// use together with the `atexit` handler and the watchdog that remove it again. Clusters
/// live below it; so do the throwaway `HOME`s of [`super::Scsctl`] runs, and tests may put
/// their own files there (use a unique name).
pub fn scratch_dir() -> &'static Path {
    SCRATCH.get_or_init(|| {
        let mut base = std::env::var_os("SCSCTL_TEST_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        // Unix socket paths are limited to ~107 bytes; as root, the postgres user must be
        // able to traverse to the data and socket directories.
        if base.as_os_str().len() > 60 || (is_root() && !traversable_by_others(&base)) {
            base = PathBuf::from("/tmp");
        }
        let dir = base.join(format!(
            "scsctl-test-{}-{}",
            std::process::id(),
            random_hex(4)
        ));
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        spawn_watchdog(&dir);
        // SAFETY: registering a plain extern "C" function with no captured state.
        unsafe {
            libc::atexit(at_exit);
        }
        dir
    })
}

extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Some(run) = RUN.get() {
            run.stop_all();
        }
        if let Some(dir) = SCRATCH.get()
            && !keep_tmp()
        {
            let _ = fs::remove_dir_all(dir);
        }
    });
}

/// Starts the watchdog that cleans up if the test process dies abruptly.
fn spawn_watchdog(run_dir: &Path) {
    let script = r#"
pid="$1"; dir="$2"; keep="$3"
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
for f in "$dir"/*/data/postmaster.pid; do
  [ -f "$f" ] || continue
  p=$(head -n 1 "$f")
  [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null
done
i=0
while [ $i -lt 50 ] && ls "$dir"/*/data/postmaster.pid >/dev/null 2>&1; do sleep 0.2; i=$((i+1)); done
[ "$keep" = 1 ] || rm -rf "$dir"
"#;
    let res = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg("scsctl-test-watchdog")
        .arg(std::process::id().to_string())
        .arg(run_dir)
        .arg(if keep_tmp() { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match res {
        // Deliberately not waited for: it outlives us.
        Ok(child) => drop(child),
        Err(e) => eprintln!("warning: cannot start the cluster watchdog: {e}"),
    }
}

/// Reads the postmaster pid from `data/postmaster.pid`.
fn read_pidfile(data: &Path) -> Option<(i32, String)> {
    let text = fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid = text.lines().next()?.trim().parse().ok()?;
    Some((pid, text))
}

fn process_alive(pid: i32) -> bool {
    // A zombie still answers kill(0); look at its state instead.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Signals the postmaster named in `data/postmaster.pid` and waits until it is gone.
fn stop_by_pidfile(data: &Path, signal: i32, timeout: Duration) {
    let Some((pid, _)) = read_pidfile(data) else {
        return;
    };
    if pid <= 0 || !process_alive(pid) {
        return;
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline && process_alive(pid) && data.join("postmaster.pid").exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A free loopback port, picked at random below the kernel's ephemeral range (32768+) so
/// that outgoing connections do not take it between our probe and a later restart.
pub(super) fn free_port() -> u16 {
    for _ in 0..200 {
        let r = u16::from_str_radix(&random_hex(2), 16).unwrap();
        let port = 15000 + r % 17000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    let l = TcpListener::bind("127.0.0.1:0").expect("cannot bind a loopback port");
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// Cluster

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shared,
    Dedicated,
    External,
}

struct Server {
    dir: PathBuf,
    data: PathBuf,
    log: PathBuf,
    socket_dir: PathBuf,
    /// postgresql.conf lines a test added (see [`Cluster::start_dedicated_with`]).
    extra_conf: String,
    postmaster: Mutex<Option<Child>>,
}

struct Inner {
    kind: Kind,
    host: String,
    port: u16,
    user: String,
    password: String,
    /// `sslmode` used by url()/conninfo().
    sslmode: String,
    bindir: PathBuf,
    certs: Option<Certs>,
    server: Option<Server>,
    /// For external servers: the URL given, to derive per-database URLs from.
    external_url: Option<String>,
}

/// A PostgreSQL server the tests can use: the shared private cluster ([`cluster()`]), a
/// dedicated private one ([`Cluster::start_dedicated`]) or an existing server named by
/// `SCSCTL_TEST_DATABASE_URL`.
///
/// Private clusters listen on 127.0.0.1 at a random free port with TLS (see [`Certs`]) and
/// on a Unix socket; every connection needs SCRAM-SHA-256 password auth, except that role
/// `scsctl_cert` may authenticate with its client certificate over TLS (`hostssl ... cert`).
pub struct Cluster {
    inner: Arc<Inner>,
}

/// The cluster shared by all tests of this binary, started on first use and stopped when
/// the test process exits. With `SCSCTL_TEST_DATABASE_URL` set, that server instead.
pub fn cluster() -> &'static Cluster {
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    let res = SHARED.get_or_init(|| {
        std::panic::catch_unwind(|| match std::env::var("SCSCTL_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Cluster::external(&url),
            _ => Cluster::start_private(Kind::Shared, "", None),
        })
        .map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into())
        })
    });
    match res {
        Ok(c) => c,
        Err(msg) => panic!("the shared test cluster failed to start: {msg}"),
    }
}

impl Cluster {
    /// Starts a private cluster of its own (same admin password and certificates as the
    /// shared one) that the test may stop, start, restart and kill at will. The server is
    /// stopped and its directory removed when the last of this value and its [`TestDb`]s is
    /// dropped. Starts a private cluster even when `SCSCTL_TEST_DATABASE_URL` is set; see
    /// [`Cluster::try_start_dedicated`] for tests that should skip then.
    pub fn start_dedicated() -> Cluster {
        Cluster::start_private(Kind::Dedicated, "", None)
    }

    /// Like [`Cluster::start_dedicated`], with `extra_conf` (postgresql.conf lines, e.g.
    /// `"ssl = off\n"` or `"max_connections = 5\n"`) added after the harness's own settings,
    /// which they override. The lines stay in force across restarts.
    pub fn start_dedicated_with(extra_conf: &str) -> Cluster {
        Cluster::start_private(Kind::Dedicated, extra_conf, None)
    }

    /// [`Cluster::start_dedicated_with`], or None (with a note) when
    /// `SCSCTL_TEST_DATABASE_URL` is set (see [`Cluster::try_start_dedicated`]).
    pub fn try_start_dedicated_with(extra_conf: &str) -> Option<Cluster> {
        if std::env::var_os("SCSCTL_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
            eprintln!("note: SCSCTL_TEST_DATABASE_URL is set; not starting a dedicated cluster");
            return None;
        }
        Some(Cluster::start_dedicated_with(extra_conf))
    }

    /// Starts a streaming hot standby of this private cluster: a dedicated cluster made with
    /// `pg_basebackup -R` from it (same admin, password and certificates; read-only; its own
    /// port and socket). It follows this cluster until it is dropped.
    pub fn start_standby(&self) -> Cluster {
        assert!(self.is_private(), "a standby needs a private primary");
        Cluster::start_private(Kind::Dedicated, "", Some(self))
    }

    /// Like [`Cluster::start_dedicated`], but returns None (printing a note) when
    /// `SCSCTL_TEST_DATABASE_URL` is set, i.e. when the suite is told to use an existing
    /// server rather than start its own.
    pub fn try_start_dedicated() -> Option<Cluster> {
        if std::env::var_os("SCSCTL_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
            eprintln!("note: SCSCTL_TEST_DATABASE_URL is set; not starting a dedicated cluster");
            return None;
        }
        Some(Cluster::start_dedicated())
    }

    fn external(url: &str) -> Cluster {
        let config = postgres::Config::from_str(url)
            .unwrap_or_else(|e| panic!("SCSCTL_TEST_DATABASE_URL is not a valid URL: {e}"));
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres").to_string();
        let password = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let sslmode = match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => "disable",
            postgres::config::SslMode::Require => "require",
            _ => "prefer",
        };
        Cluster {
            inner: Arc::new(Inner {
                kind: Kind::External,
                host,
                port,
                user,
                password,
                sslmode: sslmode.to_string(),
                bindir: find_bindir().unwrap_or_default(),
                certs: None,
                server: None,
                external_url: Some(url.to_string()),
            }),
        }
    }

    fn start_private(kind: Kind, extra_conf: &str, primary: Option<&Cluster>) -> Cluster {
        let t0 = Instant::now();
        let run = Run::get();
        let n = run.cluster_counter.fetch_add(1, Ordering::Relaxed);
        let name = if kind == Kind::Shared {
            "shared".to_string()
        } else {
            format!("d{n}")
        };
        let dir = run.dir.join(name);
        let data = dir.join("data");
        let socket_dir = dir.join("sock");
        let log = dir.join("postgres.log");
        fs::create_dir_all(&socket_dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        run.chown_server(&dir);
        run.chown_server(&socket_dir);

        // The certificates (first time: generate) and a copy of the initdb'ed template
        // (first time: initdb), the slow parts, in parallel.
        let certs = std::thread::scope(|s| {
            let certs = s.spawn(|| run.certs());
            match primary {
                Some(primary) => base_backup(run, primary, &dir, &data),
                None => {
                    let template = run.template();
                    let cp = Command::new("cp")
                        .arg("-a")
                        .arg(template)
                        .arg(&data)
                        .output()
                        .expect("cannot run cp");
                    assert!(
                        cp.status.success(),
                        "cp -a {} {} failed: {}",
                        template.display(),
                        data.display(),
                        String::from_utf8_lossy(&cp.stderr)
                    );
                }
            }
            certs
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        });

        let server = Server {
            dir: dir.clone(),
            data: data.clone(),
            log,
            socket_dir,
            extra_conf: extra_conf.to_owned(),
            postmaster: Mutex::new(None),
        };
        lock(&run.live).push(data.clone());

        // Start, retrying with another port if someone grabbed ours in the meantime.
        let mut port = 0;
        for attempt in 1..=5 {
            port = free_port();
            server.write_conf(port, certs);
            match server.try_start(run, Duration::ZERO) {
                Ok(()) => break,
                Err(log)
                    if attempt < 5
                        && (log.contains("could not bind")
                            || log.contains("could not create any TCP/IP sockets")) =>
                {
                    continue;
                }
                Err(log) => panic!(
                    "the test PostgreSQL server in {} failed to start:\n{log}",
                    dir.display()
                ),
            }
        }

        let cluster = Cluster {
            inner: Arc::new(Inner {
                kind,
                host: "127.0.0.1".to_string(),
                port,
                user: ADMIN_USER.to_string(),
                password: run.password.clone(),
                sslmode: "disable".to_string(),
                bindir: run.bindir.clone(),
                certs: Some(certs.clone()),
                server: Some(server),
                external_url: None,
            }),
        };
        // A standby has the role already (from its primary) and cannot create one.
        if primary.is_none() {
            cluster
                .client("postgres")
                .batch_execute(&format!(
                    "CREATE ROLE {} LOGIN",
                    quote_ident(&certs.cert_user)
                ))
                .unwrap_or_else(|e| panic!("creating the certificate role failed: {e}"));
        }
        if std::env::var_os("SCSCTL_TEST_VERBOSE").is_some() {
            eprintln!(
                "note: test cluster {} started on port {port} in {:?}",
                dir.display(),
                t0.elapsed()
            );
        }
        cluster
    }

    /// Host for TCP connections: `127.0.0.1` for private clusters.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// TCP port of the server (unchanged across [`Cluster::restart`]).
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Directory of the server's Unix socket (private clusters only).
    pub fn socket_dir(&self) -> Option<&Path> {
        self.inner.server.as_ref().map(|s| s.socket_dir.as_path())
    }

    /// Name of the superuser (`scsctl_admin` for private clusters).
    pub fn admin_user(&self) -> &str {
        &self.inner.user
    }

    /// The superuser's password (`pw-<32 hex digits>`, random per test process, so tests
    /// can assert that it never appears in output).
    pub fn admin_password(&self) -> &str {
        &self.inner.password
    }

    /// Runs one statement with the real psql binary (`-X`, over TCP), timed as a whole
    /// process as the benchmarks compare it, and returns the seconds and the row count psql
    /// reports after `tag` (`DELETE 42`). Panics when psql fails.
    pub fn timed_psql(&self, db: &str, sql: &str, tag: &str) -> (f64, i64) {
        let started = std::time::Instant::now();
        let out = Command::new(self.bindir().join("psql"))
            .args(["-X", "-d", &self.url(db), "-c", sql])
            .output()
            .expect("run psql");
        let seconds = started.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let count = text
            .trim()
            .strip_prefix(tag)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("psql printed {text:?}, not {tag} n"));
        (seconds, count)
    }

    /// Directory holding the PostgreSQL binaries (`psql`, `postgres`, ...). Empty for an
    /// external server when no binaries were found.
    pub fn bindir(&self) -> &Path {
        &self.inner.bindir
    }

    /// The generated TLS material (private clusters only).
    pub fn certs(&self) -> Option<&Certs> {
        self.inner.certs.as_ref()
    }

    /// The server log file (private clusters only).
    pub fn log_file(&self) -> Option<&Path> {
        self.inner.server.as_ref().map(|s| s.log.as_path())
    }

    /// Whether this is a server the harness started (as opposed to
    /// `SCSCTL_TEST_DATABASE_URL`).
    pub fn is_private(&self) -> bool {
        self.inner.kind != Kind::External
    }

    /// Admin URL for database `db` over TCP:
    /// `postgres://scsctl_admin:PW@127.0.0.1:PORT/DB?sslmode=disable`.
    pub fn url(&self, db: &str) -> String {
        if let Some(url) = &self.inner.external_url {
            return replace_url_db(url, db);
        }
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode={}",
            self.inner.user,
            self.inner.password,
            self.inner.host,
            self.inner.port,
            db,
            self.inner.sslmode
        )
    }

    /// The same target as [`Cluster::url`] in key=value form
    /// (`host=... port=... user=... password=... dbname=... sslmode=...`).
    pub fn conninfo(&self, db: &str) -> String {
        let i = &self.inner;
        format!(
            "host={} port={} user={} password={} dbname={} sslmode={}",
            conninfo_quote(&i.host),
            i.port,
            conninfo_quote(&i.user),
            conninfo_quote(&i.password),
            conninfo_quote(db),
            i.sslmode
        )
    }

    /// Admin conninfo for database `db` over the Unix socket (private clusters only).
    pub fn socket_conninfo(&self, db: &str) -> Option<String> {
        let dir = self.socket_dir()?;
        let i = &self.inner;
        Some(format!(
            "host={} port={} user={} password={} dbname={}",
            conninfo_quote(&dir.display().to_string()),
            i.port,
            conninfo_quote(&i.user),
            conninfo_quote(&i.password),
            conninfo_quote(db)
        ))
    }

    /// Admin URL for database `db` over the Unix socket, with the socket directory
    /// percent-encoded as the host (private clusters only).
    pub fn socket_url(&self, db: &str) -> Option<String> {
        let dir = self.socket_dir()?.display().to_string().replace('/', "%2F");
        let i = &self.inner;
        Some(format!(
            "postgres://{}:{}@{}:{}/{}",
            i.user, i.password, dir, i.port, db
        ))
    }

    /// Admin URL for database `db` over TLS, verified against the test CA:
    /// `postgres://scsctl_admin:PW@localhost:PORT/DB?sslmode=MODE&sslrootcert=CA` (private
    /// clusters only). Use `host` `localhost` to pass `verify-full`, `127.0.0.1` to fail it.
    pub fn tls_url(&self, db: &str, host: &str, sslmode: &str) -> Option<String> {
        let certs = self.certs()?;
        let i = &self.inner;
        Some(format!(
            "postgres://{}:{}@{host}:{}/{db}?sslmode={sslmode}&sslrootcert={}",
            i.user,
            i.password,
            i.port,
            certs.ca_cert.display()
        ))
    }

    /// Creates a fresh database owned by the admin (`test_<n>`, unique in this process;
    /// `test_<pid>_<n>` on an external server, where it is also dropped again when the
    /// [`TestDb`] is dropped).
    pub fn new_database(&self) -> TestDb {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = if self.inner.kind == Kind::External {
            format!("test_{}_{n}", std::process::id())
        } else {
            format!("test_{n}")
        };
        let mut admin = self.client("postgres");
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} OWNER {}",
                quote_ident(&name),
                quote_ident(&self.inner.user)
            ))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        TestDb {
            name,
            cluster: Cluster {
                inner: Arc::clone(&self.inner),
            },
        }
    }

    /// An admin connection to database `db` (plain TCP; TLS without verification only for
    /// an external server whose URL asks for it). Panics if it cannot connect.
    pub fn client(&self, db: &str) -> postgres::Client {
        self.try_client(db)
            .unwrap_or_else(|e| panic!("cannot connect to database {db} as admin: {e}"))
    }

    /// Like [`Cluster::client`], but returns the error.
    pub fn try_client(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        let mut config = postgres::Config::from_str(&self.conninfo(db)).expect("valid conninfo");
        config.connect_timeout(Duration::from_secs(10));
        if self.inner.sslmode == "disable" {
            config.connect(postgres::NoTls)
        } else {
            let tls = native_tls::TlsConnector::builder()
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true)
                .build()
                .expect("TLS connector");
            config.connect(postgres_native_tls::MakeTlsConnector::new(tls))
        }
    }

    /// Runs `sql` (any number of statements, fed on stdin) with the real `psql` as admin
    /// against database `db` and returns its stdout, unaligned and tuples-only
    /// (`psql -X -A -t -q -v ON_ERROR_STOP=1`), e.g. `"1|foo\n"`. Panics on failure.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.psql_with(&self.conninfo(db), sql)
            .unwrap_or_else(|e| panic!("psql failed in database {db}: {e}\nSQL: {sql}"))
    }

    /// Runs `sql` with the real `psql` against an arbitrary connection string (e.g. with
    /// `sslmode=verify-full`); returns stdout, or stderr as the error on failure. `psql`
    /// runs with a cleared environment (no `PG*` variables, a throwaway `HOME`).
    pub fn psql_with(&self, conninfo: &str, sql: &str) -> Result<String, String> {
        let psql = if self.inner.bindir.as_os_str().is_empty() {
            PathBuf::from("psql")
        } else {
            self.inner.bindir.join("psql")
        };
        let out = super::runner::Scsctl::command(&psql)
            .args([
                "-X",
                "-A",
                "-t",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                conninfo,
                "-f",
                "-",
            ])
            .stdin(sql)
            .timeout(Duration::from_secs(120))
            .run();
        if out.code == 0 {
            Ok(out.stdout_str())
        } else {
            Err(format!("psql exited with {}: {}", out.code, out.stderr))
        }
    }

    fn server(&self, what: &str) -> &Server {
        match self.inner.kind {
            Kind::Dedicated => self.inner.server.as_ref().expect("dedicated server"),
            Kind::Shared => panic!(
                "{what}() on the shared cluster would disturb other tests; use Cluster::start_dedicated()"
            ),
            Kind::External => panic!("{what}() is not possible on an external server"),
        }
    }

    /// Stops the server (fast shutdown: open sessions are terminated). Dedicated clusters
    /// only.
    pub fn stop(&self) {
        self.server("stop").stop(libc::SIGINT);
    }

    /// Starts the stopped (or killed) server again on the same port. After
    /// [`Cluster::kill_postmaster`] it retries for up to a minute while orphaned backends of
    /// the killed server still hold its shared memory. Dedicated clusters only.
    pub fn start(&self) {
        let server = self.server("start");
        if let Err(log) = server.try_start(Run::get(), SERVER_TIMEOUT) {
            panic!(
                "the test PostgreSQL server in {} failed to restart:\n{log}",
                server.dir.display()
            );
        }
    }

    /// Stops and starts the server (same port). Dedicated clusters only.
    pub fn restart(&self) {
        self.stop();
        self.start();
    }

    /// Kills the postmaster with SIGKILL (no shutdown at all; its backends notice and exit
    /// on their own shortly after) and reaps it. Dedicated clusters only.
    pub fn kill_postmaster(&self) {
        self.server("kill_postmaster").stop(libc::SIGKILL);
    }

    /// The postmaster's pid, if the harness is running it.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let server = self.inner.server.as_ref()?;
        lock(&server.postmaster).as_ref().map(|c| c.id())
    }

    /// Stops the postmaster (SIGSTOP) until the returned value is dropped: running backends
    /// carry on, but a new connection waits for an answer that never comes. Dedicated
    /// clusters only.
    pub fn freeze_postmaster(&self) -> Frozen {
        let pid = self
            .postmaster_pid()
            .expect("freeze_postmaster needs a dedicated cluster") as i32;
        // SAFETY: kill has no memory-safety preconditions; the harness has not reaped the pid.
        unsafe {
            libc::kill(pid, libc::SIGSTOP);
        }
        Frozen(pid)
    }
}

/// A postmaster held stopped by [`Cluster::freeze_postmaster`]; dropping it lets it go on
/// (even after a failed assertion, so that the cluster can still be stopped).
pub struct Frozen(i32);

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: as in freeze_postmaster.
        unsafe {
            libc::kill(self.0, libc::SIGCONT);
        }
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("kind", &self.inner.kind)
            .field("host", &self.inner.host)
            .field("port", &self.inner.port)
            .field("dir", &self.inner.server.as_ref().map(|s| &s.dir))
            .finish_non_exhaustive()
    }
}

/// Replaces the database (path) of a `postgres://` URL.
fn replace_url_db(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

/// Copies `primary` into `data` with `pg_basebackup -R` (as the server user, over TCP with
/// the admin's password): a data directory that starts as its streaming standby.
fn base_backup(run: &Run, primary: &Cluster, dir: &Path, data: &Path) {
    let out = server_command(run, &run.bindir.join("pg_basebackup"), dir)
        .env("PGPASSWORD", primary.admin_password())
        .arg("-D")
        .arg(data)
        .arg("-d")
        .arg(format!(
            "host={} port={} user={} application_name=scsctl_test_standby",
            primary.host(),
            primary.port(),
            primary.admin_user()
        ))
        .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}/pg_basebackup: {e}", run.bindir.display()));
    assert!(
        out.status.success(),
        "pg_basebackup failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A command that runs as the server user, with a clean environment.
fn server_command(run: &Run, program: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .current_dir(cwd)
        .stdin(Stdio::null());
    if let Some((uid, gid)) = run.server_user {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

impl Server {
    fn write_conf(&self, port: u16, certs: &Certs) {
        let q = |p: &Path| quote_literal(&p.display().to_string());
        let conf = format!(
            "port = {port}\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = {sock}\n\
             max_connections = 300\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             shared_buffers = 128MB\n\
             log_min_messages = warning\n\
             lc_messages = 'C'\n\
             password_encryption = 'scram-sha-256'\n\
             ssl = on\n\
             ssl_cert_file = {cert}\n\
             ssl_key_file = {key}\n\
             ssl_ca_file = {ca}\n\
             {extra}\n",
            sock = q(&self.socket_dir),
            cert = q(&certs.server_cert),
            key = q(&certs.server_key),
            ca = q(&certs.ca_cert),
            extra = self.extra_conf,
        );
        let path = self.data.join("scsctl_test.conf");
        fs::write(&path, conf).unwrap();
        if let Some(run) = RUN.get() {
            run.chown_server(&path);
        }
    }

    /// Starts the postmaster and waits until it accepts connections. On failure returns the
    /// new part of the server log. `retry_for`: how long to keep retrying failures caused
    /// by leftovers of a killed server (shared memory still attached, stale lock file).
    fn try_start(&self, run: &Run, retry_for: Duration) -> Result<(), String> {
        let first = Instant::now();
        loop {
            match self.start_once(run) {
                Ok(()) => return Ok(()),
                Err(log)
                    if first.elapsed() < retry_for
                        && (log.contains("pre-existing shared memory block")
                            || log.contains("lock file")
                            || log.contains("could not bind")) =>
                {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(log) => return Err(log),
            }
        }
    }

    fn start_once(&self, run: &Run) -> Result<(), String> {
        let mut guard = lock(&self.postmaster);
        if let Some(child) = guard.as_mut()
            && child.try_wait().ok().flatten().is_none()
        {
            return Ok(()); // already running
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.log.display()));
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut cmd = server_command(run, &run.bindir.join("postgres"), &self.dir);
        cmd.arg("-D")
            .arg(&self.data)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Keep a terminal's Ctrl-C away from the server; the watchdog cleans up.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}/postgres: {e}", run.bindir.display()));
        let pid = child.id() as i32;
        let deadline = Instant::now() + SERVER_TIMEOUT;
        let new_log = |why: &str| {
            let mut text = String::new();
            if let Ok(mut f) = fs::File::open(&self.log) {
                let _ = f.seek(SeekFrom::Start(log_start));
                let _ = f.read_to_string(&mut text);
            }
            format!("{why}; server log ({}):\n{text}", self.log.display())
        };
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(new_log(&format!("postgres exited with {status}")));
            }
            if let Some((p, text)) = read_pidfile(&self.data)
                && p == pid
                && text.lines().nth(7).map(str::trim) == Some("ready")
            {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(new_log("postgres did not become ready within 60 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        *guard = Some(child);
        Ok(())
    }

    /// Sends `signal` to the postmaster (SIGINT = fast, SIGQUIT = immediate shutdown,
    /// SIGKILL = crash) and reaps it; escalates to SIGKILL after the timeout.
    fn stop(&self, signal: i32) {
        let mut guard = lock(&self.postmaster);
        let Some(mut child) = guard.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        // SAFETY: kill has no memory-safety preconditions; the child is not yet reaped.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let deadline = Instant::now() + SERVER_TIMEOUT;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            if Instant::now() > deadline {
                eprintln!(
                    "warning: postgres in {} did not stop within 60 s; killing it\n{}",
                    self.dir.display(),
                    file_tail(&self.log, 20)
                );
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Only dedicated clusters are ever dropped (the shared one lives in a static).
        if let Some(server) = &self.server {
            server.stop(libc::SIGQUIT);
            if let Some(run) = RUN.get() {
                lock(&run.live).retain(|d| d != &server.data);
            }
            if !keep_tmp() {
                let _ = fs::remove_dir_all(&server.dir);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// TestDb

/// A fresh database of its own for one test, owned by the cluster's admin. Holds its
/// cluster alive (a dedicated cluster stops only when its `TestDb`s are gone too).
pub struct TestDb {
    /// The database name (`test_<n>`).
    pub name: String,
    cluster: Cluster,
}

impl TestDb {
    /// Admin URL of this database (see [`Cluster::url`]).
    pub fn url(&self) -> String {
        self.cluster.url(&self.name)
    }

    /// Admin conninfo of this database (see [`Cluster::conninfo`]).
    pub fn conninfo(&self) -> String {
        self.cluster.conninfo(&self.name)
    }

    /// An admin connection to this database.
    pub fn client(&self) -> postgres::Client {
        self.cluster.client(&self.name)
    }

    /// Runs SQL in this database with the real `psql` (see [`Cluster::psql`]).
    pub fn psql(&self, sql: &str) -> String {
        self.cluster.psql(&self.name, sql)
    }

    /// The cluster this database lives in.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Creates a LOGIN role `name` with `password` (SCRAM), or resets the password if the
    /// role exists already. Roles are cluster-wide: use names unique to the test.
    pub fn create_role(&self, name: &str, password: &str) {
        let mut c = self.cluster.client("postgres");
        let exists = c
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
            .expect("query pg_roles")
            .is_some();
        let verb = if exists { "ALTER" } else { "CREATE" };
        c.batch_execute(&format!(
            "{verb} ROLE {} LOGIN PASSWORD {}",
            quote_ident(name),
            quote_literal(password)
        ))
        .unwrap_or_else(|e| panic!("{verb} ROLE {name} failed: {e}"));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.cluster.inner.kind == Kind::External
            && let Ok(mut c) = self.cluster.try_client("postgres")
        {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ));
        }
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
