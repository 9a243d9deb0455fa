//! The deployment files in `contrib/`: the grants a cleaner role needs (applied as written,
//! then `purge` and `watch-cleanup` run as that role with a password file the way a systemd
//! credential hands it over), the systemd units (`systemd-analyze verify` when it is there)
//! and the Kubernetes manifests (parsed, and checked for the Secret, the commands, limits and
//! a non-root security context).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::seed;
use crate::support::{Scsctl, TestDb, cluster, quote_ident, random_hex, scratch_dir, skip};

fn contrib(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A fresh directory under the test process's scratch directory.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = scratch_dir().join(format!("contrib-{tag}-{}", random_hex(6)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Applies contrib/grants.sql for `role` on `db`'s `public.sessions`, with psql's variables
/// replaced as `psql -v cleaner=… -v schema=public -v table=sessions` would.
fn apply_grants(db: &TestDb, role: &str) {
    let sql = contrib("grants.sql")
        .replace(":\"cleaner\"", &quote_ident(role))
        .replace(":\"DBNAME\"", &quote_ident(&db.name))
        .replace(":\"schema\"", &quote_ident("public"))
        .replace(":\"table\"", &quote_ident("sessions"));
    assert!(
        !sql.contains(":\""),
        "a psql variable was left unreplaced:\n{sql}"
    );
    db.client()
        .batch_execute(&sql)
        .unwrap_or_else(|e| panic!("contrib/grants.sql failed: {e:?}"));
}

/// A directory like systemd's credentials directory (mode 0500) holding `pgpass` as systemd
/// writes a credential: mode 0400, owned by the service's user.
fn credentials_dir(line: &str) -> PathBuf {
    let dir = temp_dir("credentials");
    let pgpass = dir.join("pgpass");
    std::fs::write(&pgpass, line).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    dir
}

#[test]
fn the_grants_in_contrib_are_enough_to_purge_and_nothing_more() {
    let db = seed::fresh();
    let role = format!("cleaner_{}", db.name);
    // Take away what PUBLIC holds by default, so that only the file's grants count.
    db.client()
        .batch_execute(&format!(
            "REVOKE ALL ON DATABASE {} FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC",
            quote_ident(&db.name)
        ))
        .unwrap();
    apply_grants(&db, &role);
    let password = format!("cleaner-{}", random_hex(8));
    db.create_role(&role, &password);

    let c = cluster();
    let creds = credentials_dir(&format!("*:*:*:{role}:{password}\n"));
    let port = c.port().to_string();
    // As the units run it: settings from the environment file, PGPASSFILE=%d/pgpass.
    let as_cleaner = || {
        Scsctl::new()
            .env("PGHOST", c.host())
            .env("PGPORT", &port)
            .env("PGUSER", &role)
            .env("PGDATABASE", &db.name)
            .env("PGSSLMODE", "disable")
            .env("PGPASSFILE", creds.join("pgpass"))
    };

    for (i, variant) in [
        &[][..],
        &["--scan", "index"],
        &["--scan", "blocks", "--lock-mode", "transaction"],
        &["--jobs", "2"],
    ]
    .into_iter()
    .enumerate()
    {
        seed::rows(&db, &format!("old{i}-"), 300, -60.0);
        seed::rows(&db, &format!("live{i}-"), 5, 3600.0);
        let out = as_cleaner()
            .args(["purge", "-o", "json"])
            .args(variant)
            .run();
        out.success();
        let summary = out.json();
        assert_eq!(summary["deleted"], 300, "{variant:?}: {summary}");
        if c.is_private() {
            // GRANT SET ON PARAMETER wal_compression took effect (Debian's server has lz4).
            assert_eq!(summary["wal_compression"], true, "{summary}");
        }
        assert_eq!(seed::counts_by_clock(&db).0, 0, "{variant:?}");
    }
    let live = seed::counts_by_clock(&db).1;
    assert_eq!(live, 20);

    // watch-cleanup: one pass, then SIGTERM.
    seed::rows(&db, "watched-", 120, -60.0);
    let daemon = as_cleaner()
        .args(["watch-cleanup", "--interval", "1h", "--jitter", "0"])
        .spawn();
    assert!(
        daemon.wait_for_stderr("deleted 120 rows", Duration::from_secs(20)),
        "{}",
        daemon.stderr_so_far()
    );
    daemon.terminate();
    let out = daemon.wait_with_output(Duration::from_secs(10));
    out.success();
    assert!(!out.stderr.contains("permission denied"), "{}", out.stderr);
    assert_eq!(seed::counts_by_clock(&db), (0, live));

    // Nothing more than cleaning: no writes of sessions.
    let out = as_cleaner().args(["put", "intruder", "--ttl", "1h"]).run();
    out.code(1);
    assert!(out.stderr.contains("permission denied"), "{}", out.stderr);
    assert!(!seed::exists(&db, "intruder"));
}

const UNITS: [&str; 3] = [
    "scsctl-watch-cleanup.service",
    "scsctl-purge.service",
    "scsctl-purge.timer",
];

/// The value of every `Key=` line of a unit file.
fn directives<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn systemd_units_pass_secrets_as_credentials_and_are_hardened() {
    for name in ["scsctl-watch-cleanup.service", "scsctl-purge.service"] {
        let unit = contrib(&format!("systemd/{name}"));
        let exec = directives(&unit, "ExecStart");
        assert_eq!(exec.len(), 1, "{name}");
        assert!(exec[0].starts_with("/usr/local/bin/scsctl "), "{name}");
        let command = if name.contains("purge") {
            " purge "
        } else {
            " watch-cleanup "
        };
        assert!(exec[0].contains(command), "{name}: {}", exec[0]);
        assert_eq!(
            directives(&unit, "LoadCredential"),
            ["pgpass:/etc/scsctl/pgpass"],
            "{name}"
        );
        assert_eq!(
            directives(&unit, "Environment"),
            ["PGPASSFILE=%d/pgpass"],
            "{name}: Environment= is for the password file only; `systemctl show` prints it"
        );
        assert_eq!(
            directives(&unit, "EnvironmentFile"),
            ["/etc/scsctl/scsctl.env"],
            "{name}"
        );
        for (key, value) in [
            ("DynamicUser", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("NoNewPrivileges", "yes"),
            ("PrivateTmp", "yes"),
            ("CapabilityBoundingSet", ""),
        ] {
            assert_eq!(directives(&unit, key), [value], "{name}: {key}");
        }
    }
    let env = contrib("systemd/scsctl.env");
    for var in ["PGHOST=", "PGUSER=", "PGDATABASE="] {
        assert!(env.lines().any(|l| l.starts_with(var)), "scsctl.env: {var}");
    }
    assert!(
        !env.lines()
            .any(|l| l.starts_with("PGPASSWORD") || l.starts_with("DATABASE_URL")),
        "scsctl.env must hold no password"
    );
    let timer = contrib("systemd/scsctl-purge.timer");
    assert_eq!(directives(&timer, "OnCalendar").len(), 1);
    assert_eq!(directives(&timer, "WantedBy"), ["timers.target"]);
}

#[test]
fn systemd_analyze_verifies_the_units() {
    let found = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        return skip(
            "systemd_analyze_verifies_the_units",
            "no systemd-analyze on this machine",
        );
    }
    // The units name /usr/local/bin/scsctl, which verify requires to exist: point a copy at
    // the binary under test.
    let dir = temp_dir("units");
    let mut paths = Vec::new();
    for name in UNITS {
        let text = contrib(&format!("systemd/{name}"))
            .replace("/usr/local/bin/scsctl", env!("CARGO_BIN_EXE_scsctl"));
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    let about_ours: Vec<&str> = stderr.lines().filter(|l| l.contains("scsctl")).collect();
    assert!(about_ours.is_empty(), "systemd-analyze verify: {stderr}");
}

/// A parser for the small part of YAML the manifests use: block maps and lists (`- `),
/// flow lists of scalars (`["a", "b"]`), plain and double-quoted scalars, full-line comments.
mod yaml {
    use serde_json::Value;

    pub fn parse(text: &str) -> Value {
        let lines: Vec<(usize, String)> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| {
                assert!(!l.contains('\t'), "tab in YAML: {l:?}");
                let indent = l.len() - l.trim_start().len();
                (indent, l.trim().to_owned())
            })
            .collect();
        let mut at = 0;
        let value = block(&lines, &mut at, lines.first().map_or(0, |l| l.0));
        assert_eq!(at, lines.len(), "unparsed YAML from: {:?}", lines.get(at));
        value
    }

    fn block(lines: &[(usize, String)], at: &mut usize, indent: usize) -> Value {
        if lines[*at].1.starts_with("- ") {
            let mut items = Vec::new();
            while *at < lines.len() && lines[*at].0 == indent && lines[*at].1.starts_with("- ") {
                // The item's first line, as if it stood on its own two columns further in.
                let mut rest = lines.to_vec();
                rest[*at] = (indent + 2, lines[*at].1[2..].to_owned());
                items.push(block(&rest, at, indent + 2));
            }
            return Value::Array(items);
        }
        let mut map = serde_json::Map::new();
        while *at < lines.len() && lines[*at].0 == indent && !lines[*at].1.starts_with("- ") {
            let line = &lines[*at].1;
            let (key, rest) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("expected key: value, got {line:?}"));
            let rest = rest.trim();
            *at += 1;
            let value = if rest.is_empty() {
                let inner = lines.get(*at).map_or(0, |l| l.0);
                assert!(inner > indent, "empty value for {key}");
                block(lines, at, inner)
            } else {
                scalar(rest)
            };
            map.insert(key.trim().to_owned(), value);
        }
        Value::Object(map)
    }

    fn scalar(text: &str) -> Value {
        if let Some(list) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return Value::Array(list.split(',').map(|item| scalar(item.trim())).collect());
        }
        if let Some(quoted) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            return Value::String(quoted.to_owned());
        }
        match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text
                .parse::<i64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from),
        }
    }
}

