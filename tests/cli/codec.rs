//! The gob codec against Go: every fixture decodes to Go's own JSON view, bad blobs are
//! rejected, deterministic blobs re-encode byte for byte, and (when `go` is installed) Go reads
//! what scsctl writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scsctl::session::{self, Decoded, Session};
use serde_json::{Value as Json, json};

const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gob");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/gob-fixtures");

struct Entry {
    dir: PathBuf,
    name: String,
    gob: String,
    json: Option<String>,
    bad: bool,
    deterministic: bool,
}

fn manifest(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.jsonl"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let m: Json = serde_json::from_str(l).expect("manifest line");
            Entry {
                dir: dir.to_owned(),
                name: m["name"].as_str().expect("name").to_owned(),
                gob: m["gob"].as_str().expect("gob").to_owned(),
                json: m["json"].as_str().map(str::to_owned),
                bad: m["bad"].as_bool().unwrap_or(false),
                deterministic: m["deterministic_bytes"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// Our fixtures and, when the shared directory is beside the clone, the shared ones.
fn all_fixtures() -> Vec<Entry> {
    let mut out = manifest(Path::new(OWN));
    if Path::new(SHARED).is_dir() {
        out.extend(manifest(Path::new(SHARED)));
    } else {
        eprintln!("note: {SHARED} is absent; checking only tests/fixtures/gob");
    }
    out
}

/// Go's view made comparable: `"wire"` (the name gob carries, where it differs from `%T`)
/// replaces `"type"`, and arrays of `[key, value]` pairs (non-string-keyed maps, whose order
/// is random in Go) are sorted.
fn canonical(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut out: serde_json::Map<String, Json> = m
                .iter()
                .filter(|(k, _)| *k != "wire")
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect();
            if let Some(wire) = m.get("wire") {
                out.insert("type".into(), wire.clone());
            }
            Json::Object(out)
        }
        Json::Array(items) => {
            let mut items: Vec<Json> = items.iter().map(canonical).collect();
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.as_array().is_some_and(|p| p.len() == 2))
            {
                items.sort_by_key(|p| p[0].to_string());
            }
            Json::Array(items)
        }
        other => other.clone(),
    }
}

fn decode_ok(data: &[u8], what: &str) -> Session {
    match session::decode(data) {
        Decoded::Gob(s) => s,
        other => panic!("{what}: expected a gob session, got {other:?}"),
    }
}

fn check_against_go_json(s: &Session, go_json: &Json, what: &str) {
    let ours = json!({ "deadline": s.deadline_rfc3339(), "values": s.values_json() });
    assert_eq!(
        canonical(&ours),
        canonical(go_json),
        "{what}: Rust's view differs from Go's"
    );
}

#[test]
fn fixtures_decode_to_gos_view() {
    let mut checked = 0;
    for e in all_fixtures().iter().filter(|e| !e.bad) {
        let what = format!("{}/{}", e.dir.display(), e.name);
        let data = std::fs::read(e.dir.join(&e.gob)).expect("read gob");
        let s = decode_ok(&data, &what);
        let go: Json = serde_json::from_slice(
            &std::fs::read(e.dir.join(e.json.as_ref().expect("json"))).expect("read json"),
        )
        .expect("parse json");
        check_against_go_json(&s, &go, &what);
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} fixtures found");
}

