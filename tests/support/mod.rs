//! Test support shared by the integration tests: a private throwaway PostgreSQL cluster
//! ([`cluster()`], [`Cluster`]), per-test databases ([`TestDb`]), generated TLS material
//! ([`Certs`]) and a runner for the real `scsctl` binary ([`Scsctl`], [`Output`], [`Running`]).
//!
//! Environment variables read by the harness (never by `scsctl` itself, whose environment
//! the runner clears):
//!
//! - `SCSCTL_TEST_DATABASE_URL`: use this existing server instead of starting a private
//!   cluster. Per-test databases are still created there (and dropped afterwards); the
//!   socket/TLS accessors return `None`.
//! - `SCSCTL_TEST_PG_BINDIR`: directory holding `initdb`, `postgres` and `psql`. Otherwise
//!   `pg_config --bindir`, the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
//! - `SCSCTL_TEST_TMPDIR`: parent directory for the cluster's temporary directory
//!   (default: the system temp dir; `/tmp` when running as root and the default is not
//!   traversable by the `postgres` user).
//! - `SCSCTL_TEST_KEEP=1`: keep the temporary directory (data dir, server log) after the
//!   run for post-mortem inspection. Servers are still stopped.
//! - `SCSCTL_TEST_VERBOSE=1`: print where each cluster started and how long it took.
//!
//! Root vs. non-root: initdb and postgres refuse to run as root, so when the tests run as
//! root the harness runs them as the `postgres` OS user (the data, socket and certificate
//! directories are chowned/chmodded so that it can reach them, under `/tmp` by default).
//! As any other user they run as that user.
//!
//! Everything lives in one scratch directory per test process ([`scratch_dir`]); it and
//! every server are removed/stopped at process exit (atexit), by Drop for dedicated
//! clusters, and by a watchdog process if the test process is killed.
//!
//! Run one test: `cargo test --test cli harness::unix_socket_works`; see the cluster's
//! start-up time with `SCSCTL_TEST_VERBOSE=1 cargo test --test cli -- --nocapture`.

// Not every test module uses every helper.
#![allow(dead_code)]
// The harness needs a few raw libc calls: atexit, wait4, kill, geteuid.
#![allow(unsafe_code)]

mod certs;
mod cluster;
mod pgbouncer;
mod pty;
mod runner;

// Re-exported for the test modules; not every module uses every item.
#[allow(unused_imports)]
pub use certs::Certs;
#[allow(unused_imports)]
pub use cluster::{Cluster, TestDb, cluster, scratch_dir, server_user};
#[allow(unused_imports)]
pub use pgbouncer::PgBouncer;
#[allow(unused_imports)]
pub use pty::{open_pty, readable};
#[allow(unused_imports)]
pub use runner::{Output, Running, Scsctl};

use std::path::Path;

/// Returns `n` random bytes as lowercase hex (`2 * n` characters).
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("getrandom failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the test process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Prints a note that a test is skipped and why (visible with `--nocapture`, and in the
/// captured output of failing tests).
pub fn skip(test: &str, why: &str) {
    eprintln!("note: skipping {test}: {why}");
}

/// Returns the last `lines` lines of a text file (for server logs in panic messages), or a
/// note that it could not be read.
pub fn file_tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            all[start..].join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

/// Quotes a value for a libpq key=value connection string.
pub fn conninfo_quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

/// Quotes an SQL identifier (`"name"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal (`'value'`).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
