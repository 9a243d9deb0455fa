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
        assert!(
            err.contains(r#"not registered for interface: "models.User""#),
            "{err}"
        );
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
            let back = scsctl::gob::names::rename(&after, NEW, OLD)
                .unwrap()
                .unwrap();
            assert_eq!(back.data, blob, "{name}: renaming back restores every byte");
        }
    }
}

/// A database holding every rename fixture as a live session named after it.
fn seeded(peer: &Path) -> (crate::support::TestDb, BTreeMap<String, Vec<u8>>) {
    let db = seed::fresh();
    let blobs = rename_fixtures(peer);
    for (name, blob) in &blobs {
        seed::row(&db, name, blob, 3600);
    }
    (db, blobs)
}

fn data_of(db: &crate::support::TestDb, token: &str) -> Vec<u8> {
    db.client()
        .query_one("SELECT data FROM sessions WHERE token = $1", &[&token])
        .unwrap()
        .get(0)
}

/// `rename-type OLD NEW -o json` on `db`, which must succeed: its summary.
fn rename(db: &crate::support::TestDb) -> Json {
    let out = Scsctl::new()
        .db(db)
        .args(["rename-type", OLD, NEW, "-o", "json"])
        .run();
    out.success();
    out.json()
}

#[test]
fn rename_type_repairs_the_sessions_in_the_table_for_go() {
    let Some(peer) = go_peer() else { return };
    let (db, blobs) = seeded(peer);
    let dry = Scsctl::new()
        .db(&db)
        .args(["rename-type", OLD, NEW, "--dry-run", "-o", "json"])
        .run();
    dry.success();
    assert_eq!(dry.json()["would_rename"], 6, "{}", dry.stdout_str());
    for (name, blob) in &blobs {
        assert_eq!(
            &data_of(&db, name),
            blob,
            "{name}: a dry run writes nothing"
        );
    }
    let doc = rename(&db);
    assert_eq!(doc["renamed"], 6, "{doc}");
    assert_eq!(doc["values"], 8, "{doc}");
    assert_eq!(doc["left_changed"], 0);
    for (name, blob) in &blobs {
        check_renamed(peer, name, blob, &data_of(&db, name));
    }
    // Run again: nothing left to do.
    assert_eq!(rename(&db)["renamed"], 0);
}

#[test]
fn a_row_the_app_rewrote_after_it_was_read_is_never_overwritten() {
    use scsctl::store::Store;
    use sha2::{Digest, Sha256};
    let Some(peer) = go_peer() else { return };
    let (db, blobs) = seeded(peer);
    let mut store = Store::new(
        db.client(),
        scsctl::table::TableName::parse("sessions").unwrap(),
    );
    let read = blobs["rename_top"].clone();
    // The app writes the row between our read and our update.
    seed_update(&db, "rename_top", b"the app's new data");
    let renamed = scsctl::gob::names::rename(&read, OLD, NEW)
        .unwrap()
        .unwrap();
    let updated = store
        .update_unchanged(
            &["rename_top".to_owned()],
            &[Sha256::digest(&read).to_vec()],
            &[renamed.data],
        )
        .unwrap();
    assert!(updated.is_empty());
    assert_eq!(data_of(&db, "rename_top"), b"the app's new data");
}

fn seed_update(db: &crate::support::TestDb, token: &str, data: &[u8]) {
    db.client()
        .execute(
            "UPDATE sessions SET data = $2 WHERE token = $1",
            &[&token, &data],
        )
        .unwrap();
}

