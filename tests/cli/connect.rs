//! The connection path against the harness's TLS cluster, through the library API
//! (`Target::resolve(...).connect()`): every sslmode, certificates, client certificates in
//! both key forms, the Unix socket, the password file, service files and the PG* environment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scsctl::connect::{Env, Target};
use scsctl::error::{Error, exit};

use crate::support::{Certs, Scsctl, TestDb, cluster, random_hex};

/// An empty home directory of its own, so neither root's `~/.pgpass` nor its
/// `~/.postgresql/` can change the outcome.
struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn env(&self, vars: &[(&str, &str)]) -> Env {
        let home = self.path().display().to_string();
        Env::from_vars(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([("HOME".to_string(), home)]),
        )
        .with_os_user("scsctl_nobody")
    }

    fn write_private(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

/// The certificates, or None (with a note) when the cluster has none (an external server).
fn certs() -> Option<&'static Certs> {
    let certs = cluster().certs();
    if certs.is_none() {
        eprintln!("note: no TLS material (external server); skipping");
    }
    certs
}

/// Admin conninfo for `db` on `host`, plus `extra`.
fn admin(db: &TestDb, host: &str, extra: &str) -> String {
    let c = cluster();
    format!(
        "host={host} port={} user={} password={} dbname={} {extra}",
        c.port(),
        c.admin_user(),
        c.admin_password(),
        db.name
    )
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn resolve(conninfo: &str, env: &Env) -> Target {
    Target::resolve(Some(conninfo), env).unwrap_or_else(|e| panic!("resolve: {e}"))
}

/// Connects and tells whether the session is encrypted.
fn connect_ssl(target: &Target) -> bool {
    let mut client = target
        .connect()
        .unwrap_or_else(|e| panic!("connect to {}: {e}", target.describe()));
    client
        .query_one(
            "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            &[],
        )
        .unwrap()
        .get(0)
}

/// Expects a connection failure; returns its text.
fn connect_fails(target: &Target) -> String {
    match target.connect() {
        Ok(_) => panic!("{} connected, but should not", target.describe()),
        Err(e @ Error::Connect { .. }) => {
            assert_eq!(e.exit_code(), exit::CONNECT);
            e.to_string()
        }
        Err(other) => panic!("expected a connection error, got {other:?}"),
    }
}

#[test]
fn each_sslmode_on_a_tls_server() {
    let Some(_) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    for (mode, encrypted) in [
        ("disable", false),
        ("allow", false),
        ("prefer", true),
        ("require", true),
    ] {
        let t = resolve(&admin(&db, "127.0.0.1", &format!("sslmode={mode}")), &env);
        assert_eq!(connect_ssl(&t), encrypted, "sslmode={mode}");
    }
    // prefer is the default.
    let t = resolve(&admin(&db, "127.0.0.1", ""), &env);
    assert!(t.describe().ends_with("sslmode=prefer"), "{}", t.describe());
    assert!(connect_ssl(&t));
}

#[test]
fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    let ca = format!("sslrootcert={}", p(&certs.ca_cert));

    let t = resolve(
        &admin(&db, "localhost", &format!("sslmode=verify-full {ca}")),
        &env,
    );
    assert!(connect_ssl(&t));
    let t = resolve(
        &admin(&db, "127.0.0.1", &format!("sslmode=verify-full {ca}")),
        &env,
    );
    let err = connect_fails(&t);
    assert!(err.contains("sslmode=verify-full"), "{err}");
    assert!(err.contains("mismatch"), "{err}");
    for host in ["127.0.0.1", "localhost"] {
        let t = resolve(&admin(&db, host, &format!("sslmode=verify-ca {ca}")), &env);
        assert!(connect_ssl(&t), "verify-ca with host={host}");
    }
    // hostaddr: connect to the address, check the certificate against the name.
    let t = resolve(
        &admin(
            &db,
            "localhost",
            &format!("hostaddr=127.0.0.1 sslmode=verify-full {ca}"),
        ),
        &env,
    );
    assert!(connect_ssl(&t));
}

#[test]
fn the_default_root_certificate_is_home_postgresql_root_crt() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    let err =
        Target::resolve(Some(&admin(&db, "localhost", "sslmode=verify-full")), &env).unwrap_err();
    assert_eq!(err.exit_code(), exit::CONNECT);
    assert!(err.to_string().contains(".postgresql/root.crt"), "{err}");
    let ca = std::fs::read_to_string(&certs.ca_cert).unwrap();
    home.write_private(".postgresql/root.crt", &ca, 0o644);
    let t = resolve(&admin(&db, "localhost", "sslmode=verify-full"), &env);
    assert!(connect_ssl(&t));
}

