//! The store twin against pgbench: `find` and `commit` operations per second with one and with
//! four connections, `scsctl::store::Store` in-process against `pgbench -n -M prepared` running
//! the same statements.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime};

use scsctl::connect::{Env, Target};
use scsctl::store::Store;
use scsctl::table::TableName;

use super::measure::Proc;
use super::seed;

/// Which operation a run repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Store::find` of a random token.
    Find,
    /// `Store::commit` of a random token (an update of an existing row).
    Commit,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Find => "find",
            Op::Commit => "commit",
        }
    }

    /// The pgbench script doing what the store does, on the default `sessions` table.
    pub fn script(self, rows: u64) -> String {
        let token = seed::TOKEN_SQL;
        match self {
            Op::Find => format!(
                "\\set id random(1, {rows})\n\
                 SELECT data FROM sessions WHERE token = {token} AND current_timestamp < expiry;\n"
            ),
            Op::Commit => format!(
                "\\set id random(1, {rows})\n\
                 INSERT INTO sessions (token, data, expiry) VALUES ({token}, '\\x{}'::bytea, now() + interval '24 hours') \
                 ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry;\n",
                seed::SESSION_HEX
            ),
        }
    }
}

/// What one throughput run did.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Operations done (checked to be non-zero).
    pub ops: u64,
    pub per_sec: f64,
    /// `find` only: how many found a live row (the work was real).
    pub hits: u64,
}

/// Runs `op` on `conns` connections (one thread each) for `secs`, connections opened (and,
/// with `prepared`, statements prepared) before the clock starts, as pgbench's "without
/// initial connection time".
pub fn rust(conninfo: &str, rows: u64, op: Op, conns: usize, secs: f64, prepared: bool) -> Rate {
    let target = Target::resolve(Some(conninfo), &Env::from_vars([("USER", "bench")]))
        .expect("resolve the bench target");
    let barrier = Arc::new(Barrier::new(conns + 1));
    let data = seed::session();
    let threads: Vec<_> = (0..conns)
        .map(|t| {
            let (target, barrier, data) = (target.clone(), Arc::clone(&barrier), data.clone());
            std::thread::spawn(move || {
                let mut store = Store::connect(&target, TableName::parse("sessions").unwrap())
                    .expect("connect the store");
                if prepared {
                    store.prepare_statements().expect("prepare the statements");
                }
                // Tokens are made before the clock starts: pgbench computes them in the server.
                let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64 + 1).wrapping_mul(0xbf58_476d);
                let tokens: Vec<String> = (0..50_000)
                    .map(|_| seed::token(1 + (xorshift(&mut rng) % rows) as i64))
                    .collect();
                barrier.wait();
                let start = Instant::now();
                let deadline = start + Duration::from_secs_f64(secs);
                let (mut ops, mut hits) = (0u64, 0u64);
                let mut i = 0;
                while Instant::now() < deadline {
                    for _ in 0..16 {
                        let token = &tokens[i % tokens.len()];
                        i += 1;
                        match op {
                            Op::Find => {
                                if store.find(token).expect("find").is_some() {
                                    hits += 1;
                                }
                            }
                            Op::Commit => {
                                let expiry = SystemTime::now() + Duration::from_secs(86_400);
                                store.commit(token, &data, expiry).expect("commit");
                            }
                        }
                        ops += 1;
                    }
                }
                (ops, hits, start.elapsed())
            })
        })
        .collect();
    barrier.wait();
    let (mut ops, mut hits, mut rate) = (0, 0, 0.0);
    for t in threads {
        let (o, h, elapsed) = t.join().expect("store thread");
        ops += o;
        hits += h;
        rate += o as f64 / elapsed.as_secs_f64();
    }
    Rate {
        ops,
        per_sec: rate,
        hits,
    }
}

/// Runs pgbench with `script` on `conns` clients for `secs` (whole seconds, at least 1).
#[allow(clippy::too_many_arguments)]
pub fn pgbench(
    bindir: &Path,
    home: &Path,
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    db: &str,
    script: &Path,
    conns: usize,
    secs: f64,
) -> Rate {
    let run = Proc::new(bindir.join("pgbench"))
        .args([
            "-n",
            "-M",
            "prepared",
            "-f",
            &script.display().to_string(),
            "-c",
            &conns.to_string(),
            "-j",
            &conns.to_string(),
            "-T",
            &(secs.round().max(1.0) as u64).to_string(),
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-U",
            user,
            db,
        ])
        .env("PGPASSWORD", password)
        .env("PGSSLMODE", "disable")
        .keep(64 * 1024)
        .run(home)
        .ok("pgbench");
    let out = String::from_utf8_lossy(&run.head).into_owned();
    let field = |prefix: &str| -> Option<String> {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_owned))
    };
    let ops: u64 = field("number of transactions actually processed: ")
        .and_then(|v| v.split('/').next()?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no transaction count in pgbench output:\n{out}"));
    if let Some(failed) = field("number of failed transactions: ") {
        assert!(
            failed.starts_with("0 "),
            "pgbench had failed transactions: {failed}\n{out}"
        );
    }
    let per_sec: f64 = field("tps = ")
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench output:\n{out}"));
    assert!(ops > 0, "pgbench did no transactions:\n{out}");
    Rate {
        ops,
        per_sec,
        hits: 0,
    }
}

fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}