#[test]
fn bad_names_same_names_and_a_new_name_with_another_layout_are_refused_before_writing() {
    let Some(peer) = go_peer() else { return };
    let (db, blobs) = seeded(peer);
    for (args, code, needle) in [
        (vec!["main User", NEW], 2, "not a Go type name"),
        (vec![OLD, "models."], 2, "not a Go type name"),
        (vec![OLD, OLD], 2, "same name"),
        // main.Address is in use, with Address's layout, not User's.
        (vec![OLD, "main.Address"], 1, "another layout"),
    ] {
        let out = Scsctl::new()
            .db(&db)
            .arg("rename-type")
            .args(args.clone())
            .run();
        out.code(code);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    for (name, blob) in &blobs {
        assert_eq!(&data_of(&db, name), blob, "{name}: nothing was written");
    }
}

#[test]
fn sessions_spread_over_many_windows_are_surveyed_and_renamed() {
    let Some(peer) = go_peer() else { return };
    // Sessions without the names before and after the fixtures, on disk and in token order,
    // so that the names are found (and the layouts compared) in a later window than the
    // first whichever order the windows follow.
    let db = seed::fresh();
    seed::rows(&db, "a", 20_000, 3600.0);
    let blobs = rename_fixtures(peer);
    for (name, blob) in &blobs {
        seed::row(&db, name, blob, 3600);
    }
    seed::rows(&db, "z", 20_000, 3600.0);
    let out = Scsctl::new()
        .db(&db)
        .args(["rename-type", OLD, "main.Address"])
        .run();
    out.code(1);
    out.stderr_contains("another layout");
    let doc = rename(&db);
    assert_eq!(doc["renamed"], 6, "{doc}");
    assert!(doc["batches"].as_u64().unwrap() > 2, "{doc}");
    for (name, blob) in &blobs {
        check_renamed(peer, name, blob, &data_of(&db, name));
    }
    let untouched: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM sessions WHERE data = decode(repeat('ab', 300), 'hex')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(untouched, 40_000);
}

#[test]
fn the_census_matches_the_names_go_put_in_the_sessions() {
    let Some(peer) = go_peer() else { return };
    let (db, _) = seeded(peer);
    seed::row(&db, "junk", b"\x05\xff\x00\x01\x02\x03", -60);
    let out = Scsctl::new()
        .db(&db)
        .args([
            "types",
            "-o",
            "json",
            "--registered",
            "main.Profile,main.Address",
        ])
        .run();
    out.success();
    let doc = out.json();
    let find = |kind: &str, name: &str| {
        doc["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == kind && t["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} {name} in {doc}"))
    };
    let user = find("interface", OLD);
    assert_eq!(user["live"], 6, "{user}");
    assert_eq!(user["registered"], false);
    assert_eq!(user["registered_by_default"], false);
    let keys: Vec<&str> = user["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["profile", "team", "user", "users"]);
    let fields: Vec<String> = user["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["name"].as_str().unwrap(),
                f["type"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        fields,
        ["ID int", "Email string", "Roles []string", "Admin bool"]
    );
    assert_eq!(find("interface", "main.Profile")["registered"], true);
    assert_eq!(find("interface", "[]main.User")["live"], 1);
    assert_eq!(find("interface", "int")["registered_by_default"], true);
    assert_eq!(find("interface", "string")["live"], 3);
    assert_eq!(find("struct", "User")["live"], 7);
    assert_eq!(find("struct", "Address")["live"], 3);
    assert_eq!(doc["not_gob"]["count"], 1, "{doc}");
    assert_eq!(doc["sessions"], 10);
}

#[test]
fn undecodable_sessions_are_listed_with_gos_reason_and_revoked_on_request() {
    let Some(peer) = go_peer() else { return };
    let (db, _) = seeded(peer);
    seed::row(&db, "junk", b"\x05\xff\x00\x01\x02\x03", 60);
    let registered =
        "models.User,main.Profile,main.Address,[]interface {},map[string]interface {},[]main.User";
    let out = Scsctl::new()
        .db(&db)
        .args([
            "list",
            "--undecodable",
            "-o",
            "ndjson",
            "--registered",
            registered,
        ])
        .run();
    out.success();
    let rows = out.ndjson();
    let tokens: Vec<&str> = rows.iter().map(|r| r["token"].as_str().unwrap()).collect();
    assert_eq!(tokens.len(), 7, "{tokens:?}");
    assert!(tokens.contains(&"junk") && tokens.contains(&"rename_deep"));
    let deep = rows.iter().find(|r| r["token"] == "rename_deep").unwrap();
    assert_eq!(
        deep["go_error"],
        r#"gob: name not registered for interface: "main.User""#
    );
    let stats = Scsctl::new()
        .db(&db)
        .args(["stats", "-o", "json", "--registered", registered])
        .run();
    assert_eq!(stats.json()["undecodable"], 7);
    let out = Scsctl::new()
        .db(&db)
        .args([
            "delete",
            "--undecodable",
            "--registered",
            registered,
            "--dry-run",
        ])
        .run();
    out.success();
    assert_eq!(seed::count(&db), 10);
    // Seven sessions: under the ten above which a bulk revocation asks (or needs --yes).
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--undecodable", "--registered", registered])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "deleted 7 sessions\n");
    assert_eq!(seed::count(&db), 3);
    // Without the app's registry the flag means nothing: a usage error.
    Scsctl::new()
        .db(&db)
        .args(["delete", "--undecodable"])
        .run()
        .code(2);
}
