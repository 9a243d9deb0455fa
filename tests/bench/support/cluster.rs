//! The private PostgreSQL cluster the benchmarks run against: initdb under a temporary
//! directory, TCP on a free port, run as the `postgres` user when started as root, settings
//! for bulk writes (`SCSCTL_BENCH_PG_OPTS` adds more), stopped and removed by [`Cluster::stop`].

use std::path::PathBuf;
use std::process::{Command, Stdio};

use postgres::{Client, NoTls};

/// A running private cluster.
pub struct Cluster {
    /// Where `initdb`, `pg_ctl` and `psql` are.
    pub bindir: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Starts a cluster (initdb, pg_ctl start).
    pub fn start() -> Cluster {
        let bindir = PathBuf::from(
            String::from_utf8(
                Command::new("pg_config")
                    .arg("--bindir")
                    .output()
                    .expect("pg_config on PATH")
                    .stdout,
            )
            .unwrap()
            .trim(),
        );
        let dir = std::env::temp_dir().join(format!("scsctl-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        let port = free_port();
        let cluster = Cluster {
            bindir,
            dir,
            port,
            as_postgres,
        };
        if as_postgres {
            cluster.run_plain("chown", &["-R", "postgres", cluster.dir.to_str().unwrap()]);
        }
        let data = cluster.dir.join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB \
             -c max_wal_size=8GB -c checkpoint_timeout=30min -c autovacuum=off \
             -c log_min_messages=warning {}",
            cluster.dir.display(),
            std::env::var("SCSCTL_BENCH_PG_OPTS").unwrap_or_default()
        );
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                cluster.dir.join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        cluster
    }

    /// The URL of database `db`, over TCP to 127.0.0.1.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A connection to database `db`.
    pub fn client(&self, db: &str) -> Client {
        Client::connect(&self.url(db), NoTls).expect("connect to the bench cluster")
    }

    fn pg(&self, tool: &str, args: &[&str]) {
        let path = self.bindir.join(tool);
        let status = if self.as_postgres {
            let mut full = vec!["-u", "postgres", "--", path.to_str().unwrap()];
            full.extend_from_slice(args);
            Command::new("runuser")
                .args(&full)
                .stdout(Stdio::null())
                .status()
        } else {
            Command::new(&path)
                .args(args)
                .stdout(Stdio::null())
                .status()
        }
        .expect("run a PostgreSQL tool");
        assert!(status.success(), "{tool} failed");
    }

    fn run_plain(&self, cmd: &str, args: &[&str]) {
        assert!(Command::new(cmd).args(args).status().unwrap().success());
    }

    /// Stops the cluster and removes its directory.
    pub fn stop(&self) {
        let data = self.dir.join("data");
        self.pg(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
