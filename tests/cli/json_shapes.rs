//! Every JSON object scsctl prints has the members README.md's "JSON objects" table says:
//! each command runs for real, and its objects must hold every "always" member and nothing
//! that is neither "always" nor "when it applies".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::seed;
use crate::support::{Scsctl, TestDb};

/// The documented members of each object: name → (always, sometimes).
fn documented() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## JSON objects")
        .nth(1)
        .expect("README.md has a JSON objects section");
    let section = section.split("\n## ").next().unwrap();
    let keys = |cell: &str| -> BTreeSet<String> {
        // Backticked words that are not options (`--values`) or other objects' names.
        cell.split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.starts_with('-') && !w.contains(' '))
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| object") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let name = cells[0].trim_start_matches("| ").to_owned();
            let always = keys(cells[1]);
            let sometimes = keys(cells.get(2).copied().unwrap_or_default());
            (name, (always, sometimes))
        })
        .collect()
}

fn check(
    docs: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    object: &str,
    value: &Value,
) {
    let (always, sometimes) = docs
        .get(object)
        .unwrap_or_else(|| panic!("README.md documents no object {object:?}"));
    let members: BTreeSet<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("{object}: not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    let missing: Vec<_> = always.difference(&members).collect();
    assert!(missing.is_empty(), "{object}: lacks {missing:?}: {value}");
    // A command that fails after its result (a named token with no row, an interrupted
    // purge) puts the error's members into that one document.
    let (error_always, error_sometimes) = &docs["an error"];
    let unknown: Vec<_> = members
        .iter()
        .filter(|m| !always.contains(*m) && !sometimes.contains(*m))
        .filter(|m| !error_always.contains(*m) && !error_sometimes.contains(*m))
        .collect();
    assert!(
        unknown.is_empty(),
        "{object}: undocumented {unknown:?}: {value}"
    );
}

fn json(db: &TestDb, args: &[&str]) -> Value {
    let out = Scsctl::new().db(db).args(args).args(["-o", "json"]).run();
    serde_json::from_str(out.stdout_str().trim())
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", out.stdout_str()))
}

#[test]
fn every_object_has_the_members_readme_documents() {
    let docs = documented();
    let db = seed::fresh();
    let user = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gob/user.gob"
    ))
    .unwrap();
    seed::row(&db, "gob", &user, 3600);
    seed::row(&db, "junk", b"\x07\x01\xff", 3600);
    seed::rows(&db, "old", 30, -60.0);

    check(
        &docs,
        "`get`, a `list` row with `--values`",
        &json(&db, &["get", "gob"]),
    );
    check(
        &docs,
        "`get`, a `list` row with `--values`",
        &json(&db, &["get", "junk"]),
    );
    let registered = json(&db, &["get", "gob", "--registered", "main.Other"]);
    assert!(registered.get("go_error").is_some(), "{registered}");
    check(&docs, "`get`, a `list` row with `--values`", &registered);
    for row in json(&db, &["list", "--values"]).as_array().unwrap() {
        check(&docs, "`get`, a `list` row with `--values`", row);
    }
    for row in json(&db, &["list", "--state", "all"]).as_array().unwrap() {
        check(&docs, "a `list` row", row);
    }

    let put = json(&db, &["put", "--new-token", "--ttl", "1h"]);
    check(&docs, "`put`", &put);
    let token = put["token"].as_str().unwrap().to_owned();
    check(
        &docs,
        "`put`",
        &json(
            &db,
            &["put", &token, "--ttl", "1h", "--merge", "--set", "a=b"],
        ),
    );

    check(&docs, "`delete`", &json(&db, &["delete", "nosuch"]));
    check(
        &docs,
        "`delete`",
        &json(&db, &["delete", "--expired", "--dry-run"]),
    );
    check(
        &docs,
        "`delete`",
        &json(&db, &["delete", "--where", "a=b", "--yes"]),
    );

    for args in [&["purge", "--dry-run"][..], &["purge", "--vacuum"][..]] {
        let doc = json(&db, args);
        check(&docs, "`purge`", &doc);
        for table in doc["tables"].as_array().unwrap() {
            check(&docs, "a `purge` table", table);
        }
    }

    for args in [&["stats"][..], &["stats", "--registered", "main.User"][..]] {
        let doc = json(&db, args);
        check(&docs, "`stats`", &doc);
        for key in ["live_by_time_left", "expired_by_age"] {
            for bucket in doc[key].as_array().unwrap() {
                check(&docs, "a `stats` bucket", bucket);
            }
        }
        for leaf in doc["leaves"].as_array().unwrap() {
            check(&docs, "a `stats` leaf", leaf);
        }
    }

    check(&docs, "`init-schema`", &json(&db, &["init-schema"]));
    check(&docs, "`types`", &json(&db, &["types"]));
    for extra in [&["--dry-run"][..], &[][..]] {
        let doc = json(
            &db,
            &[&["rename-type", "main.User", "models.User"][..], extra].concat(),
        );
        check(&docs, "`rename-type`", &doc);
    }
    check(
        &docs,
        "an error",
        &json(&db, &["--table", "nosuch", "stats"]),
    );
}
