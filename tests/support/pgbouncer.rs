//! A PgBouncer (Debian's `pgbouncer`) in front of a test cluster, in transaction pooling
//! mode: the setup where named prepared statements and session-level advisory locks do not
//! survive between transactions.
//!
//! Authentication: `auth_type = scram-sha-256` with an `auth_file` holding the plain-text
//! passwords of the roles the test names, so that PgBouncer can both check the client's SCRAM
//! exchange and log in to the server with SCRAM as that role. Clients connect over plain TCP
//! (`sslmode=disable`); PgBouncer reaches the server over plain TCP on 127.0.0.1.
//!
//! PgBouncer refuses to run as root, so as root it runs as the same `postgres` OS user as the
//! servers. It is stopped on Drop; its pid file is named `data/postmaster.pid` inside its
//! directory so that the harness's watchdog also stops it if the test process is killed.

use std::fs;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cluster::{free_port, scratch_dir, server_user};
use super::{Cluster, file_tail, random_hex};

/// A running PgBouncer; stopped (SIGTERM, then reaped) when dropped.
pub struct PgBouncer {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

/// Where the `pgbouncer` binary is: `$SCSCTL_TEST_PGBOUNCER`, else `pgbouncer` on `PATH`,
/// else Debian's `/usr/sbin/pgbouncer`.
fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCSCTL_TEST_PGBOUNCER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
}

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

impl PgBouncer {
    /// Starts PgBouncer in front of `cluster` with `pool_mode = transaction` and at most
    /// `pool_size` server connections per database and user, letting in the admin and
    /// `users` (name, password). None (with a note) when `pgbouncer` is not installed.
    pub fn start(cluster: &Cluster, pool_size: u32, users: &[(&str, &str)]) -> Option<PgBouncer> {
        let Some(bin) = binary() else {
            eprintln!("note: pgbouncer is not installed (apt-get install pgbouncer); skipping");
            return None;
        };
        let dir = scratch_dir().join(format!("pgbouncer-{}", random_hex(4)));
        fs::create_dir_all(dir.join("data")).unwrap();
        let mut auth = format!(
            "{} {}\n",
            quote(cluster.admin_user()),
            quote(cluster.admin_password())
        );
        for (user, password) in users {
            auth.push_str(&format!("{} {}\n", quote(user), quote(password)));
        }
        fs::write(dir.join("users.txt"), auth).unwrap();
        fs::set_permissions(dir.join("users.txt"), fs::Permissions::from_mode(0o600)).unwrap();
        for attempt in 1..=5 {
            let port = free_port();
            let ini = format!(
                "[databases]\n\
                 * = host={host} port={server_port}\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = scram-sha-256\n\
                 auth_file = {dir}/users.txt\n\
                 pool_mode = transaction\n\
                 default_pool_size = {pool_size}\n\
                 max_client_conn = 200\n\
                 server_lifetime = 3600\n\
                 pidfile = {dir}/data/postmaster.pid\n",
                host = cluster.host(),
                server_port = cluster.port(),
                dir = dir.display(),
            );
            fs::write(dir.join("pgbouncer.ini"), ini).unwrap();
            if let Some((uid, gid)) = server_user() {
                for p in [
                    dir.clone(),
                    dir.join("data"),
                    dir.join("users.txt"),
                    dir.join("pgbouncer.ini"),
                ] {
                    std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
                }
            }
            let log = fs::File::create(dir.join("pgbouncer.log")).unwrap();
            let mut cmd = Command::new(&bin);
            cmd.arg(dir.join("pgbouncer.ini"))
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .process_group(0);
            if let Some((uid, gid)) = server_user() {
                cmd.uid(uid).gid(gid);
            }
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
            let mut bouncer = PgBouncer {
                dir: dir.clone(),
                port,
                child: Some(child),
            };
            match bouncer.wait_listening() {
                Ok(()) => return Some(bouncer),
                Err(log) if attempt < 5 && log.contains("Address already in use") => continue,
                Err(log) => panic!("pgbouncer did not start:\n{log}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    fn wait_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let child = self.child.as_mut().expect("started");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(format!(
                    "pgbouncer exited with {status}:\n{}",
                    file_tail(&self.log(), 20)
                ));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "pgbouncer did not listen within 20 s:\n{}",
                    file_tail(&self.log(), 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port PgBouncer listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// PgBouncer's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.join("pgbouncer.log")
    }

    /// A URL for `user` with `password` to database `db` through PgBouncer.
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// The directory holding the configuration, auth file and log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: immediate shutdown (SIGINT would wait for clients to finish).
            // SAFETY: kill has no memory-safety preconditions; the child is not yet reaped.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
