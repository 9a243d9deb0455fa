//! `scsctl types`, `--registered`, `list/delete --undecodable` and `scsctl rename-type`,
//! proved against Go: the Go peer writes sessions holding `User` registered as `main.User`; a
//! Go program that registers it as `models.User` fails on them with Go's own error, and reads
//! every value back after the rename; sessions without the name keep every byte.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use crate::codec::{go_decode, go_peer};
use crate::seed;
use crate::support::Scsctl;

const OLD: &str = "main.User";
const NEW: &str = "models.User";

/// The rename fixtures the Go peer writes (name → blob), each encoded by a fresh process.
fn rename_fixtures(peer: &Path) -> BTreeMap<String, Vec<u8>> {
    let dir = std::env::temp_dir().join(format!(
        "scsctl-rename-fixtures-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let status = Command::new(peer)
        .arg("rename-fixtures")
        .arg(&dir)
        .status()
        .expect("run go-peer");
    assert!(status.success());
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(name, std::fs::read(&path).unwrap());
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.len() >= 9, "{:?}", out.keys());
    out
}

/// Go's view of `blob` in an app that registers `User` under `name`, or Go's error.
fn go_decode_as(peer: &Path, name: &str, blob: &[u8]) -> Result<Json, String> {
    use std::io::Write;
    let mut child = Command::new(peer)
        .args(["decode-as", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn go-peer");
    child.stdin.take().unwrap().write_all(blob).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("go-peer prints JSON"))
}

/// Whether the fixture holds an interface value named main.User.
fn holds_old(name: &str) -> bool {
    !matches!(
        name,
        "rename_without" | "rename_lookalike" | "rename_slice_name"
    )
}

/// Checks one fixture before and after its rewrite: Go's error before, Go's equal view after.
fn check_renamed(peer: &Path, name: &str, before: &[u8], after: &[u8]) {
    let original = go_decode(peer, before).unwrap_or_else(|e| panic!("{name}: {e}"));
    if holds_old(name) {
        let err = go_decode_as(peer, NEW, before).expect_err(name);
        assert!(
            err.contains(r#"gob: name not registered for interface: "main.User""#),
            "{name}: {err}"
        );
        assert_ne!(before, after, "{name}");
        let renamed = go_decode_as(peer, NEW, after).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(renamed, original, "{name}: every value survives the rename");
        // The old app cannot read it any more: the name really changed.
        let err = go_decode(peer, after).expect_err(name);
        assert!(err.contains(r#"not registered for interface: "models.User""#), "{err}");
    } else {
        assert_eq!(before, after, "{name}: untouched byte for byte");
        assert_eq!(go_decode_as(peer, NEW, after).unwrap(), original, "{name}");
    }
}

#[test]
fn renamed_blobs_decode_in_go_under_the_new_name_with_every_value() {
    let Some(peer) = go_peer() else { return };
    for (name, blob) in rename_fixtures(peer) {
        let renamed = scsctl::gob::names::rename(&blob, OLD, NEW).unwrap();
        assert_eq!(renamed.is_some(), holds_old(&name), "{name}");
        let after = renamed.map(|r| r.data).unwrap_or_else(|| blob.clone());
        check_renamed(peer, &name, &blob, &after);
        // And back: the rename is exactly reversible.
        if holds_old(&name) {
            let back = scsctl::gob::names::rename(&after, NEW, OLD).unwrap().unwrap();
            assert_eq!(back.data, blob, "{name}: renaming back restores every byte");
        }
    }
}
