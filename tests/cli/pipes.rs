//! Readers that go away: `scsctl list | head -1` and `scsctl watch-cleanup 2>&1 | head -2`.
//! A closed stdout ends a listing quietly (exit 0); a closed stderr is survived by the daemon,
//! which keeps purging and still exits 0 on SIGTERM. Never a panic (exit 101).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::seed::{self, wait_until};
use crate::support::{random_hex, scratch_dir};

/// Starts scsctl with a cleared environment, stdout and stderr both into one pipe (as
/// `2>&1 |` does), and returns it with the pipe's reading end.
fn start_into_one_pipe(args: &[&str]) -> (Child, std::io::PipeReader) {
    let home = scratch_dir().join(format!("pipes-home-{}", random_hex(4)));
    std::fs::create_dir_all(&home).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_scsctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", &home)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer.try_clone().unwrap()))
        .stderr(Stdio::from(writer))
        .spawn()
        .expect("cannot start scsctl");
    (child, reader)
}

/// Waits (at most `timeout`) for the child's exit code; kills it and panics after that.
fn exit_code(child: &mut Child, timeout: Duration) -> i32 {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("scsctl did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_daemon_survives_a_closed_stderr_and_keeps_purging() {
    let db = seed::fresh();
    seed::rows(&db, "old", 20, -60.0);
    let url = db.url();
    let (mut child, reader) = start_into_one_pipe(&[
        "--database-url",
        &url,
        "watch-cleanup",
        "--interval",
        "200ms",
        "--jitter",
        "0",
    ]);
    let mut reader = BufReader::new(reader);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("scsctl info"), "{first:?}");
    // The reader goes away, as `head -2` does; every later log line meets a closed pipe.
    drop(reader);
    assert!(
        wait_until(Duration::from_secs(10), || seed::counts_by_clock(&db).0
            == 0),
        "the first pass did not purge"
    );
    // Several passes later (each logging into the closed pipe), rows expired since are gone.
    std::thread::sleep(Duration::from_millis(600));
    assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
    seed::rows(&db, "later", 30, -1.0);
    assert!(
        wait_until(Duration::from_secs(10), || seed::counts_by_clock(&db).0
            == 0),
        "rows expired after stderr closed were not purged"
    );
    assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)), 0);
}

#[test]
fn a_listing_into_a_reader_that_closes_early_exits_0() {
    let db = seed::fresh();
    seed::rows(&db, "tok", 20_000, 3600.0);
    let url = db.url();
    for format in ["table", "ndjson", "json"] {
        let (mut child, reader) =
            start_into_one_pipe(&["--database-url", &url, "list", "--values", "-o", format]);
        let mut reader = BufReader::new(reader);
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        drop(reader);
        let code = exit_code(&mut child, Duration::from_secs(30));
        assert_eq!(code, 0, "{format}: list into a closed pipe exited {code}");
    }
}