#[test]
fn a_wrong_ca_is_refused_naming_the_sslmode() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    let other = format!("sslrootcert={}", p(&certs.other_ca_cert));
    for mode in ["verify-ca", "verify-full", "require"] {
        let t = resolve(
            &admin(&db, "localhost", &format!("sslmode={mode} {other}")),
            &env,
        );
        let err = connect_fails(&t);
        assert!(err.contains(&format!("sslmode={mode}")), "{err}");
        assert!(err.contains("certificate verify failed"), "{err}");
        assert!(!err.contains(cluster().admin_password()), "{err}");
    }
    // Without sslrootcert, require encrypts but checks nothing.
    let t = resolve(&admin(&db, "localhost", "sslmode=require"), &env);
    assert!(connect_ssl(&t));
}

#[test]
fn client_certificates_in_both_key_forms() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    let c = cluster();
    let base = format!(
        "host=localhost port={} user={} dbname={} sslmode=verify-full sslrootcert={} sslcert={}",
        c.port(),
        certs.cert_user,
        db.name,
        p(&certs.ca_cert),
        p(&certs.client_cert)
    );
    for key in [&certs.client_key_pkcs8, &certs.client_key_traditional] {
        let t = resolve(&format!("{base} sslkey={}", p(key)), &env);
        let mut client = t.connect().unwrap_or_else(|e| panic!("{}: {e}", p(key)));
        let user: String = client
            .query_one("SELECT current_user::text", &[])
            .unwrap()
            .get(0);
        assert_eq!(user, certs.cert_user);
    }
    // Picked up from ~/.postgresql when not named.
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    home.write_private(
        ".postgresql/postgresql.crt",
        &read(&certs.client_cert),
        0o644,
    );
    home.write_private(
        ".postgresql/postgresql.key",
        &read(&certs.client_key_traditional),
        0o600,
    );
    let t = resolve(
        &format!(
            "host=127.0.0.1 port={} user={} dbname={} sslmode=require",
            c.port(),
            certs.cert_user,
            db.name
        ),
        &env,
    );
    assert!(connect_ssl(&t));
}

#[test]
fn missing_client_key_is_named() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let missing = home.path().join("nope.key");
    let err = Target::resolve(
        Some(&admin(
            &db,
            "localhost",
            &format!(
                "sslmode=require sslcert={} sslkey={}",
                p(&certs.client_cert),
                p(&missing)
            ),
        )),
        &home.env(&[]),
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), exit::CONNECT);
    assert!(err.to_string().contains(&p(&missing)), "{err}");
}

#[test]
fn a_server_that_never_answers_fails_after_connect_timeout() {
    // Accepts (the kernel completes the handshake for a listener that never calls accept) and
    // never says a word: what a stopped postmaster or a stuck pooler looks like. The driver's
    // own timeout covers only opening the socket.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let home = Home::new();
    for mode in ["disable", "prefer", "require"] {
        let t = resolve(
            &format!(
                "host=127.0.0.1 port={port} user=nobody dbname=none sslmode={mode} connect_timeout=2"
            ),
            &home.env(&[]),
        );
        let started = std::time::Instant::now();
        let err = connect_fails(&t);
        let took = started.elapsed();
        assert!(err.contains("timeout expired"), "{mode}: {err}");
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(6),
            "{mode}: {took:?}"
        );
    }
    drop(silent);
}

#[test]
fn wrong_password_is_a_connect_error_without_the_password() {
    let db = cluster().new_database();
    let role = format!("connect_pw_{}", random_hex(4));
    db.create_role(&role, "the-right-one");
    let secret = format!("Wr0ng-{}", random_hex(8));
    let home = Home::new();
    let c = cluster();
    for mode in ["disable", "prefer", "allow"] {
        let t = resolve(
            &format!(
                "postgres://{role}:{secret}@{}:{}/{}?sslmode={mode}",
                c.host(),
                c.port(),
                db.name
            ),
            &home.env(&[]),
        );
        let err = connect_fails(&t);
        assert!(err.contains("password authentication failed"), "{err}");
        for text in [err, format!("{t:?}"), t.describe()] {
            assert!(!text.contains(&secret), "password leaked: {text}");
        }
    }
}