#[test]
fn bad_fixtures_are_rejected_with_an_offset() {
    let mut checked = 0;
    for e in all_fixtures().iter().filter(|e| e.bad) {
        let data = std::fs::read(e.dir.join(&e.gob)).expect("read");
        match session::decode(&data) {
            Decoded::Corrupt(err) => {
                assert!(
                    err.offset <= data.len(),
                    "{}: offset {} past the end",
                    e.name,
                    err.offset
                );
                let msg = err.to_string();
                assert!(
                    msg.contains(&format!("at byte {}", err.offset)),
                    "{}: {msg}",
                    e.name
                );
            }
            other => panic!("{}: expected Corrupt, got {other:?}", e.name),
        }
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn deterministic_fixtures_reencode_byte_for_byte() {
    let mut checked = 0;
    for e in all_fixtures().iter().filter(|e| !e.bad) {
        let data = std::fs::read(e.dir.join(&e.gob)).expect("read");
        let s = decode_ok(&data, &e.name);
        let again = s.encode().unwrap_or_else(|err| panic!("{}: {err}", e.name));
        if e.deterministic {
            assert!(
                again == data,
                "{}: re-encoded bytes differ from Go's",
                e.name
            );
            checked += 1;
        }
        // Whatever the bytes, the re-encoded session means the same (compared as views: NaN).
        assert_eq!(
            decode_ok(&again, &e.name).to_json(),
            s.to_json(),
            "{}: decode(encode(s)) differs",
            e.name
        );
    }
    assert!(checked >= 30, "only {checked} deterministic fixtures");
}

#[test]
fn empty_session_matches_gos_bytes() {
    let Some(e) = all_fixtures()
        .into_iter()
        .find(|e| e.name == "empty_values")
    else {
        panic!("no empty_values fixture");
    };
    let go = std::fs::read(e.dir.join(&e.gob)).expect("read");
    let s = decode_ok(&go, "empty_values");
    let deadline = UNIX_EPOCH + Duration::new(s.deadline.unix() as u64, s.deadline.nsec);
    assert_eq!(
        session::encode::<String>(deadline, &[]).expect("encode"),
        go
    );
}

// ---- Go on PATH -------------------------------------------------------------------------

/// The Go peer, built once per test run; `None` (with a note) when `go` is not installed.
pub(crate) fn go_peer() -> Option<&'static Path> {
    static PEER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PEER.get_or_init(|| {
        if Command::new("go").arg("version").output().is_err() {
            eprintln!("note: `go` is not on PATH; skipping the Go interoperability tests");
            return None;
        }
        // Under the run's scratch directory, removed when the test process exits.
        let bin = crate::support::scratch_dir().join("go-peer");
        let status = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-peer"))
            .status()
            .expect("run go build");
        assert!(status.success(), "go build of tests/go-peer failed");
        Some(bin)
    })
    .as_deref()
}

/// Go's JSON view of `blob`, or Go's error.
pub(crate) fn go_decode(peer: &Path, blob: &[u8]) -> Result<Json, String> {
    use std::io::Write;
    let mut child = Command::new(peer)
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn go-peer");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(blob)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("go-peer prints JSON"))
}

#[test]
fn go_reads_every_set_type_as_the_app_expects() {
    let Some(peer) = go_peer() else { return };
    let cases: &[(&str, &str, Json)] = &[
        ("s=hello", "string", json!("hello")),
        ("s2:string=a:b=c", "string", json!("a:b=c")),
        ("flash:msg:string=hi", "string", json!("hi")),
        ("n:int=42", "int", json!(42)),
        ("nmin:int=-9223372036854775808", "int", json!(i64::MIN)),
        ("n64:int64=9223372036854775807", "int64", json!(i64::MAX)),
        ("n32:int32=-2147483648", "int32", json!(i32::MIN)),
        ("u:uint=18446744073709551615", "uint", json!(u64::MAX)),
        ("f:float64=2.5", "float64", json!(2.5)),
        ("fi:float64=-Inf", "float64", json!("-Inf")),
        ("b:bool=true", "bool", json!(true)),
        ("raw:bytes=AAEC/w==", "[]uint8", json!("AAEC/w==")),
        (
            "at:time=2024-02-29T23:59:59.123456789Z",
            "time.Time",
            json!("2024-02-29T23:59:59.123456789Z"),
        ),
        (
            "at2:time=2024-07-01T12:00:00.5+05:30",
            "time.Time",
            json!("2024-07-01T12:00:00.5+05:30"),
        ),
        (
            "at3:time=1999-12-31T23:59:59-07:00",
            "time.Time",
            json!("1999-12-31T23:59:59-07:00"),
        ),
    ];
    let deadline = UNIX_EPOCH + Duration::new(1_900_000_000, 123_456_789);
    // One session per value (byte-deterministic) and one with all of them.
    let mut all = Vec::new();
    for (arg, go_type, want) in cases {
        let (key, value) = session::parse_set(arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
        let value = scsctl::gob::Value::from(value);
        all.push((key.clone(), value.clone()));
        let blob = session::encode(deadline, &[(key.clone(), value)]).expect("encode");
        let go = go_decode(peer, &blob).unwrap_or_else(|e| panic!("{arg}: Go failed: {e}"));
        assert_eq!(
            go["values"][&key],
            json!({ "type": go_type, "value": want }),
            "{arg}"
        );
        assert_eq!(go["deadline"], json!("2030-03-17T17:46:40.123456789Z"));
    }
    let blob = session::encode(deadline, &all).expect("encode");
    let go = go_decode(peer, &blob).expect("Go decodes the combined session");
    check_against_go_json(&decode_ok(&blob, "combined"), &go, "combined");
    // An empty session still has a (non-nil) Values map.
    let go = go_decode(
        peer,
        &session::encode::<String>(SystemTime::now(), &[]).expect("encode"),
    )
    .expect("empty");
    assert_eq!(go["values"], json!({}));
}

#[test]
fn go_reads_merged_sessions_with_values_scsctl_cannot_create() {
    let Some(peer) = go_peer() else { return };
    for name in [
        "realistic_session",
        "profile",
        "map_string_interface",
        "node",
        "gob_encoder",
        "binary_marshaler",
    ] {
        let data = std::fs::read(Path::new(OWN).join(format!("{name}.gob"))).expect("read");
        let mut s = decode_ok(&data, name);
        let (k, v) = session::parse_set("added:int=7").expect("parse");
        s.set(k, v);
        let blob = s.encode().expect("encode");
        let go = go_decode(peer, &blob)
            .unwrap_or_else(|e| panic!("{name}: Go failed on the merged blob: {e}"));
        check_against_go_json(&s, &go, name);
        assert_eq!(go["values"]["added"], json!({ "type": "int", "value": 7 }));
    }
}

#[test]
fn go_rejects_what_we_reject_and_fresh_go_fixtures_decode() {
    let Some(peer) = go_peer() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixtures");
    let status = Command::new(peer)
        .arg("fixtures")
        .arg(&dir)
        .status()
        .expect("run go-peer fixtures");
    assert!(status.success());
    let (mut rejected, mut decoded) = (0, 0);
    for e in manifest(&dir) {
        let data = std::fs::read(dir.join(&e.gob)).expect("read");
        if e.bad {
            rejected += 1;
            assert!(
                matches!(session::decode(&data), Decoded::Corrupt(_)),
                "{}",
                e.name
            );
            assert!(
                go_decode(peer, &data).is_err(),
                "{}: Go accepted it",
                e.name
            );
            continue;
        }
        let go: Json =
            serde_json::from_slice(&std::fs::read(dir.join(e.json.expect("json"))).expect("read"))
                .expect("json");
        check_against_go_json(&decode_ok(&data, &e.name), &go, &e.name);
        decoded += 1;
    }
    assert!(
        rejected > 0 && decoded > 0,
        "{rejected} rejected, {decoded} decoded"
    );
}