/// Checks a pod spec: the scsctl command, the password from the Secret, limits, non-root.
fn check_pod(file: &str, pod: &Value, subcommand: &str) {
    assert_eq!(pod["automountServiceAccountToken"], false, "{file}");
    let security = &pod["securityContext"];
    assert_eq!(security["runAsNonRoot"], true, "{file}");
    assert!(security["runAsUser"].as_i64().unwrap() > 0, "{file}");
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{file}");
    let container = &containers[0];
    let command = container["command"].as_array().unwrap();
    assert_eq!(command[0], "/usr/local/bin/scsctl", "{file}");
    assert_eq!(command[1], subcommand, "{file}");
    let env = container["env"].as_array().unwrap();
    let var = |name: &str| env.iter().find(|v| v["name"] == name);
    let password = var("PGPASSWORD").unwrap_or_else(|| panic!("{file}: no PGPASSWORD"));
    assert_eq!(
        password.get("value"),
        None,
        "{file}: a password in the manifest"
    );
    let secret = &password["valueFrom"]["secretKeyRef"];
    assert_eq!(secret["name"], "scsctl-db", "{file}");
    assert_eq!(secret["key"], "password", "{file}");
    for name in ["PGHOST", "PGUSER", "PGDATABASE"] {
        assert!(var(name).is_some(), "{file}: no {name}");
    }
    assert!(var("DATABASE_URL").is_none(), "{file}");
    for kind in ["requests", "limits"] {
        let r = &container["resources"][kind];
        assert!(
            r["cpu"].is_string() && r["memory"].is_string(),
            "{file}: {kind}"
        );
    }
    let security = &container["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], false, "{file}");
    assert_eq!(security["readOnlyRootFilesystem"], true, "{file}");
    assert_eq!(security["capabilities"]["drop"][0], "ALL", "{file}");
}

#[test]
fn kubernetes_manifests_take_the_password_from_a_secret_and_run_as_non_root() {
    let file = "kubernetes/scsctl-purge-cronjob.yaml";
    let cron = yaml::parse(&contrib(file));
    assert_eq!(cron["apiVersion"], "batch/v1");
    assert_eq!(cron["kind"], "CronJob");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    assert!(cron["spec"]["schedule"].is_string());
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    check_pod(file, pod, "purge");

    let file = "kubernetes/scsctl-watch-cleanup-deployment.yaml";
    let deployment = yaml::parse(&contrib(file));
    assert_eq!(deployment["apiVersion"], "apps/v1");
    assert_eq!(deployment["kind"], "Deployment");
    let spec = &deployment["spec"];
    assert_eq!(
        spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"],
        "{file}: the selector must match the pod's labels"
    );
    check_pod(file, &spec["template"]["spec"], "watch-cleanup");
}

#[test]
fn the_yaml_subset_parser_reads_what_it_claims() {
    let v = yaml::parse(
        "# c\na: 1\nb:\n  c: \"x y\"\n  d: [\"p\", q]\n  e:\n    - name: n\n      v: true\n    - k: 2\n",
    );
    assert_eq!(
        v,
        serde_json::json!({"a": 1, "b": {"c": "x y", "d": ["p", "q"],
            "e": [{"name": "n", "v": true}, {"k": 2}]}})
    );
}