#[test]
fn unix_socket_never_uses_tls() {
    let Some(dir) = cluster().socket_dir() else {
        eprintln!("note: no Unix socket (external server); skipping");
        return;
    };
    let db = cluster().new_database();
    let home = Home::new();
    let dir = p(dir);
    let t = resolve(&admin(&db, &dir, "sslmode=verify-full"), &home.env(&[]));
    let mut client = t.connect().unwrap();
    let row = client
        .query_one("SELECT inet_server_addr() IS NULL", &[])
        .unwrap();
    assert!(row.get::<_, bool>(0), "not a socket connection");
    // No host at all: the default socket directory.
    let c = cluster();
    let env = home
        .env(&[("PGPORT", &c.port().to_string())])
        .with_default_socket_dir(&dir);
    let t = resolve(
        &format!(
            "user={} password={} dbname={}",
            c.admin_user(),
            c.admin_password(),
            db.name
        ),
        &env,
    );
    assert!(
        t.describe().starts_with(&format!("host={dir} ")),
        "{}",
        t.describe()
    );
    assert!(!connect_ssl(&t));
}

#[test]
fn password_file_end_to_end() {
    let db = cluster().new_database();
    let role = format!("connect_pgpass_{}", random_hex(4));
    let password = format!("pgpass-{}", random_hex(8));
    db.create_role(&role, &password);
    let c = cluster();
    let port = c.port();
    let home = Home::new();
    home.write_private(
        ".pgpass",
        &format!(
            "# scsctl test\nother:*:*:*:wrong\n{}:{port}:{}:{role}:{password}\nlocalhost:{port}:*:{role}:{password}\n",
            c.host(),
            db.name
        ),
        0o600,
    );
    let env = home.env(&[]);
    let tcp = format!(
        "host={} port={port} user={role} dbname={} sslmode=disable",
        c.host(),
        db.name
    );
    assert!(!connect_ssl(&resolve(&tcp, &env)));
    if let Some(dir) = c.socket_dir() {
        let socket = format!("host={} port={port} user={role} dbname={}", p(dir), db.name);
        assert!(!connect_ssl(&resolve(&socket, &env)));
    }
    // PGPASSFILE names another file.
    let other = home.write_private("elsewhere", &format!("*:*:*:{role}:{password}\n"), 0o600);
    let env_other = home.env(&[("PGPASSFILE", &p(&other))]);
    std::fs::remove_file(home.path().join(".pgpass")).unwrap();
    assert!(!connect_ssl(&resolve(&tcp, &env_other)));

    // A group-readable file is ignored with libpq's warning.
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    let t = resolve(&tcp, &env_other);
    assert_eq!(
        t.warnings(),
        &[format!(
            "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
            p(&other)
        )]
    );
    let err = connect_fails(&t);
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains(&password), "{err}");
}

#[test]
fn service_files_end_to_end() {
    let db = crate::seed::fresh();
    crate::seed::row(&db, "svc-token", b"x", 600);
    let c = cluster();
    let port = c.port();
    let home = Home::new();
    let section = format!(
        "host={}\nport={port}\nuser={}\ndbname={}\nsslmode=disable\n",
        c.host(),
        c.admin_user(),
        db.name
    );
    // The user file has [app]; the system file has [app] too (never reached) and [sys].
    home.write_private(
        ".pg_service.conf",
        &format!("# the user's services\n[other]\nport=1\n\n[app]\n{section}"),
        0o600,
    );
    home.write_private(
        "etc/pg_service.conf",
        &format!("[app]\nport=1\n[sys]\n{section}"),
        0o644,
    );
    home.write_private(
        ".pgpass",
        &format!("*:*:*:*:{}\n", c.admin_password()),
        0o600,
    );
    let sysconfdir = home.path().join("etc");
    let run = |target: Option<&str>, vars: &[(&str, &str)]| {
        let mut cmd = Scsctl::new()
            .env("HOME", home.path())
            .env("PGSYSCONFDIR", &sysconfdir);
        if let Some(target) = target {
            cmd = cmd.arg("-d").arg(target);
        }
        for (k, v) in vars {
            cmd = cmd.env(k, v);
        }
        cmd.args(["get", "svc-token"]).run()
    };
    // The service's settings beat the environment's (PGHOST and PGPORT lead nowhere).
    let wrong_env = [("PGHOST", "192.0.2.1"), ("PGPORT", "1")];
    run(Some("service=app"), &wrong_env).success();
    run(Some("postgres:///?service=app"), &wrong_env).success();
    run(None, &[("PGSERVICE", "app"), ("PGHOST", "192.0.2.1")]).success();
    // The system file, for a service the user file does not define.
    run(Some("service=sys"), &[]).success();
    // PGSERVICEFILE replaces ~/.pg_service.conf: [app] is then found in the system file.
    let elsewhere = home.write_private("services", "[unrelated]\n", 0o600);
    let out = run(
        Some("service=app connect_timeout=2"),
        &[("PGSERVICEFILE", &p(&elsewhere))],
    );
    out.code(4);
    assert!(out.stderr.contains("port=1 "), "{}", out.stderr);
    // An explicit key beats the service's.
    let out = run(Some("service=app dbname=scsctl_no_such_db"), &[]);
    out.code(4);
    assert!(out.stderr.contains("scsctl_no_such_db"), "{}", out.stderr);
    // An unknown service is a usage error naming the files looked in.
    let out = run(Some("service=nope"), &[]);
    out.code(2);
    assert!(
        out.stderr.contains(&format!(
            "definition of service \"nope\" not found in \"{}\" or \"{}\"",
            p(&home.path().join(".pg_service.conf")),
            p(&sysconfdir.join("pg_service.conf"))
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn environment_fills_in_end_to_end() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let c = cluster();
    let home = Home::new();
    let port = c.port().to_string();
    let ca = p(&certs.ca_cert);
    let env = home.env(&[
        ("PGHOST", "localhost"),
        ("PGPORT", &port),
        ("PGUSER", c.admin_user()),
        ("PGPASSWORD", c.admin_password()),
        ("PGDATABASE", &db.name),
        ("PGSSLMODE", "verify-full"),
        ("PGSSLROOTCERT", &ca),
        ("PGAPPNAME", "scsctl-env-test"),
        ("PGCONNECT_TIMEOUT", "5"),
    ]);
    let t = Target::resolve(None, &env).unwrap();
    let mut client = t.connect().unwrap();
    let row = client
        .query_one(
            "SELECT current_database()::text, current_setting('application_name'), \
             (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), db.name);
    assert_eq!(row.get::<_, String>(1), "scsctl-env-test");
    assert!(row.get::<_, bool>(2));
    // The connection string beats the environment, key by key.
    let t = resolve("sslmode=disable application_name=override", &env);
    let mut client = t.connect().unwrap();
    let name: String = client
        .query_one("SELECT current_setting('application_name')", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "override");
    // Without PGAPPNAME the application name is scsctl.
    let t = resolve(&admin(&db, c.host(), "sslmode=disable"), &home.env(&[]));
    let name: String = t
        .connect()
        .unwrap()
        .query_one("SELECT current_setting('application_name')", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "scsctl");
}

#[test]
fn multi_host_with_target_session_attrs() {
    let db = cluster().new_database();
    let c = cluster();
    let home = Home::new();
    let env = home.env(&[]);
    // The first host refuses connections; the second is the cluster.
    let url = format!(
        "postgresql://{}:{}@127.0.0.1:1,{}:{}/{}?target_session_attrs=read-write&sslmode=disable&connect_timeout=2",
        c.admin_user(),
        c.admin_password(),
        c.host(),
        c.port(),
        db.name
    );
    let t = resolve(&url, &env);
    assert!(!connect_ssl(&t));
    // A host whose sessions are read-only is skipped under read-write.
    let role = format!("connect_ro_{}", random_hex(4));
    db.create_role(&role, "ro-pw");
    db.psql(&format!(
        "ALTER ROLE {role} SET default_transaction_read_only = on"
    ));
    let url = format!(
        "postgresql://{role}:ro-pw@{host}:{port},{host}:{port}/{}?target_session_attrs=read-write&sslmode=disable",
        db.name,
        host = c.host(),
        port = c.port()
    );
    let err = connect_fails(&resolve(&url, &env));
    assert!(err.contains("does not allow writes"), "{err}");
    let t = resolve(&url.replace("read-write", "any"), &env);
    assert!(!connect_ssl(&t));
}

#[test]
fn cancel_uses_the_connections_tls_setup() {
    let Some(certs) = certs() else { return };
    let db = cluster().new_database();
    let home = Home::new();
    let env = home.env(&[]);
    let mut targets = vec![
        admin(&db, "127.0.0.1", "sslmode=require"),
        admin(
            &db,
            "localhost",
            &format!("sslmode=verify-full sslrootcert={}", p(&certs.ca_cert)),
        ),
        admin(&db, "127.0.0.1", "sslmode=disable"),
    ];
    if let Some(dir) = cluster().socket_dir() {
        targets.push(admin(&db, &p(dir), ""));
    }
    for conninfo in targets {
        let t = resolve(&conninfo, &env);
        let mut client = t.connect().unwrap();
        let token = client.cancel_token();
        let canceller = t.clone();
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        // Cancel again and again until the statement ends: one cancel could arrive before
        // the statement starts on a loaded machine, and would then cancel nothing.
        let handle = std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                canceller.cancel(&token).map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
        let err = client.batch_execute("SELECT pg_sleep(60)").unwrap_err();
        done.store(true, Ordering::SeqCst);
        handle
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("cancel on {}: {e}", t.describe()));
        assert_eq!(
            err.as_db_error().map(|d| d.code().code()),
            Some("57014"),
            "{}: {err}",
            t.describe()
        );
    }
}
